/**
 * A node's advertised capabilities.
 *
 * @module
 */
import type { Skill } from "./types.ts";

/**
 * The sorted union of the capability tags of `skills`, of every kind (reference and
 * bash-tool skills count too, as in SkillLite).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nodeCapabilities } from "./node_capabilities.ts";
 * const caps = nodeCapabilities([{ capabilities: ["web", "calc"] }, { capabilities: ["calc"] }]);
 * assert.ok(caps.join() === "calc,web");
 * ```
 */
export function nodeCapabilities(skills: readonly Pick<Skill, "capabilities">[]): string[] {
  const tags = new Set(skills.flatMap((skill) => skill.capabilities));
  return [...tags].sort((a, b) => a < b ? -1 : a > b ? 1 : 0);
}
