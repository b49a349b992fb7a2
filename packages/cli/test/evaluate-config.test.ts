import test from "ava";
import { FlatfitConfigError } from "@flatfit/core";
import { loadCompareConfig, loadSweepConfig, loadTrainConfig, quantizationSetups } from "@flatfit/cli";
import { tempDir, writeConfig } from "./helpers";

const dir = tempDir("flatfit-evaluate-config-");

async function configError(load: Promise<unknown>): Promise<FlatfitConfigError> {
  const err = await load.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof FlatfitConfigError)) throw new Error(`expected a FlatfitConfigError, got ${String(err)}`);
  return err;
}

test("evaluate takes quantize-on-eval's options; what a setup leaves out comes from the block, then from the plugin's defaults", async (t) => {
  const file = writeConfig(
    dir,
    "setups.yaml",
    `
model: mlp
data: mnist
evaluate:
  bits: [8, 4, 3, 2]
  foldBatchNorm: true
  setups:
    - { name: tensor }
    - { name: channel, granularity: channel, bits: [4, 2] }
methods: [{ name: SGD }, { name: HERO, plugins: [{ use: hero }] }]
`,
  );
  const { config } = await loadCompareConfig(file);
  const e = config.base.evaluate;
  t.deepEqual(e.bits, [8, 4, 3, 2]);
  t.is(e.scheme, "symmetric", "the plugin's default, written out as the run records it");
  t.false(e.perEpoch);
  const setups = quantizationSetups(e);
  t.deepEqual(
    setups.map((s) => s.name),
    ["tensor", "channel"],
  );
  t.deepEqual(setups[0].options, { bits: [8, 4, 3, 2], scheme: "symmetric", granularity: "tensor", targets: "kernels", foldBatchNorm: true, suffix: "-tensor" });
  t.deepEqual(setups[1].options, { bits: [4, 2], scheme: "symmetric", granularity: "channel", targets: "kernels", foldBatchNorm: true, suffix: "-channel" });
  t.is(config.baseline, "SGD", "the first method is the baseline by default");
});

test("one setup: the options sit in the block itself and the variants keep their plain names; bits go down to 2", async (t) => {
  const file = writeConfig(dir, "one.yaml", "model: mlp\ndata: mnist\nevaluate: { bits: [4, 3, 2], scheme: asymmetric, targets: all }\n");
  const { config } = await loadTrainConfig(file);
  const [setup, ...rest] = quantizationSetups(config.evaluate);
  t.is(rest.length, 0);
  t.deepEqual(setup, { name: "", options: { bits: [4, 3, 2], scheme: "asymmetric", granularity: "tensor", targets: "all", foldBatchNorm: false, suffix: "" } });
  // no quantization asked: nothing is filled in, so the recorded config loads again as it is
  const plain = await loadTrainConfig(writeConfig(dir, "plain.yaml", "model: mlp\ndata: mnist\n"));
  t.deepEqual(plain.config.evaluate, { bits: [], perEpoch: false, batchSize: 256 });
  t.deepEqual(quantizationSetups(plain.config.evaluate), []);
});

test("a quantize-on-eval plugin is a config error that shows the evaluate block doing the same", async (t) => {
  const file = writeConfig(
    dir,
    "plugin.yaml",
    `
model: mlp
data: mnist
evaluate: { bits: [4, 3, 2] }
plugins:
  - { use: quantize-on-eval, bits: [8, 4], granularity: channel }
`,
  );
  const err = await configError(loadTrainConfig(file));
  t.is(err.issues.length, 1);
  t.regex(
    err.message,
    /plugin\.yaml:5:5: plugins\[0\] \(quantize-on-eval\): in a CLI config quantization is set in "evaluate", not as a plugin; write evaluate: \{ bits: \[8, 4\], granularity: channel, perEpoch: true \} instead/,
  );

  const compare = writeConfig(
    dir,
    "plugin-compare.yaml",
    `
model: mlp
data: mnist
methods:
  - { name: SGD }
  - name: Q
    plugins: [{ use: hero }, { use: "@flatfit/plugin-quantize-on-eval" }]
`,
  );
  const e2 = await configError(loadCompareConfig(compare));
  t.regex(e2.message, /plugin-compare\.yaml:6:30: methods\[1\]\.plugins\[1\] \(quantize-on-eval\): .*write evaluate: \{ bits: \[8, 6, 5, 4\], perEpoch: true \}/);

  const sweep = writeConfig(dir, "plugin-sweep.yaml", "model: mlp\ndata: mnist\nplugins: [{ use: quantize-on-eval }]\ngrid: { epochs: [1, 2] }\n");
  const e3 = await configError(loadSweepConfig(sweep));
  t.regex(e3.message, /plugins\[0\] \(quantize-on-eval\): in a CLI config quantization is set in "evaluate"/);
});

test("evaluate: each problem names its field and what is accepted", async (t) => {
  const file = writeConfig(
    dir,
    "bad.yaml",
    `
model: mlp
data: mnist
evaluate:
  bits: [8, 1]
  granularity: row
  setups:
    - { name: a, gran: channel }
    - { scheme: asym }
`,
  );
  const err = await configError(loadTrainConfig(file));
  t.regex(err.message, /bad\.yaml:4:13: evaluate\.bits\[1\]: a bit-width is an integer from 2 to 16 \(got 1\)/);
  t.regex(err.message, /bad\.yaml:5:3: evaluate\.granularity: .*"tensor"\|"channel" \(got "row"\)/);
  t.regex(err.message, /bad\.yaml:7:18: evaluate\.setups\[0\]: unknown field "gran"; accepted: name, bits, scheme, granularity, targets, foldBatchNorm/);
  t.regex(err.message, /bad\.yaml:8:\d+: evaluate\.setups\[1\]\.name: each setup needs a name/);
  t.regex(err.message, /bad\.yaml:8:\d+: evaluate\.setups\[1\]\.scheme: .*"symmetric"\|"asymmetric" \(got "asym"\)/);

  const noBits = writeConfig(dir, "nobits.yaml", "model: mlp\ndata: mnist\nevaluate: { foldBatchNorm: true, perEpoch: true }\n");
  const e2 = await configError(loadTrainConfig(noBits));
  t.regex(e2.message, /evaluate\.foldBatchNorm: quantization option "foldBatchNorm" is set, but evaluate\.bits is empty: list the bit-widths/);
  t.regex(e2.message, /evaluate\.perEpoch: .* evaluate\.bits is empty/);

  const setups = writeConfig(dir, "setups-bad.yaml", "model: mlp\ndata: mnist\nevaluate:\n  setups:\n    - { name: a, bits: [4, 4] }\n    - { name: a }\n");
  const e3 = await configError(loadTrainConfig(setups));
  t.regex(e3.message, /evaluate\.setups\[0\]\.bits: "bits" lists a bit-width twice/);
  const dup = writeConfig(dir, "setups-dup.yaml", "model: mlp\ndata: mnist\nevaluate:\n  bits: [4]\n  setups:\n    - { name: a }\n    - { name: a }\n    - { name: b }\n");
  const e4 = await configError(loadTrainConfig(dup));
  t.regex(e4.message, /setups-dup\.yaml:7:\d+: evaluate\.setups\[1\]\.name: setup name "a" is used twice \(also setups\[0\]\)/);
  const empty = writeConfig(dir, "setups-empty.yaml", "model: mlp\ndata: mnist\nevaluate:\n  setups:\n    - { name: a }\n");
  const e5 = await configError(loadTrainConfig(empty));
  t.regex(e5.message, /evaluate\.setups\[0\]\.bits: setup "a" has no bit-widths: list them here or in evaluate\.bits/);
});

test("compare: baseline must name a method", async (t) => {
  const file = writeConfig(dir, "baseline.yaml", "model: mlp\ndata: mnist\nbaseline: Adam\nmethods: [{ name: SGD }, { name: HERO, plugins: [{ use: hero }] }]\n");
  const err = await configError(loadCompareConfig(file));
  t.regex(err.message, /baseline\.yaml:3:1: baseline: no method is named "Adam"; accepted: "SGD", "HERO"/);
  const ok = writeConfig(dir, "baseline-ok.yaml", "model: mlp\ndata: mnist\nbaseline: HERO\nmethods: [{ name: SGD }, { name: HERO, plugins: [{ use: hero }] }]\n");
  t.is((await loadCompareConfig(ok)).config.baseline, "HERO");
});

test("sweep: a metric of a variant the runs do not evaluate is an error that lists the ones they do", async (t) => {
  const file = writeConfig(dir, "sweep-metric.yaml", "model: mlp\ndata: mnist\nevaluate: { bits: [8, 4] }\nmetric: acc@3bit\ngrid: { epochs: [1, 2] }\n");
  const err = await configError(loadSweepConfig(file));
  t.regex(err.message, /sweep-metric\.yaml:4:1: metric: ranks by the 3bit evaluation, which the runs do not make; accepted: acc@float32, acc@8bit, acc@4bit \(list the bit-width in evaluate\.bits\)/);
  const ok = writeConfig(dir, "sweep-metric-ok.yaml", "model: mlp\ndata: mnist\nevaluate: { bits: [4], setups: [{ name: ch, granularity: channel }] }\nmetric: acc@4bit-ch\ngrid: { epochs: [1, 2] }\n");
  t.is((await loadSweepConfig(ok)).config.metric, "acc@4bit-ch");
  const some = writeConfig(dir, "sweep-metric-some.yaml", "model: mlp\ndata: mnist\nmetric: loss@2bit\ngrid: { evaluate.bits: [[2], [4]] }\n");
  const e2 = await configError(loadSweepConfig(some));
  t.regex(e2.message, /metric: ranks by the 2bit evaluation, which the runs do not make in the trial evaluate\.bits = \[4\]; accepted: loss@float32, loss@4bit/);
});

test("evaluate takes quantize-on-eval's preset too, checked by the plugin's own rules where the value sits", async (t) => {
  const one = writeConfig(dir, "preset.yaml", "model: mlp\ndata: mnist\nevaluate: { preset: tfjs-converter }\n");
  const { config } = await loadTrainConfig(one);
  t.deepEqual(config.evaluate.bits, [8, 16], "the preset's own default bits");
  t.deepEqual(quantizationSetups(config.evaluate).map((s) => [s.name, s.options.preset, s.options.bits]), [["", "tfjs-converter", [8, 16]]]);

  const file = writeConfig(
    dir,
    "preset-setups.yaml",
    `
model: mlp
data: mnist
evaluate:
  foldBatchNorm: true
  setups:
    - { name: folded }
    - { name: tfjs, preset: tfjs-converter }
    - { name: tfjs4, preset: tfjs-converter, bits: [4], foldBatchNorm: false }
methods: [{ name: SGD }]
`,
  );
  const err = await configError(loadCompareConfig(file));
  // the second setup inherits compare's default bits [8, 6, 5, 4] and the block's foldBatchNorm
  t.regex(err.message, /preset-setups\.yaml:7:\d+: evaluate\.setups\[1\]\.preset: preset "tfjs-converter" stores weights as uint8 or uint16: a bit-width is 8 or 16, but this setup takes the default bits \[8,6,5,4\]: give it bits of its own/);
  t.regex(err.message, /preset-setups\.yaml:4:3: evaluate\.foldBatchNorm: preset "tfjs-converter" fixes how weights are quantized .*leave "foldBatchNorm" out — setups\[1\] \("tfjs"\) inherits it: give that setup foldBatchNorm: false, or set foldBatchNorm in the setups that want it/);
  t.regex(err.message, /preset-setups\.yaml:8:\d+: evaluate\.setups\[2\]\.bits\[0\]: preset "tfjs-converter" stores weights as uint8 or uint16/);
});
