/**
 * HTTP client for swarm and SkillLite nodes, and the resolution of where it points.
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
export type {
  CanDoBody,
  ErrorBody,
  NewSkill,
  NodeResult,
  NodeTask,
  StatusBody,
  StreamEvent,
  TaskContext,
} from "../protocol/types.ts";
