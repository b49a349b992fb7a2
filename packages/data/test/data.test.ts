import test from "ava";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { CsvError, loadCsv, loadMnist, symmetricLabelNoise, toTensors } from "@flatfit/data";

test("MNIST: the fixed split has 8,337 train and 1,663 test digits, disjoint, all 10 classes, values in [0, 1]", (t) => {
  const train = loadMnist({ split: "train" });
  const testSet = loadMnist({ split: "test" });
  t.is(train.labels.length, 8337);
  t.is(testSet.labels.length, 1663);
  t.deepEqual(train.shape, [28, 28, 1]);
  const counts = new Array(10).fill(0);
  for (const l of testSet.labels) counts[l]++;
  t.true(counts.every((c) => c > 100), `test classes ${counts}`);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of train.features) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  t.true(lo >= 0 && hi <= 1 && hi > 0.9);
  // disjoint: no test image equals a train image of the same class (checked on a sample)
  const key = (d: typeof train, i: number) => `${d.labels[i]}:${Array.from(d.features.subarray(i * 784, i * 784 + 784)).join(",")}`;
  const trainKeys = new Set(Array.from({ length: 2000 }, (_, i) => key(train, i)));
  t.false(Array.from({ length: 300 }, (_, i) => key(testSet, i)).some((k) => trainKeys.has(k)));
  // a prefix is class-balanced
  const first = loadMnist({ limit: 100, layout: "flat" });
  t.deepEqual(first.shape, [784]);
  t.deepEqual(Array.from(first.labels.slice(0, 10)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test("symmetric label noise resamples exactly round(ratio·n) labels, from all classes", (t) => {
  const d = loadMnist({ limit: 2000 });
  for (const ratio of [0.2, 0.4, 0.8]) {
    const { data, report } = symmetricLabelNoise(d, ratio, 1);
    t.is(report.resampled, Math.round(ratio * 2000));
    let changed = 0;
    for (let i = 0; i < d.labels.length; i++) if (data.labels[i] !== d.labels[i]) changed++;
    t.is(report.changed, changed, "the report counts the labels that actually changed");
    // a uniform draw over 10 classes keeps the label with probability 1/10
    const expected = report.resampled * 0.9;
    const sd = Math.sqrt(report.resampled * 0.9 * 0.1);
    t.true(Math.abs(changed - expected) < 4 * sd, `changed ${changed}, expected ${expected} ± ${sd.toFixed(1)}`);
  }
  t.deepEqual(symmetricLabelNoise(d, 0.4, 7).data.labels, symmetricLabelNoise(d, 0.4, 7).data.labels, "same seed, same noise");
  t.throws(() => symmetricLabelNoise(d, 1.5, 1), { message: /ratio must be in \[0, 1\], got 1.5/ });
});

test("CSV: numeric features, label column by name, classes from the values; errors name file, line and column", (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "flatfit-csv-"));
  const good = path.join(dir, "iris.csv");
  writeFileSync(good, "sepal,petal,species\n5.1,1.4,setosa\n7.0,4.7,versicolor\n\n6.3,6.0,virginica\n4.9,1.4,setosa\n");
  const d = loadCsv(good, { label: "species" });
  t.deepEqual(d.classNames, ["setosa", "versicolor", "virginica"]);
  t.deepEqual(Array.from(d.labels), [0, 1, 2, 0]);
  t.deepEqual(Array.from(d.features), [5.1, 1.4, 7.0, 4.7, 6.3, 6.0, 4.9, 1.4].map(Math.fround));
  const { x, y } = toTensors(d);
  t.deepEqual(x.shape, [4, 2]);
  t.deepEqual(y.shape, [4, 3]);

  const bad = path.join(dir, "bad.csv");
  writeFileSync(bad, "a,b,label\n1,2,x\n3,oops,y\n");
  const err = t.throws(() => loadCsv(bad), { instanceOf: CsvError });
  t.regex(err!.message, /bad\.csv:3: column "b" is not a number: "oops"/);
  t.throws(() => loadCsv(good, { label: "kind" }), { message: /no column named "kind" \(columns: sepal, petal, species\)/ });
});
