/**
 * Peer sources that feed the routing table (static `--peer` seeds), and what is known
 * of each peer: its health and whether it proved mesh membership.
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
export * from "./membership_checker.ts";
