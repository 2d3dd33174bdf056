/**
 * What a skill reads on stdin for a task.
 *
 * @module
 */
import type { NodeTask } from "../protocol/mod.ts";

/**
 * The JSON text a skill receives on stdin: the task's `input` when present (any JSON
 * value); else the description itself when it is a JSON object; else
 * `{"description": …}`.
 *
 * @param task The task (only `input` and `description` are read).
 * @returns One JSON text.
 * @example
 * ```ts
 * import { skillInput } from "./skill_input.ts";
 * console.assert(skillInput({ description: "add", input: { a: 1 } }) === '{"a":1}');
 * console.assert(skillInput({ description: '{"a": 2}' }) === '{"a":2}');
 * console.assert(skillInput({ description: "hello" }) === '{"description":"hello"}');
 * ```
 */
export function skillInput(task: Pick<NodeTask, "description" | "input">): string {
  if (task.input !== undefined) return JSON.stringify(task.input);
  const parsed = parseObject(task.description);
  if (parsed !== undefined) return JSON.stringify(parsed);
  return JSON.stringify({ description: task.description });
}

function parseObject(text: string): Record<string, unknown> | undefined {
  if (!text.trimStart().startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // Not JSON: the description is prose.
  }
  return undefined;
}
