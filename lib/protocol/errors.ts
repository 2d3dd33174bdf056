/**
 * Typed errors with stable codes, shared by HTTP answers and CLI messages.
 *
 * @module
 */
import type { ErrorBody } from "./types.ts";

/**
 * Every stable error code with its HTTP status. The SkillLite codes keep SkillLite's
 * statuses. HTTP bodies, CLI messages (`code: message`), logs and metrics use these
 * codes; docs/protocol.md lists each with its meaning.
 */
export const ERROR_STATUS = {
  // SkillLite's own codes (DESIGN.md §3).
  unauthorized: 401,
  // Authenticated, but the credential's scope does not cover the request.
  forbidden: 403,
  no_match: 503,
  // This node forwarded and every candidate failed, or a peer answered an error that is
  // not in this vocabulary (a plain status, a redirect).
  forward_failed: 502,
  local_executor_not_configured: 503,
  execution_failed: 500,
  internal: 500,
  // Request validation, with the statuses SkillLite's framework uses.
  invalid_json: 400,
  invalid_request: 400,
  invalid_task: 422,
  unsupported_media_type: 415,
  payload_too_large: 413,
  uri_too_long: 414,
  headers_too_large: 431,
  not_found: 404,
  method_not_allowed: 405,
  // swarm's own.
  skill_not_found: 404,
  ambiguous_skill: 409,
  loop_detected: 508,
  hop_limit_exceeded: 508,
  not_ready: 503,
  draining: 503,
  overloaded: 429,
  rate_limited: 429,
  task_conflict: 409,
  timeout: 504,
  bad_peer_response: 502,
  // No (complete) HTTP answer: connection refused or reset, DNS, TLS, lost mid-answer.
  peer_unreachable: 502,
  // Mistakes of the operator, reported by the CLI and at start-up (never by a node).
  config_invalid: 400,
  keyring_invalid: 400,
  invalid_argument: 400,
  // The request names an address that is not this node's (a relayed membership hello).
  misdirected: 421,
  // Skill sync refused a release or one of its files (the `reason` says why).
  release_refused: 422,
} as const;

/** A stable error code. */
export type ErrorCode = keyof typeof ERROR_STATUS;

/**
 * An error a caller can act on: a stable `code`, its HTTP `status`, a message, and
 * optional JSON-safe details that are added to the error body.
 *
 * @example
 * ```ts
 * import { SwarmError } from "./errors.ts";
 * const err = new SwarmError("no_match", "No node can do: gpu", { required_capabilities: ["gpu"] });
 * console.assert(err.status === 503);
 * ```
 */
export class SwarmError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** HTTP status that goes with the code. */
  readonly status: number;
  /** Extra fields merged into the JSON error body. */
  readonly details: Record<string, unknown>;

  /**
   * Creates the error; `status` follows from `code`.
   *
   * @param code Stable code.
   * @param message Human-readable message.
   * @param details JSON-safe fields added to the error body.
   * @param options Standard error options, e.g. `cause`.
   */
  constructor(
    code: ErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "SwarmError";
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = details;
  }

  /** The JSON error body: `{error, message, ...details}`. */
  toBody(): ErrorBody {
    return { ...this.details, error: this.code, message: this.message };
  }
}

/**
 * Turns anything thrown into a {@link SwarmError}; unknown errors become `internal`.
 *
 * @example
 * ```ts
 * import { toSwarmError } from "./errors.ts";
 * console.assert(toSwarmError(new Error("boom")).code === "internal");
 * ```
 */
export function toSwarmError(err: unknown): SwarmError {
  if (err instanceof SwarmError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SwarmError("internal", message, {}, { cause: err });
}

/**
 * Rebuilds a {@link SwarmError} from its JSON body (an error that crossed a message
 * channel or a process boundary). A code outside the vocabulary becomes `internal`,
 * keeping the message.
 *
 * @example
 * ```ts
 * import { swarmErrorOfBody } from "./errors.ts";
 * const err = swarmErrorOfBody({ error: "no_match", message: "Nobody", required_capabilities: ["gpu"] });
 * console.assert(err.code === "no_match" && err.details.required_capabilities !== undefined);
 * console.assert(swarmErrorOfBody({ error: "weird", message: "?" }).code === "internal");
 * ```
 */
export function swarmErrorOfBody(body: ErrorBody): SwarmError {
  const { error, message, ...details } = body;
  const code = Object.hasOwn(ERROR_STATUS, error) ? error as ErrorCode : "internal";
  return new SwarmError(code, String(message), details);
}
