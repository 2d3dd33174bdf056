/**
 * Capability inference without a language model: SkillLite's keyword table plus an
 * arithmetic rule.
 *
 * @module
 */
import { inferCapabilities } from "../skills/mod.ts";

/**
 * Numbers joined by an arithmetic operator, e.g. `1+1`, `12 * 7`, `(3 − 1)/2`, `2^10`;
 * a number glued to Latin letters (`x86-64`, `v1-2`) does not count.
 */
const EXPRESSION = /(?<![A-Za-z\d.])\d+(?:\.\d+)?\s*[+\-−*/×÷^%]\s*[(\-−]?\s*\d/;
/** Words that ask for a calculation by themselves. */
const CALC_WORDS = /等于几|等于多少|\b(?:calculate|calculating|compute|sum of|product of)\b/i;
/** Words that ask for a calculation when the text also holds a digit. */
const QUANTITY_WORDS = /多少|\bhow much is\b/i;
/** Text whose digits and dashes are not arithmetic: URLs, dates, times. */
const NOT_ARITHMETIC = [
  /\b[a-z][a-z0-9+.-]*:\/\/\S+/gi,
  /\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b/g,
  /\b\d{1,2}:\d{2}(?::\d{2})?\b/g,
];

function asksForArithmetic(description: string): boolean {
  let text = description.normalize("NFKC");
  for (const pattern of NOT_ARITHMETIC) text = text.replace(pattern, " ");
  if (EXPRESSION.test(text) || CALC_WORDS.test(text)) return true;
  return QUANTITY_WORDS.test(text) && /\d/.test(text);
}

/**
 * Tags a task needs, guessed from its description: the keyword table of
 * `lib/skills/keywords.ts`, plus `calc` for an arithmetic expression (`1+1等于几？`,
 * `what is 12 * 7`) or words such as 等于几, calculate, compute, "sum of" (多少 and
 * "how much is" count only next to a digit). URLs and dates are not arithmetic.
 * Only tags in `knownTags` are returned, sorted.
 *
 * @example
 * ```ts
 * import { inferFromDescription } from "./infer_offline.ts";
 * console.assert(inferFromDescription("1+1等于几？", ["calc", "web"]).join() === "calc");
 * ```
 */
export function inferFromDescription(description: string, knownTags: string[]): string[] {
  const tags = new Set(inferCapabilities(description));
  if (asksForArithmetic(description)) tags.add("calc");
  return [...tags].filter((tag) => knownTags.includes(tag)).sort();
}
