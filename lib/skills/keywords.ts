/**
 * SkillLite's capability keyword table (DESIGN.md §4): a tag is inferred when any of
 * its keywords occurs, case-insensitively, as a substring of the text.
 *
 * @module
 */

/** Tag → keywords, in SkillLite's order. */
export const CAPABILITY_KEYWORDS: ReadonlyArray<
  readonly [tag: string, keywords: readonly string[]]
> = [
  ["python", ["python"]],
  ["web", ["network", "网络", "http", "internet"]],
  ["node", ["node.js", "nodejs"]],
  ["browser", ["playwright", "agent-browser", "chromium", "browser"]],
  ["data", ["pandas", "numpy", "data-analysis"]],
  ["calc", ["calculator", "计算", "arithmetic", "math"]],
];

/**
 * Tags whose keywords occur in `text`, sorted, without duplicates.
 *
 * @example
 * ```ts
 * import { inferCapabilities } from "./keywords.ts";
 * console.assert(inferCapabilities("A Python calculator").join() === "calc,python");
 * ```
 */
export function inferCapabilities(text: string): string[] {
  const haystack = text.toLowerCase();
  const tags = CAPABILITY_KEYWORDS
    .filter(([, keywords]) => keywords.some((k) => haystack.includes(k)))
    .map(([tag]) => tag);
  return [...new Set(tags)].sort();
}
