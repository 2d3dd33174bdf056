/**
 * `GET /can-do?required=a,b`: whether this node holds every tag itself.
 *
 * @module
 */
import { Hono } from "hono";
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

/** The `/can-do` route. */
export function canDoRoutes(deps: AppDeps): Hono {
  return new Hono().get("/can-do", (c) => {
    const local = new Set(deps.localCapabilities());
    const required = parseRequired(c.req.query("required"));
    return c.json({ can_do: required.every((t) => local.has(t)), instance_name: deps.nodeId });
  });
}
