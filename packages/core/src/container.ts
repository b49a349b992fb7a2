/**
 * Dependency injection: one tsyringe container per `createFlatfit` call holds the shared
 * services (seeded RandomSource, Logger, HessianVectorProduct, the config). Each plugin is
 * built in a child container that also holds its validated options under PLUGIN_OPTIONS.
 */
import "reflect-metadata";
import { container as rootContainer, type DependencyContainer } from "tsyringe";
import { HessianVectorProduct } from "./hvp";
import { Logger } from "./logger";
import { FLATFIT_CONFIG, PLUGIN_OPTIONS, type FlatfitPlugin, type PluginClass, type PluginServices } from "./plugin";
import { RandomSource } from "./random";

export function createContainer(config: unknown, services: PluginServices): DependencyContainer {
  const c = rootContainer.createChildContainer();
  c.registerInstance(FLATFIT_CONFIG, config);
  c.registerInstance(RandomSource, services.random);
  c.registerInstance(Logger, services.logger);
  c.registerInstance(HessianVectorProduct, services.hvp);
  return c;
}

/** Decorated for tsyringe (emitted `design:paramtypes`, or `@inject` tokens)? */
function isInjectable(cls: PluginClass): boolean {
  return Reflect.getOwnMetadata("design:paramtypes", cls) !== undefined || Reflect.getOwnMetadata("injectionTokens", cls) !== undefined;
}

/** The services a decorated plugin may take by type, without a token. */
const SERVICES: readonly unknown[] = [RandomSource, Logger, HessianVectorProduct];

/**
 * Why tsyringe could not build `cls`: the first constructor parameter with no token and no
 * service type, or (when every parameter has one) a second copy of tsyringe.
 */
function diagnoseInjection(cls: PluginClass): string {
  const types = (Reflect.getOwnMetadata("design:paramtypes", cls) as unknown[] | undefined) ?? [];
  const tokens = (Reflect.getOwnMetadata("injectionTokens", cls) as Record<number, unknown> | undefined) ?? {};
  for (let i = 0; i < types.length; i++) {
    if (tokens[i] !== undefined || SERVICES.includes(types[i])) continue;
    const type = typeof types[i] === "function" ? (types[i] as { name: string }).name || "(anonymous)" : String(types[i]);
    return (
      `constructor parameter ${i} (type ${type}) has no injection token. Decorate the options parameter with ` +
      `@inject(PLUGIN_OPTIONS); RandomSource, Logger and HessianVectorProduct are injected by type.`
    );
  }
  return (
    `every constructor parameter has a token or a service type, so two copies of tsyringe (or reflect-metadata) are ` +
    `probably loaded: take tsyringe and reflect-metadata as peerDependencies of the plugin package, not dependencies.`
  );
}

export function constructPlugin(c: DependencyContainer, cls: PluginClass, options: unknown, label = cls.id ?? cls.name): FlatfitPlugin {
  try {
    if (isInjectable(cls)) {
      const child = c.createChildContainer();
      child.registerInstance(PLUGIN_OPTIONS, options);
      try {
        return child.resolve(cls as unknown as new (...args: unknown[]) => FlatfitPlugin);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (/TypeInfo not known|Cannot inject the dependency|Attempted to resolve unregistered dependency/.test(message)) {
          throw new Error(`tsyringe could not construct the plugin: ${diagnoseInjection(cls)} (tsyringe said: ${message.split("\n")[0]})`);
        }
        throw err;
      }
    }
    const services: PluginServices = {
      random: c.resolve(RandomSource),
      logger: c.resolve(Logger),
      hvp: c.resolve(HessianVectorProduct),
    };
    return new cls(options, services);
  } catch (err) {
    throw new Error(`${label}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
