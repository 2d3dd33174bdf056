/**
 * `swarm events`: follows a node's live event stream (`GET /events`).
 *
 * @module
 */
import { SwarmClient } from "../client/mod.ts";
import { SwarmError } from "../protocol/mod.ts";
import { backoffDelayMs, type RetryPolicy } from "../routing/mod.ts";
import { sleep } from "../time/mod.ts";
import {
  CLIENT_HELP,
  CLIENT_OPTIONS,
  type ClientTarget,
  targetOfArgs,
  type TlsFlagValues,
  tlsFlagValues,
} from "./_client_flags.ts";
import { EXIT_OK, parseCliArgs, runSubcommand, UsageError } from "./_usage.ts";
import { jsonForTerminal, terminalSafe } from "./_terminal.ts";

/** Help of `swarm events`. */
export const EVENTS_HELP =
  `Usage: swarm events [--url URL] [--json] [--types A,B] [--last-event-id N]

Follows a node's live event stream (GET /events) until interrupted: one line per
event with its time, id, type and main fields, or the event's JSON with --json.
When the connection drops it reconnects with the id of the last event seen (up to
5 attempts, backing off from 0.5 s to 8 s), so events still in the node's ring of
recent events are not missed; a warning says when some were. Exits 1 when the node
cannot be reached, refuses the token, or stays away.

Options:
  --types A,B        only these event types, e.g. task_failed,peer_state_changed
  --last-event-id N  start after event N: first replay the node's recent events
${CLIENT_HELP}`;

/** Parsed arguments of `swarm events`. */
export interface EventsArgs {
  /** `-h`, `--help`: print the help instead. */
  help: boolean;
  /** `--json`: print each event as its JSON line. */
  json: boolean;
  /** `--url`: the node; the environment's or the default when absent. */
  url?: string;
  /** `--token-file`: where the bearer token is; `SKILLLITE_SWARM_TOKEN` when absent. */
  tokenFile?: string;
  /** `--tls-ca`, `--tls-cert`, `--tls-key`, when any was given. */
  tls?: TlsFlagValues;
  /** Event types to keep; empty means all. */
  types: string[];
  /** Resume after this event id; absent means live events only. */
  lastEventId?: number;
}

/**
 * Parses `swarm events` arguments.
 *
 * @throws {UsageError} On unknown flags, stray arguments or a bad `--last-event-id`.
 * @example
 * ```ts
 * import { parseEventsArgs } from "./events.ts";
 * const args = parseEventsArgs(["--types", "task_failed, peer_left", "--last-event-id=7"]);
 * console.assert(args.types.join() === "task_failed,peer_left" && args.lastEventId === 7);
 * ```
 */
export function parseEventsArgs(argv: string[]): EventsArgs {
  const parsed = parseCliArgs({
    args: argv,
    options: {
      ...CLIENT_OPTIONS,
      types: { type: "string" },
      "last-event-id": { type: "string" },
    },
    strict: true,
    allowPositionals: true,
  });
  const { values, positionals } = parsed;
  if (positionals.length > 0) throw new UsageError(`Unexpected argument '${positionals[0]}'`);
  const types = (values.types ?? "").split(",").map((t) => t.trim()).filter((t) => t !== "");
  if (values.types !== undefined && types.length === 0) {
    throw new UsageError("Option '--types' must name at least one event type");
  }
  const rawId = values["last-event-id"];
  let lastEventId: number | undefined;
  if (rawId !== undefined) {
    lastEventId = /^\d+$/.test(rawId.trim()) ? Number(rawId.trim()) : NaN;
    if (!Number.isSafeInteger(lastEventId)) {
      throw new UsageError(
        `Option '--last-event-id' must be a non-negative integer: current value is '${rawId}'`,
      );
    }
  }
  return {
    help: values.help ?? false,
    json: values.json ?? false,
    url: values.url,
    tokenFile: values["token-file"],
    ...tlsFlagValues(values),
    types,
    lastEventId,
  };
}

/** Fields every event has, shown before the others rather than as `key=value`. */
const HEAD_FIELDS = new Set(["id", "time", "node_id", "type"]);

/** Order of the fields people look for first; others follow alphabetically. */
const FIELD_ORDER = [
  "task_id",
  "peer",
  "route",
  "from",
  "to",
  "state",
  "attempt",
  "skill",
  "completed",
  "status",
  "duration_ms",
  "delay_ms",
  "error",
  "reason",
  "address",
  "source",
  "url",
  "version",
  "capabilities",
  "required_capabilities",
  "inference",
  "stream",
  "path",
  "hop",
  "trace_id",
];

/** Width of the type column: the longest type name, `capabilities_changed`. */
const TYPE_WIDTH = 20;

function rank(field: string): number {
  const at = FIELD_ORDER.indexOf(field);
  return at === -1 ? FIELD_ORDER.length : at;
}

function formatValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(formatValue).join(",")}]`;
  if (typeof value === "string") {
    return /^[^\s"=,[\]]+$/.test(value) ? value : JSON.stringify(value);
  }
  if (typeof value === "object" && value !== null) return JSON.stringify(value);
  return String(value);
}

/**
 * Renders one event as a line for people: time, `#id`, type, then its other fields as
 * `key=value` (task, peer and route first; values with spaces quoted). Control
 * characters in any value are printed as escapes.
 *
 * @example
 * ```ts
 * import { formatEvent } from "./events.ts";
 * const line = formatEvent({
 *   id: 4,
 *   time: "2025-01-01T00:00:00.000Z",
 *   node_id: "n1",
 *   type: "peer_state_changed",
 *   peer: "p2",
 *   from: "healthy",
 *   to: "suspect",
 * });
 * console.assert(
 *   line === "2025-01-01T00:00:00.000Z #4 peer_state_changed   peer=p2 from=healthy to=suspect",
 * );
 * ```
 */
export function formatEvent(event: Record<string, unknown>): string {
  const fields = Object.keys(event)
    .filter((key) => !HEAD_FIELDS.has(key) && event[key] !== undefined)
    .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))
    .map((key) => `${key}=${formatValue(event[key])}`);
  const head = `${event.time ?? "-"} #${event.id ?? "?"} ${String(event.type).padEnd(TYPE_WIDTH)}`;
  return terminalSafe(fields.length > 0 ? `${head} ${fields.join(" ")}` : head.trimEnd());
}

/** Options of {@link runEvents}, for embedding and tests; the CLI uses the defaults. */
export interface RunEventsOptions {
  /** Stops following; `runEvents` then returns 0. */
  signal?: AbortSignal;
  /**
   * Reconnect attempts in a row before giving up. An attempt that receives anything
   * (an event or a keep-alive) resets the count.
   *
   * @default {5}
   */
  maxReconnects?: number;
  /**
   * Delay before the first reconnect in milliseconds; it doubles with each attempt in a
   * row, up to 16 times this, with a fifth of each delay random.
   *
   * @default {500}
   */
  reconnectDelayMs?: number;
  /**
   * A connection on which nothing (not even a keep-alive) arrives for this many
   * milliseconds is taken as dead and reconnected. Nodes send a keep-alive every 15 s.
   *
   * @default {60_000}
   */
  idleTimeoutMs?: number;
}

/** What one connection did. */
interface Connection {
  /** Whether any byte (event or keep-alive) arrived. */
  received: boolean;
  /** Why it ended. */
  reason: string;
}

/**
 * Whether a failed request should be tried again: the node unreachable, failing or
 * busy (`peer_unreachable`, a 5xx, 429 or 408), not a refusal.
 */
function isRetryable(err: unknown): boolean {
  if (!(err instanceof SwarmError)) return false;
  const status = err.details.status;
  if (typeof status !== "number") return err.code === "peer_unreachable";
  return status >= 500 || status === 429 || status === 408;
}

/** Follows the stream, reconnecting; resolves when `signal` aborts, throws on giving up. */
class Follower {
  #lastId: number | undefined;
  readonly #args: EventsArgs;
  readonly #target: ClientTarget;
  readonly #options: Required<Omit<RunEventsOptions, "signal">> & { signal?: AbortSignal };

  constructor(
    args: EventsArgs,
    target: ClientTarget,
    options: RunEventsOptions,
  ) {
    const {
      maxReconnects = 5,
      reconnectDelayMs = 500,
      idleTimeoutMs = 60_000,
      signal,
    } = options;
    this.#args = args;
    this.#target = target;
    this.#lastId = args.lastEventId;
    this.#options = { maxReconnects, reconnectDelayMs, idleTimeoutMs, signal };
  }

  async run(): Promise<void> {
    const { signal, maxReconnects, reconnectDelayMs } = this.#options;
    const policy: RetryPolicy = {
      maxAttempts: maxReconnects + 1,
      baseDelayMs: reconnectDelayMs,
      maxDelayMs: reconnectDelayMs * 16,
      jitter: 0.2,
    };
    let failures = 0;
    let connectedOnce = false;
    while (!signal?.aborted) {
      let reason: string;
      try {
        const connection = await this.#connect(() => connectedOnce = true);
        if (connection.received) failures = 0;
        reason = connection.reason;
      } catch (err) {
        if (signal?.aborted) return;
        if (!connectedOnce || !isRetryable(err)) throw err;
        reason = err instanceof Error ? err.message : String(err);
      }
      if (signal?.aborted) return;
      failures++;
      if (failures > maxReconnects) {
        throw new SwarmError(
          "peer_unreachable",
          `Lost the event stream of ${this.#target.url}: ${reason} (gave up after ${maxReconnects} reconnect attempts)`,
        );
      }
      const delay = backoffDelayMs(failures, policy);
      console.error(
        `swarm events: ${reason}: reconnecting in ${delay} ms (attempt ${failures} of ${maxReconnects})`,
      );
      try {
        await sleep(delay, signal);
      } catch {
        return; // `signal` stopped the wait: stopping is not a failure.
      }
    }
  }

  /** One connection: prints its events until it ends; throws when it cannot start. */
  async #connect(onConnected: () => void): Promise<Connection> {
    const { url, token, fetch } = this.#target;
    const { signal, idleTimeoutMs } = this.#options;
    const client = new SwarmClient({ url, token, fetch });
    const stream = await client.events({
      types: this.#args.types,
      lastEventId: this.#lastId,
      idleTimeoutMs,
      signal,
    });
    onConnected();
    if (stream.gap) {
      console.error(
        `swarm events: Some events after id ${this.#lastId} were lost: the node no longer holds them or restarted`,
      );
    }
    try {
      for await (const event of stream) this.#print(event);
    } catch (err) {
      if (signal?.aborted || !(err instanceof SwarmError) || err.code !== "peer_unreachable") {
        throw err;
      }
      return { received: stream.received, reason: err.message };
    }
    return { received: stream.received, reason: `${url} ended the event stream` };
  }

  #print(event: Record<string, unknown>): void {
    if (typeof event.id === "number") this.#lastId = event.id;
    console.log(this.#args.json ? jsonForTerminal(event) : formatEvent(event));
  }
}

/**
 * Runs `swarm events` and returns the exit code: 0 when `options.signal` stops it, 1
 * when the node cannot be reached, refuses the request, or stays away through every
 * reconnect attempt, 2 on a usage mistake.
 */
export function runEvents(argv: string[], options: RunEventsOptions = {}): Promise<number> {
  return runSubcommand(argv, {
    name: "events",
    parse: parseEventsArgs,
    help: EVENTS_HELP,
    run: async (args) => {
      const target = targetOfArgs(args);
      await new Follower(args, { ...target, url: target.url.replace(/\/+$/, "") }, options).run();
      return EXIT_OK;
    },
  });
}
