/**
 * HTTP client for swarm and SkillLite nodes.
 *
 * @module
 */
import { SwarmError } from "../protocol/errors.ts";
import {
  type CanDoBody,
  NDJSON,
  type NodeResult,
  type NodeTask,
  type StatusBody,
  type StreamEvent,
} from "../protocol/types.ts";
import { parseNodeResult } from "../protocol/validate.ts";
import { readLines } from "./_ndjson.ts";
import { errorFromBody, parseJson, parseStreamEvent } from "./_response.ts";

/** Options of a {@link SwarmClient}. */
export interface SwarmClientOptions {
  /** Base URL of the node, e.g. `http://127.0.0.1:7700` (trailing slashes ignored). */
  url: string;
  /** Shared bearer secret, sent as `Authorization: Bearer <token>`; nothing is sent when absent. */
  token?: string;
  /**
   * Time limit of one request in milliseconds, reading the whole answer included (for
   * a stream: until its last event).
   *
   * @default {120_000}
   */
  timeoutMs?: number;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
  /**
   * The `fetch` to use, e.g. one passing a `Deno.createHttpClient` for mutual TLS.
   *
   * @default {globalThis.fetch}
   */
  fetch?: typeof fetch;
}

/** Options of one request. */
export interface RequestOptions {
  /** Extra headers for this request (the client's own `Authorization` and `Content-Type` win). */
  headers?: Record<string, string>;
  /** Aborts the request; the signal's reason is thrown as is. */
  signal?: AbortSignal;
  /** Time limit of this request in milliseconds; the client's `timeoutMs` when absent. */
  timeoutMs?: number;
  /**
   * Bearer token for this request in place of the client's own, e.g. the caller's
   * scoped token carried by a forwarded task.
   */
  token?: string;
}

/** What {@link SwarmClient}'s private send step returns. */
interface Exchange {
  response: Response;
  /** Maps anything thrown while talking to the node to the error to throw. */
  fail(err: unknown, reading: boolean): unknown;
}

/** Default time limit of one request in milliseconds. */
const DEFAULT_TIMEOUT_MS = 120_000;

/**
 * The message of a fetch failure with its cause: Deno says only "fetch failed" and puts
 * what went wrong (refused connection, untrusted certificate, TLS to a plain port) in
 * `cause`.
 */
function errorReason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? err.cause.message : undefined;
  if (!cause || cause === err.message) return err.message;
  // The cause repeats the URL the caller already names: keep what follows it.
  const detail = cause.replace(/^error sending request (from \S+ )?for \S+( \([^)]*\))?: /, "");
  return `${err.message}: ${detail}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Talks to one node over HTTP: `POST /task` (plain or streamed), `GET /status` and
 * `GET /can-do`. Every failure is a {@link SwarmError}: the node's own error code when
 * it answers swarm's JSON error shape; `forward_failed` when it cannot be reached or
 * answers another error; `bad_peer_response` for a malformed success answer; `timeout`
 * when the time limit passes.
 *
 * @example
 * ```ts
 * import { SwarmClient } from "./client.ts";
 * const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
 *   Response.json({ can_do: true, instance_name: "n1" }));
 * const client = new SwarmClient({ url: `http://127.0.0.1:${server.addr.port}` });
 * const answer = await client.canDo(["calc"]);
 * console.assert(answer.can_do === true);
 * await server.shutdown();
 * ```
 */
export class SwarmClient {
  /** Base URL without trailing slash. */
  readonly url: string;
  readonly #token?: string;
  readonly #timeoutMs: number;
  readonly #headers: Record<string, string>;
  readonly #fetch: typeof fetch;

  /**
   * Creates a client of the node at `options.url`.
   *
   * @throws {TypeError} When `url` is not an http or https URL.
   * @throws {RangeError} When `timeoutMs` is not a positive number.
   */
  constructor(options: SwarmClientOptions) {
    const { url, token, timeoutMs = DEFAULT_TIMEOUT_MS, headers = {}, fetch } = options;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new TypeError(
        `Cannot create client: 'url' is not a valid URL: current value is "${url}"`,
      );
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw new TypeError(
        `Cannot create client: 'url' must use http or https: current value is "${url}"`,
      );
    }
    if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
      throw new RangeError(
        `Cannot create client: 'timeoutMs' must be a positive number: current value is ${timeoutMs}`,
      );
    }
    this.url = url.replace(/\/+$/, "");
    this.#token = token;
    this.#timeoutMs = timeoutMs;
    this.#headers = headers;
    this.#fetch = fetch ?? globalThis.fetch;
  }

  /**
   * Sends a task with `POST /task` and returns the node's validated result.
   *
   * @throws {SwarmError} See the class description.
   */
  async submitTask(task: NodeTask, options: RequestOptions = {}): Promise<NodeResult> {
    const exchange = await this.#send("POST", "/task", options, JSON.stringify(task));
    const text = await this.#readText(exchange);
    if (!exchange.response.ok) throw this.#errorOf(exchange.response, text);
    return parseNodeResult(parseJson(text, this.url));
  }

  /**
   * Sends a task with `POST /task?stream=1` and yields its progress events as they
   * arrive, ending with a `done` or an `error` event. A node that answers plain JSON
   * instead (a SkillLite node streams only tasks it runs itself) yields one `done`.
   * Events of unknown kinds are skipped.
   *
   * @throws {SwarmError} See the class description; also `bad_peer_response` when the
   * stream ends without a `done` or `error` event.
   */
  async *streamTask(
    task: NodeTask,
    options: RequestOptions = {},
  ): AsyncGenerator<StreamEvent, void, undefined> {
    const exchange = await this.#send("POST", "/task?stream=1", options, JSON.stringify(task));
    const { response } = exchange;
    if (!response.ok) throw this.#errorOf(response, await this.#readText(exchange));
    const type = response.headers.get("content-type")?.toLowerCase() ?? "";
    if (!type.includes(NDJSON) || response.body === null) {
      const text = await this.#readText(exchange);
      yield { event: "done", result: parseNodeResult(parseJson(text, this.url)) };
      return;
    }
    try {
      for await (const line of readLines(response.body, this.url)) {
        const event = parseStreamEvent(parseJson(line, this.url), this.url);
        if (event === undefined) continue;
        yield event;
        if (event.event === "done" || event.event === "error") return;
      }
    } catch (err) {
      throw exchange.fail(err, true);
    }
    throw new SwarmError(
      "bad_peer_response",
      `Stream from ${this.url} ended without a done or error event`,
    );
  }

  /**
   * Asks the node whether it is busy (`GET /status`).
   *
   * @throws {SwarmError} See the class description.
   */
  async status(options: RequestOptions = {}): Promise<StatusBody> {
    const body = await this.#getJson("/status", options);
    const current = isObject(body) ? body.current_task_id ?? null : undefined;
    if (
      !isObject(body) || (body.status !== "idle" && body.status !== "busy") ||
      (current !== null && typeof current !== "string")
    ) {
      throw new SwarmError(
        "bad_peer_response",
        `Invalid status from ${this.url}: expected {status: "idle" | "busy", current_task_id}`,
      );
    }
    return { ...body, status: body.status, current_task_id: current };
  }

  /**
   * Asks the node whether it holds every tag of `required` (`GET /can-do`). An empty
   * list asks without a `required` parameter, which every node answers `true`.
   *
   * @throws {SwarmError} See the class description.
   */
  async canDo(required: string[], options: RequestOptions = {}): Promise<CanDoBody> {
    const query = required.length > 0
      ? `?required=${required.map(encodeURIComponent).join(",")}`
      : "";
    const body = await this.#getJson(`/can-do${query}`, options);
    if (!isObject(body) || typeof body.can_do !== "boolean") {
      throw new SwarmError(
        "bad_peer_response",
        `Invalid can-do answer from ${this.url}: 'can_do' must be a boolean`,
      );
    }
    const instance = typeof body.instance_name === "string" ? body.instance_name : "";
    return { can_do: body.can_do, instance_name: instance };
  }

  async #getJson(path: string, options: RequestOptions): Promise<unknown> {
    const exchange = await this.#send("GET", path, options);
    const text = await this.#readText(exchange);
    if (!exchange.response.ok) throw this.#errorOf(exchange.response, text);
    return parseJson(text, this.url);
  }

  #errorOf(response: Response, text: string): SwarmError {
    return errorFromBody(response.status, response.statusText, text, this.url);
  }

  async #readText(exchange: Exchange): Promise<string> {
    try {
      return await exchange.response.text();
    } catch (err) {
      throw exchange.fail(err, true);
    }
  }

  async #send(
    method: string,
    path: string,
    options: RequestOptions,
    body?: string,
  ): Promise<Exchange> {
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const caller = options.signal;
    const signal = caller ? AbortSignal.any([timeout, caller]) : timeout;
    const fail = (err: unknown, reading: boolean): unknown => {
      if (caller?.aborted) return caller.reason;
      if (timeout.aborted) {
        return new SwarmError(
          "timeout",
          `Timed out after ${timeoutMs} ms waiting for ${this.url}`,
          { timeout_ms: timeoutMs },
          { cause: err },
        );
      }
      if (err instanceof SwarmError) return err;
      const reason = errorReason(err);
      const head = reading ? `Lost connection to ${this.url}` : `Cannot reach ${this.url}`;
      return new SwarmError("forward_failed", `${head}: ${reason}`, {}, { cause: err });
    };
    const headers = new Headers(this.#headers);
    for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, value);
    if (body !== undefined) headers.set("content-type", "application/json");
    if (path.includes("stream=1")) headers.set("accept", `${NDJSON}, application/json`);
    const token = options.token ?? this.#token;
    if (token) headers.set("authorization", `Bearer ${token}`);
    try {
      const response = await this.#fetch(`${this.url}${path}`, { method, headers, body, signal });
      return { response, fail };
    } catch (err) {
      throw fail(err, false);
    }
  }
}
