/**
 * Node assembly: identity, the network worker's permissions, and the supervisor that
 * runs a node.
 *
 * @example
 * ```ts
 * import { workerPermissions } from "./mod.ts";
 * const grant = workerPermissions({ listen: { host: "127.0.0.1", port: 7700 }, allowNet: { kind: "any" }, dataDir: ":memory:" });
 * console.assert(grant.net === true);
 * ```
 *
 * @module
 */
export { runNode, type RunNodeOptions } from "./supervisor.ts";
export { loadNodeId, NODE_ID_FILE } from "./identity.ts";
export { type WorkerPermissions, workerPermissions } from "./permissions.ts";
export { LocalExecutor } from "./local_executor.ts";
