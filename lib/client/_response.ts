/**
 * Turning peer answers into results, events and typed errors.
 *
 * @module
 */
import {
  ERROR_STATUS,
  type ErrorBody,
  type ErrorCode,
  parseNodeResult,
  type StreamEvent,
  SwarmError,
} from "../protocol/mod.ts";

type Json = Record<string, unknown>;

/** Longest part of a peer's error body quoted in a message. */
const SNIPPET_LENGTH = 200;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Whether `code` is one of swarm's stable error codes. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.hasOwn(ERROR_STATUS, code);
}

function snippet(text: string): string {
  const flat = text.trim().replace(/\s+/g, " ");
  return flat.length > SNIPPET_LENGTH ? `${flat.slice(0, SNIPPET_LENGTH)}…` : flat;
}

/**
 * The error a non-2xx answer stands for: the server's own code and message when its
 * body is swarm's JSON error shape with a known code (a SkillLite node's 502
 * `forward_failed` included), else `forward_failed` quoting the status and the start of
 * the body. `details.status` is the HTTP status received.
 */
export function errorFromBody(
  status: number,
  statusText: string,
  text: string,
  url: string,
): SwarmError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (isObject(body) && isErrorCode(body.error)) {
    const { error, message, ...rest } = body;
    const text = typeof message === "string" && message !== ""
      ? message
      : `${url} answered ${status} ${statusText}`.trimEnd();
    return new SwarmError(error, text, { ...rest, status });
  }
  const head = `${url} answered ${status} ${statusText}`.trimEnd();
  const quoted = snippet(text);
  return new SwarmError("forward_failed", quoted ? `${head}: ${quoted}` : head, { status });
}

/** Decodes a 2xx JSON body, or throws `bad_peer_response` naming the source. */
export function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new SwarmError("bad_peer_response", `Invalid JSON from ${source}: ${reason}`, {}, {
      cause: err,
    });
  }
}

function parseErrorBody(value: unknown, source: string): ErrorBody {
  if (!isObject(value) || typeof value.error !== "string" || typeof value.message !== "string") {
    throw new SwarmError(
      "bad_peer_response",
      `Invalid error event from ${source}: 'error' must be an object with string 'error' and 'message'`,
    );
  }
  return value as ErrorBody;
}

/**
 * Checks one decoded stream line. Returns `undefined` for an event name this version
 * does not know (skipped, for forward compatibility).
 *
 * @throws {SwarmError} `bad_peer_response` for a malformed known event.
 */
export function parseStreamEvent(value: unknown, source: string): StreamEvent | undefined {
  if (!isObject(value) || typeof value.event !== "string") {
    throw new SwarmError(
      "bad_peer_response",
      `Invalid stream line from ${source}: expected an object with a string 'event'`,
    );
  }
  const node = typeof value.node === "string" ? { node: value.node } : {};
  switch (value.event) {
    case "received":
      return {
        event: "received",
        task_id: typeof value.task_id === "string" ? value.task_id : "",
        ...node,
      };
    case "executing":
      return {
        event: "executing",
        ...node,
        ...(typeof value.skill === "string" ? { skill: value.skill } : {}),
      };
    case "forwarding":
      return {
        event: "forwarding",
        peer: String(value.peer ?? ""),
        address: String(value.address ?? ""),
        attempt: typeof value.attempt === "number" ? value.attempt : 0,
      };
    case "done":
      return { event: "done", result: parseNodeResult(value.result) };
    case "error":
      return { event: "error", error: parseErrorBody(value.error, source) };
    default:
      return undefined;
  }
}
