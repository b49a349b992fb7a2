import test from "ava";
import { injectable, inject } from "tsyringe";
import { createFlatfit, HessianVectorProduct, Logger, PLUGIN_OPTIONS, RandomSource, z, type FlatfitHooks } from "@flatfit/core";

@injectable()
class Injected {
  static id = "injected";
  static options = z.strictObject({ level: z.number().default(3) });
  constructor(
    @inject(PLUGIN_OPTIONS) readonly options: { level: number },
    readonly random: RandomSource,
    readonly logger: Logger,
    readonly hvp: HessianVectorProduct,
  ) {}
  apply(_hooks: FlatfitHooks): void {}
}

test("a decorated plugin receives its validated options and the instance's shared services by injection", async (t) => {
  const a = await createFlatfit({ seed: 5, plugins: [{ use: Injected }, { use: Injected, level: 7 }] }, { logSink: () => {} });
  const b = await createFlatfit({ seed: 5, plugins: [{ use: Injected }] }, { logSink: () => {} });
  const p0 = a.plugin<Injected>(0);
  const p1 = a.plugin<Injected>(1);
  t.is(p0.options.level, 3, "defaults filled in");
  t.is(p1.options.level, 7);
  t.is(p0.random, a.random, "one RandomSource per instance, shared by its plugins");
  t.is(p1.random, a.random);
  t.is(p0.logger, a.logger);
  t.is(p0.hvp, a.hvp);
  t.not(b.plugin<Injected>(0).random, a.random, "instances do not share services");
  t.is(b.plugin<Injected>(0).random.seed, 5);
});
