/**
 * How a finished skill process becomes a NodeResult.
 *
 * @module
 */
import type { NodeResult } from "../protocol/mod.ts";
import type { ProcessRun } from "./run_process.ts";

/** Characters of stderr (its end) and stdout (its start) kept in an error response. */
export const ERROR_EXCERPT_CHARS = 2048;

/**
 * Maps a finished skill run to the task's NodeResult.
 *
 * The task is completed when the process exited 0 on its own (no timeout, abort or
 * output cap) and printed valid JSON that is not an object with an `error` field; the
 * response is then that JSON text, trimmed, verbatim. A skill's own error object is
 * kept as the response too. In every other case the response is a JSON text
 * `{"error", "exit_code", "stderr", "output"}` with the reason, the exit code, the end
 * of stderr and the start of stdout. `tool_calls` is 1: the skill process ran once.
 * A run that hit a resource limit (`limitReason` given) is never completed: its
 * reason comes first in `error`.
 *
 * @param taskId The task's id.
 * @param run How the process ran.
 * @param limitReason Why a resource limit stopped the run (see `limitReason()`), if one did.
 * @returns The NodeResult.
 * @example
 * ```ts
 * import { mapProcessRun } from "./result_mapping.ts";
 * const run = {
 *   exitCode: 0, signal: null, stdout: '{"result": 4}\n', stderr: "",
 *   timedOut: false, truncated: false, aborted: false, durationMs: 12,
 * };
 * const result = mapProcessRun("t1", run);
 * console.assert(result.task_completed && result.response === '{"result": 4}');
 * ```
 */
export function mapProcessRun(
  taskId: string,
  run: ProcessRun,
  limitReason?: string,
): NodeResult {
  const output = run.stdout.trim();
  const parsed = parseJson(output);
  const finished = !run.aborted && !run.timedOut && !run.truncated && limitReason === undefined;
  const ownError = parsed.ok && isObject(parsed.value) && "error" in parsed.value;
  if (finished && parsed.ok && (ownError || run.exitCode === 0)) {
    return result(taskId, output, !ownError);
  }
  const failure = {
    error: limitReason === undefined ? reason(run, output) : withLimit(limitReason, run, output),
    exit_code: run.exitCode,
    stderr: tail(run.stderr, ERROR_EXCERPT_CHARS),
    output: head(run.stdout, ERROR_EXCERPT_CHARS),
  };
  return result(taskId, JSON.stringify(failure), false);
}

function result(taskId: string, response: string, completed: boolean): NodeResult {
  return { task_id: taskId, response, task_completed: completed, tool_calls: 1 };
}

function reason(run: ProcessRun, output: string): string {
  if (run.aborted) return "Aborted: the run was cancelled and the process killed";
  if (run.timedOut) {
    return `Timed out: the process was killed after ${Math.round(run.durationMs)} ms`;
  }
  if (run.truncated) return "Output limit exceeded: the process was killed and its output cut";
  if (run.exitCode !== 0) {
    const by = run.signal ? ` (signal ${run.signal})` : "";
    return `Skill failed: exit code ${run.exitCode}${by}`;
  }
  if (output === "") return "Skill printed nothing on stdout";
  return "Skill output is not JSON";
}

function withLimit(limitReason: string, run: ProcessRun, output: string): string {
  const cleanExit = run.exitCode === 0 && !run.aborted && !run.timedOut && !run.truncated;
  return cleanExit ? limitReason : `${limitReason}; ${reason(run, output)}`;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text === "") return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function head(text: string, chars: number): string {
  if (text.length <= chars) return text;
  const cut = text.slice(0, chars);
  return isHighSurrogate(cut.charCodeAt(cut.length - 1)) ? cut.slice(0, -1) : cut;
}

function tail(text: string, chars: number): string {
  if (text.length <= chars) return text;
  const cut = text.slice(-chars);
  return isLowSurrogate(cut.charCodeAt(0)) ? cut.slice(1) : cut;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
