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

/**
 * Checks a decoded `POST /task` body and returns it as a {@link NodeTask}, with
 * `required_capabilities` defaulted to `[]` and unknown fields dropped.
 *
 * @throws {SwarmError} `invalid_task` (422) naming the first bad field.
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
  const description = requireString(body, "description", "description", code);
  const context = body.context;
  if (!isObject(context)) {
    const found = context === undefined ? "missing" : `a ${describe(context)}`;
    throw new SwarmError(code, `Field 'context' must be an object: it is ${found}`, {
      field: "context",
    });
  }
  const workspace = requireString(context, "workspace", "context.workspace", code);
  const session_key = requireString(context, "session_key", "context.session_key", code);
  const required = context.required_capabilities ?? [];
  if (!Array.isArray(required) || required.some((t) => typeof t !== "string")) {
    throw new SwarmError(
      code,
      "Field 'context.required_capabilities' must be an array of strings",
      { field: "context.required_capabilities" },
    );
  }
  const task: NodeTask = {
    id,
    description,
    context: { workspace, session_key, required_capabilities: required as string[] },
  };
  if (body.tool_hint !== undefined && body.tool_hint !== null) {
    task.tool_hint = requireString(body, "tool_hint", "tool_hint", code);
  }
  if (body.input !== undefined) task.input = body.input;
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
