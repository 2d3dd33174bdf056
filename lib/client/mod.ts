/**
 * HTTP client for swarm and SkillLite nodes (tasks, plain or streamed, status, can-do,
 * and a node's live event stream), and the resolution of where it points. Every failure
 * is a `SwarmError` with a stable code: `peer_unreachable` when no answer comes, the
 * node's own code when it answers one, `forward_failed` for an answer outside swarm's
 * codes (see docs/protocol.md).
 *
 * @example
 * ```ts
 * import { resolveClientConfig, SwarmClient } from "./mod.ts";
 * const config = resolveClientConfig({}, { url: "http://127.0.0.1:7700" });
 * const client = new SwarmClient(config);
 * console.assert(client.url === "http://127.0.0.1:7700");
 * ```
 *
 * @module
 */
export * from "./client.ts";
export * from "./config.ts";
export * from "./read_limited.ts";
