/**
 * @flatfit/core's Node entry: everything the browser-safe entry exports, with the Node host
 * installed (config files, plugins by name or path, native backends). package.json's `exports`
 * picks this file under the "node" condition.
 */
import { setHost } from "./host";
import { nodeHost } from "./node-host";

setHost(nodeHost);

export * from "./index";
