/**
 * `GET /can-do?required=a,b`: whether this node holds every tag itself.
 *
 * @module
 */
import { Hono } from "hono";
import { capabilityTagProblem, LIMITS, SwarmError } from "../../protocol/mod.ts";
import type { AppDeps } from "../types.ts";

/**
 * Splits `required` as SkillLite does: on commas, trimmed, empties dropped.
 *
 * @example
 * ```ts
 * import { parseRequired } from "./can_do.ts";
 * console.assert(parseRequired(" a, ,b ").join() === "a,b");
 * ```
 */
export function parseRequired(value: string | undefined): string[] {
  return (value ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
}

/**
 * Checks the tags of `/can-do?required=` against the task's tag limits ({@link LIMITS}).
 *
 * @param tags The tags as {@link parseRequired} split them.
 * @returns `tags`, unchanged.
 * @throws {SwarmError} `invalid_request` (400) with `field: "required"`, for more than
 * `maxCapabilityTags` tags or a tag that no task could require.
 * @example
 * ```ts
 * import { checkRequired } from "./can_do.ts";
 * console.assert(checkRequired(["calc", "web"]).length === 2);
 * ```
 */
export function checkRequired(tags: string[]): string[] {
  const fail = (problem: string) =>
    new SwarmError("invalid_request", `Query parameter 'required' ${problem}`, {
      field: "required",
    });
  if (tags.length > LIMITS.maxCapabilityTags) {
    throw fail(`has more than ${LIMITS.maxCapabilityTags} tags: it has ${tags.length}`);
  }
  tags.forEach((tag, i) => {
    const problem = capabilityTagProblem(tag);
    if (problem) throw fail(`tag ${i} ${problem}`);
  });
  return tags;
}

/** The `/can-do` route. */
export function canDoRoutes(deps: AppDeps): Hono {
  return new Hono().get("/can-do", (c) => {
    const local = new Set(deps.localCapabilities());
    const required = checkRequired(parseRequired(c.req.query("required")));
    return c.json({ can_do: required.every((t) => local.has(t)), instance_name: deps.nodeId });
  });
}
