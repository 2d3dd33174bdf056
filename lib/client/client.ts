/**
 * HTTP client for swarm and SkillLite nodes.
 *
 * @module
 */
import {
  type CanDoBody,
  NDJSON,
  type NodeResult,
  type NodeTask,
  parseNodeResult,
  type StatusBody,
  type StreamEvent,
  SwarmError,
} from "../protocol/mod.ts";
import { readLines } from "./_ndjson.ts";
import { errorFromBody, parseJson, parseStreamEvent } from "./_response.ts";
import { readLimitedText } from "./read_limited.ts";

/**
 * Default largest `POST /task` answer, and largest line of a task's progress stream (its
 * `done` event carries a whole result), in bytes: 8 MiB, room for a result holding the
 * largest output a node keeps by default (1 MiB) even if JSON escaping made it six times
 * longer.
 */
export const DEFAULT_MAX_RESULT_BYTES = 8 * 1024 * 1024;

/**
 * Default largest `GET /status` answer, in bytes: 1 MiB. A swarm node's status lists its
 * skills, peers and recent tasks, so it grows with the mesh; a SkillLite status is tiny.
 */
export const DEFAULT_MAX_STATUS_BYTES = 1024 * 1024;

/**
 * Largest small answer, in bytes: a `GET /can-do` answer, a progress event other than
 * the final one, and the part of an error answer that is read (the rest is dropped).
 */
export const MAX_SMALL_ANSWER_BYTES = 64 * 1024;

/**
 * Default most progress events (other than the final `done` or `error`) one task stream
 * may carry. An honest stream has a handful per hop and attempt; an endless one is cut.
 */
export const DEFAULT_MAX_PROGRESS_EVENTS = 1024;

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
   * Redirects are never followed, whatever it does by default.
   *
   * @default {globalThis.fetch}
   */
  fetch?: typeof fetch;
  /**
   * Largest `POST /task` answer, and largest line of a task stream, in bytes; a longer
   * one is cut off and refused with `bad_peer_response` (`reason: "too_large"`). Raise it
   * only for peers that keep larger outputs (`--max-output-bytes`).
   *
   * @default {DEFAULT_MAX_RESULT_BYTES}
   */
  maxResultBytes?: number;
  /**
   * Largest `GET /status` answer, in bytes; a longer one is refused with
   * `bad_peer_response`.
   *
   * @default {DEFAULT_MAX_STATUS_BYTES}
   */
  maxStatusBytes?: number;
  /**
   * Most progress events one task stream may carry before the final one; one more is
   * refused with `bad_peer_response` (`reason: "too_many_events"`).
   *
   * @default {DEFAULT_MAX_PROGRESS_EVENTS}
   */
  maxProgressEvents?: number;
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

/**
 * Default idle limit of an event stream, in milliseconds: nodes send a keep-alive every
 * 15 s, so a stream silent for a minute is dead.
 */
export const DEFAULT_EVENTS_IDLE_TIMEOUT_MS = 60_000;

/** Options of {@link SwarmClient.events}. */
export interface EventsOptions {
  /** Only events of these types (`?types=`), e.g. `["task_failed"]`; all when empty. */
  types?: string[];
  /**
   * Start after this event id (`Last-Event-ID`): the node first replays the recent
   * events after it that it still holds. Live events only when absent.
   */
  lastEventId?: number;
  /**
   * A stream on which nothing, not even a keep-alive, arrives for this many
   * milliseconds is taken as dead and fails with `peer_unreachable`.
   *
   * @default {DEFAULT_EVENTS_IDLE_TIMEOUT_MS}
   */
  idleTimeoutMs?: number;
  /** Stops the stream; the signal's reason is thrown as is. */
  signal?: AbortSignal;
  /** Extra headers for this request (the client's own `Authorization` wins). */
  headers?: Record<string, string>;
  /** Bearer token for this request in place of the client's own. */
  token?: string;
}

/**
 * A node's open event stream ({@link SwarmClient.events}): iterate it for the events,
 * each a JSON object with at least `id`, `time`, `node_id` and `type`.
 */
export interface EventStream extends AsyncIterable<Record<string, unknown>> {
  /**
   * Whether the node said some events after `lastEventId` are lost: it no longer holds
   * them, or it restarted.
   */
  readonly gap: boolean;
  /** Whether anything, an event or a keep-alive, has arrived on the stream so far. */
  readonly received: boolean;
}

/** What {@link SwarmClient}'s private send step returns. */
interface Exchange {
  response: Response;
  /** Maps anything thrown while talking to the node to the error to throw. */
  fail(err: unknown, reading: boolean): unknown;
}

/** A node's answer to `GET /sync/digests`. */
export interface SyncDigests {
  /** SHA-256 of the sorted digest list (one per line): equal roots, equal sets. */
  root: string;
  /** The release digests, sorted; absent when the asker's `root` was the same. */
  digests?: string[];
  /** True when the asker's `root` was the node's. */
  same?: boolean;
}

/** A node's answer to `POST /sync/release`. */
export interface PushAnswer {
  /** The release's digest. */
  digest: string;
  /** What the node made of it: `installed`, `accepted`, `duplicate`, `rollback`, … */
  verdict: string;
  /** SHA-256 of the release's files the node does not hold yet. */
  missing: string[];
}

/** Largest `GET /sync/digests` answer: 10 000 digests and their JSON, with room. */
const MAX_DIGESTS_ANSWER_BYTES = 1024 * 1024;
/** Largest release envelope read from a peer (a node refuses larger ones anyway). */
const MAX_ENVELOPE_ANSWER_BYTES = 1024 * 1024;

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
 * Talks to one node over HTTP: `POST /task` (plain or streamed), `GET /status`,
 * `GET /can-do` and `GET /events`. Every failure is a {@link SwarmError}: the node's own
 * error code when it answers swarm's JSON error shape; `peer_unreachable` when no HTTP
 * answer comes (connection refused or reset, DNS, TLS) or the connection is lost
 * mid-answer (then with the answer's `status` and `reason: "cut_off"`); `forward_failed`
 * when it answers an error outside swarm's codes, a redirect included (redirects are
 * never followed: a peer must not send this node, and the task, elsewhere);
 * `bad_peer_response` for a malformed
 * success answer (`reason`: `invalid_json`, `invalid_result`, `invalid_event`) or one
 * over a size limit (`too_large`, `too_many_events`); `timeout` when the time limit
 * passes. Every answer is read with a size limit and within the time limit, so a peer
 * can make this node hold at most a few MiB, for a bounded time.
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
  readonly #maxResultBytes: number;
  readonly #maxStatusBytes: number;
  readonly #maxProgressEvents: number;

  /**
   * Creates a client of the node at `options.url`.
   *
   * @throws {TypeError} When `url` is not an http or https URL.
   * @throws {RangeError} When `timeoutMs` is not a positive number, or a size or count
   * limit is not a positive integer.
   */
  constructor(options: SwarmClientOptions) {
    const { url, token, timeoutMs = DEFAULT_TIMEOUT_MS, headers = {}, fetch } = options;
    const {
      maxResultBytes = DEFAULT_MAX_RESULT_BYTES,
      maxStatusBytes = DEFAULT_MAX_STATUS_BYTES,
      maxProgressEvents = DEFAULT_MAX_PROGRESS_EVENTS,
    } = options;
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
    this.#maxResultBytes = positiveInteger("maxResultBytes", maxResultBytes);
    this.#maxStatusBytes = positiveInteger("maxStatusBytes", maxStatusBytes);
    this.#maxProgressEvents = positiveInteger("maxProgressEvents", maxProgressEvents);
  }

  /**
   * Sends a task with `POST /task` and returns the node's validated result.
   *
   * @throws {SwarmError} See the class description.
   */
  async submitTask(task: NodeTask, options: RequestOptions = {}): Promise<NodeResult> {
    const exchange = await this.#send("POST", "/task", options, JSON.stringify(task));
    const { response } = exchange;
    if (!response.ok) throw await this.#errorAnswer(exchange);
    const text = await this.#read(exchange, this.#maxResultBytes, "Task result");
    return this.#result(text, response.status);
  }

  /**
   * Sends a task with `POST /task?stream=1` and yields its progress events as they
   * arrive, ending with a `done` or an `error` event. A node that answers plain JSON
   * instead (a SkillLite node streams only tasks it runs itself) yields one `done`.
   * Events of unknown kinds are skipped (and counted as progress events). The stream is
   * read only as fast as the caller pulls events.
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
    if (!response.ok) throw await this.#errorAnswer(exchange);
    const type = response.headers.get("content-type")?.toLowerCase() ?? "";
    if (!type.includes(NDJSON) || response.body === null) {
      const text = await this.#read(exchange, this.#maxResultBytes, "Task result");
      yield { event: "done", result: this.#result(text, response.status) };
      return;
    }
    let progress = 0;
    try {
      const lines = readLines(response.body, this.url, { maxLineBytes: this.#maxResultBytes });
      for await (const line of lines) {
        const event = this.#event(line, response.status);
        if (event?.event === "done" || event?.event === "error") {
          yield event;
          return;
        }
        if (++progress > this.#maxProgressEvents) {
          throw new SwarmError(
            "bad_peer_response",
            `Stream from ${this.url} sent more than ${this.#maxProgressEvents} progress events`,
            {
              status: response.status,
              reason: "too_many_events",
              max_events: this.#maxProgressEvents,
            },
          );
        }
        if (event !== undefined) yield event;
      }
    } catch (err) {
      throw lost(exchange, withStatus(err, response.status));
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
    const body = await this.#getJson("/status", this.#maxStatusBytes, options);
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
    const body = await this.#getJson(`/can-do${query}`, MAX_SMALL_ANSWER_BYTES, options);
    if (!isObject(body) || typeof body.can_do !== "boolean") {
      throw new SwarmError(
        "bad_peer_response",
        `Invalid can-do answer from ${this.url}: 'can_do' must be a boolean`,
      );
    }
    const instance = typeof body.instance_name === "string" ? body.instance_name : "";
    return { can_do: body.can_do, instance_name: instance };
  }

  /**
   * Opens the node's live event stream (`GET /events`) and resolves once the node has
   * answered it; iterating the stream yields each event as it arrives and ends when the
   * node ends the stream. Breaking out of the loop closes the connection. The stream has
   * no overall time limit (the client's `timeoutMs` does not apply), only the idle limit.
   * Reconnecting after the stream ends or fails is the caller's choice: pass the `id`
   * of the last event seen as `lastEventId`.
   *
   * @param options Event types, where to resume, the idle limit and an abort signal.
   * @returns The open stream.
   * @throws {SwarmError} When opening: see the class description; `bad_peer_response`
   * when the answer is not an NDJSON stream. While iterating: `peer_unreachable` (with
   * `status` and `reason: "cut_off"`) when the connection is lost or stays idle;
   * `bad_peer_response` for a line that is not a JSON object or is over 16 MiB.
   * The signal's reason, as is, when `options.signal` aborts.
   * @throws {RangeError} When `idleTimeoutMs` is not a positive number.
   * @example
   * ```ts
   * import { SwarmClient } from "./client.ts";
   * const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
   *   new Response('{"id":1,"type":"peer_joined","peer":"p2"}\n', {
   *     headers: { "content-type": "application/x-ndjson" },
   *   }));
   * const client = new SwarmClient({ url: `http://127.0.0.1:${server.addr.port}` });
   * const types: unknown[] = [];
   * for await (const event of await client.events({ types: ["peer_joined"] })) {
   *   types.push(event.type);
   * }
   * console.assert(types.join() === "peer_joined");
   * await server.shutdown();
   * ```
   */
  async events(options: EventsOptions = {}): Promise<EventStream> {
    const { types = [], lastEventId, idleTimeoutMs = DEFAULT_EVENTS_IDLE_TIMEOUT_MS } = options;
    const caller = options.signal;
    if (!(idleTimeoutMs > 0) || !Number.isFinite(idleTimeoutMs)) {
      throw new RangeError(
        `Cannot follow events as 'idleTimeoutMs' must be a positive number: current value is ${idleTimeoutMs}`,
      );
    }
    const url = this.url;
    const idle = new AbortController();
    let timer = setTimeout(() => idle.abort(), idleTimeoutMs);
    const touch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(), idleTimeoutMs);
    };
    const idleReason = `No data from ${url} for ${idleTimeoutMs} ms`;
    const query = types.length > 0 ? `?types=${types.map(encodeURIComponent).join(",")}` : "";
    const headers: Record<string, string> = { ...options.headers };
    if (lastEventId !== undefined) headers["last-event-id"] = String(lastEventId);
    const signal = caller ? AbortSignal.any([caller, idle.signal]) : idle.signal;
    let status = 0;
    let response: Response;
    try {
      const request = { headers, signal, token: options.token };
      const exchange = await this.#send("GET", `/events${query}`, request, undefined, false);
      response = exchange.response;
      status = response.status;
      if (!response.ok) throw await this.#errorAnswer(exchange);
      const type = response.headers.get("content-type") ?? "";
      if (!type.toLowerCase().includes(NDJSON) || response.body === null) {
        await response.body?.cancel().catch(() => {});
        throw new SwarmError(
          "bad_peer_response",
          `${url}/events answered '${type}' instead of an event stream: is it a swarm node?`,
          { status },
        );
      }
    } catch (err) {
      clearTimeout(timer);
      if (caller?.aborted || !idle.signal.aborted) throw err;
      const head = status === 0 ? `Cannot reach ${url}` : `Lost connection to ${url}`;
      const details = status === 0 ? {} : { status, reason: "cut_off" };
      throw new SwarmError("peer_unreachable", `${head}: ${idleReason}`, details, { cause: err });
    }
    let received = false;
    const body = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          received = true;
          touch();
          controller.enqueue(chunk);
        },
      }),
    );
    async function* read(): AsyncGenerator<Record<string, unknown>, void, undefined> {
      try {
        for await (const line of readLines(body, url)) yield parseEventLine(line, url);
      } catch (err) {
        if (caller?.aborted) throw caller.reason;
        if (err instanceof SwarmError) throw err;
        const why = idle.signal.aborted ? idleReason : errorReason(err);
        throw new SwarmError(
          "peer_unreachable",
          `Lost connection to ${url}: ${why}`,
          { status, reason: "cut_off" },
          { cause: err },
        );
      } finally {
        clearTimeout(timer);
      }
    }
    const events = read();
    return {
      gap: response.headers.get("x-swarm-events-gap") === "true",
      get received() {
        return received;
      },
      [Symbol.asyncIterator]: () => events,
    };
  }

  /**
   * The release digests a node holds (`GET /sync/digests`), for anti-entropy. With
   * `root` (the peer's digest-list hash from an earlier answer) the node answers only
   * `{root, same: true}` when nothing changed, so an idle exchange costs a few bytes.
   *
   * @throws {SwarmError} See the class description; `bad_peer_response` for an answer
   * that is not a digest list.
   */
  async syncDigests(root?: string, options: RequestOptions = {}): Promise<SyncDigests> {
    const query = root ? `?root=${encodeURIComponent(root)}` : "";
    const body = await this.#getJson(`/sync/digests${query}`, MAX_DIGESTS_ANSWER_BYTES, options);
    const answer = body as Partial<SyncDigests> | null;
    const digests = answer?.digests;
    if (
      typeof answer?.root !== "string" ||
      (digests !== undefined &&
        (!Array.isArray(digests) || !digests.every((d) => typeof d === "string")))
    ) {
      throw new SwarmError(
        "bad_peer_response",
        `${this.url}/sync/digests answered something other than a digest list`,
        { reason: "invalid_json" },
      );
    }
    return answer as SyncDigests;
  }

  /**
   * The signed envelope of release `digest` (`GET /sync/release`), unverified: the
   * caller verifies it against its own trust store.
   *
   * @throws {SwarmError} `not_found` when the node does not hold it; see the class
   * description.
   */
  async syncRelease(digest: string, options: RequestOptions = {}): Promise<unknown> {
    const query = `?digest=${encodeURIComponent(digest)}`;
    return await this.#getJson(`/sync/release${query}`, MAX_ENVELOPE_ANSWER_BYTES, options);
  }

  /**
   * Hands a signed release envelope to a node (`POST /sync/release`, the `publish`
   * action), which verifies it against its trust store, keeps it and spreads it.
   *
   * @returns The node's verdict: the release digest, what the node made of it
   * (`installed`, `accepted`, `duplicate`, …) and the file hashes it still lacks.
   * @throws {SwarmError} `release_refused` with the refusal `reason`; see the class
   * description.
   */
  async pushRelease(envelope: unknown, options: RequestOptions = {}): Promise<PushAnswer> {
    const exchange = await this.#send("POST", "/sync/release", options, JSON.stringify(envelope));
    if (!exchange.response.ok) throw await this.#errorAnswer(exchange);
    const text = await this.#read(exchange, MAX_SMALL_ANSWER_BYTES, "Answer");
    const status = exchange.response.status;
    return garbageCheck(status, "invalid_json", () => parseJson(text, this.url)) as PushAnswer;
  }

  /**
   * The content of the file whose SHA-256 is `sha256` (`GET /sync/blob`), as a stream
   * the caller must consume or cancel; the caller checks its size and hash.
   *
   * @throws {SwarmError} `not_found` when the node does not hold it; see the class
   * description.
   */
  async syncBlob(
    sha256: string,
    options: RequestOptions = {},
  ): Promise<ReadableStream<Uint8Array>> {
    const query = `?sha256=${encodeURIComponent(sha256)}`;
    const exchange = await this.#send("GET", `/sync/blob${query}`, options);
    if (!exchange.response.ok) throw await this.#errorAnswer(exchange);
    const body = exchange.response.body;
    if (body === null) return new Blob([]).stream();
    return errorsMapped(body, exchange);
  }

  /**
   * Uploads one file of a release before publishing it (`PUT /sync/blob`, the
   * `publish` action); the node checks its size and SHA-256 as it arrives.
   *
   * @throws {SwarmError} `release_refused` (`hash_mismatch`, `oversize`); see the class
   * description.
   */
  async putBlob(
    sha256: string,
    content: Uint8Array<ArrayBuffer>,
    size: number,
    options: RequestOptions = {},
  ): Promise<void> {
    const query = `?sha256=${encodeURIComponent(sha256)}&size=${size}`;
    const exchange = await this.#send("PUT", `/sync/blob${query}`, options, content, true, {
      "content-type": "application/octet-stream",
    });
    if (!exchange.response.ok) throw await this.#errorAnswer(exchange);
    await exchange.response.body?.cancel().catch(() => {});
  }

  /**
   * The node's skill-sync state (`GET /sync/skills`): every skill name it holds
   * releases of, what it installs, pins, newer releases available, refusals.
   *
   * @throws {SwarmError} See the class description.
   */
  async syncSkills(options: RequestOptions = {}): Promise<Record<string, unknown>> {
    return await this.#getJson("/sync/skills", this.#maxStatusBytes, options) as Record<
      string,
      unknown
    >;
  }

  async #getJson(path: string, maxBytes: number, options: RequestOptions): Promise<unknown> {
    const exchange = await this.#send("GET", path, options);
    if (!exchange.response.ok) throw await this.#errorAnswer(exchange);
    const text = await this.#read(exchange, maxBytes, "Answer");
    return garbageCheck(exchange.response.status, "invalid_json", () => parseJson(text, this.url));
  }

  /** A 2xx body as a checked NodeResult, or `bad_peer_response` saying what is wrong. */
  #result(text: string, status: number): NodeResult {
    const json = garbageCheck(status, "invalid_json", () => parseJson(text, this.url));
    return garbageCheck(status, "invalid_result", () => parseNodeResult(json));
  }

  /** One stream line as an event (undefined: an unknown kind), checked for size. */
  #event(line: string, status: number): StreamEvent | undefined {
    const json = garbageCheck(status, "invalid_json", () => parseJson(line, this.url));
    const event = garbageCheck(status, "invalid_event", () => parseStreamEvent(json, this.url));
    if (event?.event === "done" || event?.event === "error") return event;
    // Only the final event may be large; progress events are relayed, and kept for replay.
    const bytes = line.length * 3 <= MAX_SMALL_ANSWER_BYTES
      ? line.length
      : new TextEncoder().encode(line).length;
    if (bytes > MAX_SMALL_ANSWER_BYTES) {
      throw new SwarmError(
        "bad_peer_response",
        `Progress event from ${this.url} is larger than the limit of ${MAX_SMALL_ANSWER_BYTES} bytes`,
        { status, reason: "too_large", max_bytes: MAX_SMALL_ANSWER_BYTES },
      );
    }
    return event;
  }

  /** The error a non-2xx answer stands for, from at most the first 64 KiB of its body. */
  async #errorAnswer(exchange: Exchange): Promise<SwarmError> {
    const { response } = exchange;
    let text: string;
    try {
      text = await readLimitedText(response, this.url, {
        maxBytes: MAX_SMALL_ANSWER_BYTES,
        overflow: "truncate",
      });
    } catch (err) {
      throw lost(exchange, err);
    }
    return errorFromBody(response.status, response.statusText, text, this.url);
  }

  async #read(exchange: Exchange, maxBytes: number, what: string): Promise<string> {
    try {
      return await readLimitedText(exchange.response, this.url, { maxBytes, what });
    } catch (err) {
      throw lost(exchange, err);
    }
  }

  /** Sends one request; `timed: false` sets no time limit (an endless event stream). */
  async #send(
    method: string,
    path: string,
    options: RequestOptions,
    body?: string | Uint8Array<ArrayBuffer>,
    timed = true,
    bodyHeaders: Record<string, string> = { "content-type": "application/json" },
  ): Promise<Exchange> {
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const timeout = timed ? AbortSignal.timeout(timeoutMs) : undefined;
    const caller = options.signal;
    const signals = [timeout, caller].filter((s) => s !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    const fail = (err: unknown, reading: boolean): unknown => {
      if (caller?.aborted) return caller.reason;
      if (timeout?.aborted) {
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
      return new SwarmError("peer_unreachable", `${head}: ${reason}`, {}, { cause: err });
    };
    const headers = new Headers(this.#headers);
    for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, value);
    if (body !== undefined) {
      for (const [name, value] of Object.entries(bodyHeaders)) headers.set(name, value);
    }
    if (path.includes("stream=1")) headers.set("accept", `${NDJSON}, application/json`);
    if (path.startsWith("/events")) headers.set("accept", NDJSON);
    const token = options.token ?? this.#token;
    if (token) headers.set("authorization", `Bearer ${token}`);
    let response: Response;
    try {
      // Never follow a redirect: it could send the task, its input and the token in
      // clear text (https to http) or to any address this node may reach.
      response = await this.#fetch(`${this.url}${path}`, {
        method,
        headers,
        body,
        signal,
        redirect: "manual",
      });
    } catch (err) {
      throw fail(err, false);
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel().catch(() => {});
      const location = (response.headers.get("location") ?? "").slice(0, 200);
      throw new SwarmError(
        "forward_failed",
        `${this.url} answered ${response.status}: redirect refused${
          location ? ` (to ${location})` : ""
        }`,
        { status: response.status },
      );
    }
    return { response, fail };
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot create client: '${name}' must be a positive integer: current value is ${value}`,
    );
  }
  return value;
}

/**
 * The error for a failure while reading an answer whose status came: a lost connection
 * (`peer_unreachable`) gets that status and `reason: "cut_off"`, so logs and the retry
 * policy can tell it from a connection that never answered.
 */
/** `body`, with a failure while reading it reported as a lost connection to the node. */
function errorsMapped(
  body: ReadableStream<Uint8Array>,
  exchange: Exchange,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (err) {
        controller.error(lost(exchange, err));
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

function lost(exchange: Exchange, err: unknown): unknown {
  const failure = exchange.fail(err, true);
  if (
    failure instanceof SwarmError && failure.code === "peer_unreachable" &&
    failure.details.status === undefined
  ) {
    failure.details.status = exchange.response.status;
    failure.details.reason = "cut_off";
  }
  return failure;
}

/** One line of an event stream as an event object, or `bad_peer_response`. */
function parseEventLine(line: string, source: string): Record<string, unknown> {
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch {
    event = undefined;
  }
  if (!isObject(event)) {
    throw new SwarmError(
      "bad_peer_response",
      `Invalid event from ${source}: expected a JSON object: ${line.slice(0, 200)}`,
    );
  }
  return event;
}

/** Adds the HTTP status to a `bad_peer_response` that lacks it (e.g. an over-long line). */
function withStatus(err: unknown, status: number): unknown {
  if (err instanceof SwarmError && err.code === "bad_peer_response") {
    err.details.status ??= status;
    if (err.details.max_bytes !== undefined) err.details.reason ??= "too_large";
  }
  return err;
}

/**
 * Runs a check of a complete 2xx answer; a `bad_peer_response` it throws gets the HTTP
 * status and `reason` (what was wrong), which tell the router that the peer answered
 * something no working node sends.
 */
function garbageCheck<T>(status: number, reason: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof SwarmError && err.code === "bad_peer_response") {
      throw new SwarmError(err.code, err.message, { ...err.details, status, reason }, {
        cause: err,
      });
    }
    throw err;
  }
}
