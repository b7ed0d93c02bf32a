/**
 * `@foxglove/ws-protocol`'s classes, whichever way the package is loaded: Node's ESM loader
 * sees its CommonJS build, whose `FoxgloveServer`/`FoxgloveClient` exports (getters) are only
 * on the default export, while bundlers and vite-node resolve its ESM build (named exports only).
 */
import * as wsProtocol from "@foxglove/ws-protocol";

type Module = typeof wsProtocol;
const mod: Module =
  (wsProtocol as Partial<Module>).FoxgloveServer !== undefined
    ? wsProtocol
    : (wsProtocol as unknown as { default: Module }).default;

export const FoxgloveServer = mod.FoxgloveServer;
export const FoxgloveClient = mod.FoxgloveClient;
export type FoxgloveServer = InstanceType<typeof FoxgloveServer>;
export type FoxgloveClient = InstanceType<typeof FoxgloveClient>;
