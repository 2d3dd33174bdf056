/**
 * Fingerprint of a task's client-visible content, to tell a retry of a task from a
 * different task that reuses its id.
 *
 * @module
 */
import type { NodeTask } from "../protocol/mod.ts";

/**
 * SHA-256 (lowercase hex) of the canonical JSON of what a client sent: `id`,
 * `description`, `context` (`workspace`, `session_key`, `required_capabilities`),
 * `tool_hint`, `input` and `timeout_ms`. Canonical JSON sorts object keys recursively and
 * keeps arrays in order, so bodies that differ only in key order or whitespace share a
 * fingerprint and any change of value gives another. Absent optional fields and
 * `undefined` values are left out; a missing `required_capabilities` counts as `[]`, its
 * protocol default. Other fields (hop headers, extensions added in transit) are ignored.
 *
 * @param task A task as parsed from a request body.
 * @returns 64 hex digits.
 * @throws {TypeError} When `input` holds a value JSON cannot carry (a bigint, a cycle).
 *
 * @example
 * ```ts
 * import { taskFingerprint } from "./task_fingerprint.ts";
 * const context = { workspace: ".", session_key: "default", required_capabilities: [] };
 * const a = await taskFingerprint({ id: "t1", description: "add", context, input: { a: 1, b: 2 } });
 * const b = await taskFingerprint({ id: "t1", description: "add", context, input: { b: 2, a: 1 } });
 * console.assert(a === b && a.length === 64);
 * ```
 */
export async function taskFingerprint(task: NodeTask): Promise<string> {
  const content = {
    id: task.id,
    description: task.description,
    context: {
      workspace: task.context.workspace,
      session_key: task.context.session_key,
      required_capabilities: task.context.required_capabilities ?? [],
    },
    tool_hint: task.tool_hint,
    input: task.input,
    timeout_ms: task.timeout_ms,
  };
  const bytes = new TextEncoder().encode(canonicalJson(content, new Set()));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * JSON with object keys sorted (by UTF-16 code units) at every depth, no whitespace.
 * Follows `JSON.stringify` for everything else: `undefined`, functions and symbols are dropped
 * from objects and become `null` in arrays, `toJSON` is honoured.
 */
function canonicalJson(value: unknown, seen: Set<object>): string {
  if (value !== null && typeof value === "object" && "toJSON" in value) {
    const toJSON = (value as { toJSON: unknown }).toJSON;
    if (typeof toJSON === "function") value = toJSON.call(value);
  }
  if (value === null || typeof value !== "object") {
    // Primitives: JSON.stringify throws TypeError on bigint, as wanted.
    return JSON.stringify(value) ?? "null";
  }
  if (seen.has(value)) {
    throw new TypeError("Cannot fingerprint a task: its input contains a cycle");
  }
  seen.add(value);
  let text: string;
  if (Array.isArray(value)) {
    text = `[${value.map((item) => canonicalJson(item, seen)).join(",")}]`;
  } else {
    const record = value as Record<string, unknown>;
    const members = Object.keys(record).sort()
      .filter((key) => !["undefined", "function", "symbol"].includes(typeof record[key]))
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key], seen)}`);
    text = `{${members.join(",")}}`;
  }
  seen.delete(value);
  return text;
}
