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

export function constructPlugin(c: DependencyContainer, cls: PluginClass, options: unknown): FlatfitPlugin {
  if (isInjectable(cls)) {
    const child = c.createChildContainer();
    child.registerInstance(PLUGIN_OPTIONS, options);
    return child.resolve(cls as unknown as new (...args: unknown[]) => FlatfitPlugin);
  }
  const services: PluginServices = {
    random: c.resolve(RandomSource),
    logger: c.resolve(Logger),
    hvp: c.resolve(HessianVectorProduct),
  };
  return new cls(options, services);
}
