/**
 * Validation of wire bodies. Every failure is a `SwarmError` naming the field, so the
 * HTTP layer answers 422 with the JSON error shape and the forwarder can tell a bad
 * peer answer apart from a good one.
 *
 * @module
 */
import { SwarmError } from "./errors.ts";
import type { NewSkill, NodeResult, NodeTask } from "./types.ts";

type Json = Record<string, unknown>;

/**
 * Largest accepted sizes of a task's fields. Lengths are in UTF-16 code units (what
 * `String.length` counts: one per character for most text, two for an emoji). The whole
 * body is also capped in bytes by the node's `maxBodyBytes` (413 `payload_too_large`);
 * these bound each field below that, so that one field cannot fill logs, task records,
 * routing tables or peer queries.
 */
export const LIMITS = {
  /** Most entries of `context.required_capabilities` (also of `/can-do?required=`). */
  maxCapabilityTags: 64,
  /** Longest capability tag. Tags are also non-empty and free of control characters. */
  maxCapabilityTagChars: 64,
  /** Longest `id`. */
  maxIdChars: 128,
  /** Longest `description`: 256 Ki characters. */
  maxDescriptionChars: 256 * 1024,
  /** Longest `context.workspace` (a path label, so as long as a path may be). */
  maxWorkspaceChars: 4096,
  /** Longest `context.session_key`. */
  maxSessionKeyChars: 256,
  /** Longest `tool_hint` (a skill name). */
  maxToolHintChars: 128,
  /**
   * Deepest nesting of arrays and objects in `input`: the task is fingerprinted, stored
   * and forwarded, and none of that should meet a value built to exhaust the stack.
   */
  maxInputDepth: 64,
} as const;

/** Unicode control characters (C0, DEL, C1): never part of a readable tag. */
const CONTROL = /\p{Cc}/u;

/**
 * What is wrong with one capability tag, or `undefined` when it is acceptable: it must
 * be non-empty, at most {@link LIMITS}`.maxCapabilityTagChars` long, well-formed
 * Unicode and free of control characters.
 *
 * @param tag The tag to check.
 * @returns A phrase to put after the tag's name (`is empty`, …), or `undefined`.
 * @example
 * ```ts
 * import { capabilityTagProblem } from "./validate.ts";
 * console.assert(capabilityTagProblem("calc") === undefined);
 * console.assert(capabilityTagProblem("a\nb") === "contains a control character");
 * ```
 */
export function capabilityTagProblem(tag: string): string | undefined {
  if (tag === "") return "is empty";
  if (tag.length > LIMITS.maxCapabilityTagChars) {
    return `is longer than ${LIMITS.maxCapabilityTagChars} characters`;
  }
  if (!tag.isWellFormed()) return "is not well-formed Unicode (a lone surrogate)";
  if (CONTROL.test(tag)) return "contains a control character";
  return undefined;
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function requireString(
  obj: Json,
  key: string,
  path: string,
  code: "invalid_task" | "bad_peer_response",
): string {
  const value = obj[key];
  if (typeof value !== "string") {
    const found = value === undefined ? "missing" : `a ${describe(value)}`;
    throw new SwarmError(code, `Field '${path}' must be a string: it is ${found}`, { field: path });
  }
  return value;
}

function checkLength(value: string, max: number, path: string): void {
  if (value.length > max) {
    throw new SwarmError("invalid_task", `Field '${path}' is longer than ${max} characters`, {
      field: path,
    });
  }
}

function checkCapabilities(tags: string[]): void {
  const path = "context.required_capabilities";
  if (tags.length > LIMITS.maxCapabilityTags) {
    throw new SwarmError(
      "invalid_task",
      `Field '${path}' has more than ${LIMITS.maxCapabilityTags} entries: it has ${tags.length}`,
      { field: path },
    );
  }
  tags.forEach((tag, i) => {
    const problem = capabilityTagProblem(tag);
    if (problem) {
      throw new SwarmError("invalid_task", `Field '${path}[${i}]' ${problem}`, {
        field: `${path}[${i}]`,
      });
    }
  });
}

/**
 * Checks a decoded `POST /task` body and returns it as a {@link NodeTask}, with
 * `required_capabilities` defaulted to `[]` and unknown fields dropped.
 *
 * @throws {SwarmError} `invalid_task` (422) naming the first bad field, also when a
 * field is over its {@link LIMITS}.
 * @example
 * ```ts
 * import { parseNodeTask } from "./validate.ts";
 * const task = parseNodeTask({ id: "t1", description: "hi", context: { workspace: ".", session_key: "default" } });
 * console.assert(task.context.required_capabilities.length === 0);
 * ```
 */
export function parseNodeTask(body: unknown): NodeTask {
  const code = "invalid_task";
  if (!isObject(body)) {
    throw new SwarmError(code, `Task body must be a JSON object: it is a ${describe(body)}`, {
      field: "",
    });
  }
  const id = requireString(body, "id", "id", code);
  if (id.trim() === "") {
    throw new SwarmError(code, "Field 'id' must not be empty", { field: "id" });
  }
  checkLength(id, LIMITS.maxIdChars, "id");
  const description = requireString(body, "description", "description", code);
  checkLength(description, LIMITS.maxDescriptionChars, "description");
  const context = body.context;
  if (!isObject(context)) {
    const found = context === undefined ? "missing" : `a ${describe(context)}`;
    throw new SwarmError(code, `Field 'context' must be an object: it is ${found}`, {
      field: "context",
    });
  }
  const workspace = requireString(context, "workspace", "context.workspace", code);
  checkLength(workspace, LIMITS.maxWorkspaceChars, "context.workspace");
  const session_key = requireString(context, "session_key", "context.session_key", code);
  checkLength(session_key, LIMITS.maxSessionKeyChars, "context.session_key");
  const required = context.required_capabilities ?? [];
  if (!Array.isArray(required) || required.some((t) => typeof t !== "string")) {
    throw new SwarmError(
      code,
      "Field 'context.required_capabilities' must be an array of strings",
      { field: "context.required_capabilities" },
    );
  }
  checkCapabilities(required as string[]);
  const task: NodeTask = {
    id,
    description,
    context: { workspace, session_key, required_capabilities: required as string[] },
  };
  if (body.tool_hint !== undefined && body.tool_hint !== null) {
    task.tool_hint = requireString(body, "tool_hint", "tool_hint", code);
    checkLength(task.tool_hint, LIMITS.maxToolHintChars, "tool_hint");
  }
  if (body.input !== undefined) {
    if (nestingDepth(body.input, LIMITS.maxInputDepth) > LIMITS.maxInputDepth) {
      throw new SwarmError(
        code,
        `Field 'input' nests deeper than ${LIMITS.maxInputDepth} levels`,
        { field: "input" },
      );
    }
    task.input = body.input;
  }
  if (body.timeout_ms !== undefined && body.timeout_ms !== null) {
    const t = body.timeout_ms;
    if (typeof t !== "number" || !Number.isSafeInteger(t) || t <= 0) {
      throw new SwarmError(code, "Field 'timeout_ms' must be a positive integer", {
        field: "timeout_ms",
      });
    }
    task.timeout_ms = t;
  }
  return task;
}

function parseNewSkill(value: unknown): NewSkill | null {
  if (value === undefined || value === null) return null;
  if (!isObject(value)) {
    throw new SwarmError("bad_peer_response", "Field 'new_skill' must be an object or null", {
      field: "new_skill",
    });
  }
  const f = (k: string) => requireString(value, k, `new_skill.${k}`, "bad_peer_response");
  return { name: f("name"), description: f("description"), path: f("path"), txn_id: f("txn_id") };
}

/**
 * Checks a NodeResult (from a peer or an external agent command) exactly as SkillLite
 * would: `tool_calls` must be a non-negative integer, `new_skill` complete or null.
 *
 * @throws {SwarmError} `bad_peer_response` naming the first bad field.
 * @example
 * ```ts
 * import { parseNodeResult } from "./validate.ts";
 * const r = parseNodeResult({ task_id: "t1", response: "2", task_completed: true, tool_calls: 1 });
 * console.assert(r.tool_calls === 1);
 * ```
 */
export function parseNodeResult(body: unknown): NodeResult {
  const code = "bad_peer_response";
  if (!isObject(body)) {
    throw new SwarmError(code, `Result must be a JSON object: it is a ${describe(body)}`, {
      field: "",
    });
  }
  const task_id = requireString(body, "task_id", "task_id", code);
  const response = requireString(body, "response", "response", code);
  if (typeof body.task_completed !== "boolean") {
    throw new SwarmError(code, "Field 'task_completed' must be a boolean", {
      field: "task_completed",
    });
  }
  const toolCalls = body.tool_calls;
  if (typeof toolCalls !== "number" || !Number.isSafeInteger(toolCalls) || toolCalls < 0) {
    throw new SwarmError(code, "Field 'tool_calls' must be a non-negative integer", {
      field: "tool_calls",
    });
  }
  const result: NodeResult = {
    task_id,
    response,
    task_completed: body.task_completed,
    tool_calls: toolCalls,
  };
  const newSkill = parseNewSkill(body.new_skill);
  if (newSkill) result.new_skill = newSkill;
  return result;
}

/**
 * Nesting depth of a JSON value (a scalar is 0, `[]` is 1), counted without recursion
 * and given up once it exceeds `limit`.
 *
 * @example
 * ```ts
 * import { nestingDepth } from "./validate.ts";
 * console.assert(nestingDepth({ a: [1, { b: 2 }] }, 64) === 3);
 * ```
 */
export function nestingDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (typeof item !== "object" || item === null) continue;
    const here = depth + 1;
    if (here > deepest) deepest = here;
    if (deepest > limit) return deepest;
    for (const child of Object.values(item)) stack.push([child, here]);
  }
  return deepest;
}
