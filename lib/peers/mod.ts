/**
 * Peer sources that feed the routing table. Today: static `--peer` seeds.
 *
 * @example
 * ```ts
 * import { identityFromStatus } from "./mod.ts";
 * console.assert(identityFromStatus({ node_id: "n1", capabilities: ["calc"] }, "h:1").swarm);
 * ```
 *
 * @module
 */
export * from "./static_source.ts";
export * from "./health_state.ts";
export * from "./health_checker.ts";
