/**
 * Executions running in this process, shared by duplicates of a running task.
 *
 * @module
 */
import type { NodeResult, StreamEvent } from "../protocol/mod.ts";

/** One execution as its starter and every duplicate see it. */
export interface SharedExecution {
  /**
   * Settles as the execution did: the same result, or a rejection with the same error,
   * for every holder. Never reported as unhandled when nobody awaits it.
   */
  result: Promise<NodeResult>;
  /**
   * The progress events emitted so far (at most the retained ones), then the live ones,
   * ending once the execution settled. It never throws: read `result` for the outcome.
   * Each call starts a new replay.
   */
  events(): AsyncIterable<StreamEvent>;
}

/** Options of {@link Inflight}. */
export interface InflightOptions {
  /**
   * Events kept per execution for replay. When an execution emits more, the oldest are
   * dropped: a subscriber that arrives late, or reads slower than events come, skips
   * them and goes on from the oldest kept. Memory per execution is bounded by this.
   *
   * @default {256}
   */
  maxEvents?: number;
}

/** Default {@link InflightOptions.maxEvents}. */
export const DEFAULT_INFLIGHT_MAX_EVENTS = 256;

/** The progress events of one execution, shared by its subscribers. */
interface EventLog {
  /** Retained events; `events[0]` has sequence number `dropped`. */
  events: StreamEvent[];
  /** How many events were dropped from the front. */
  dropped: number;
  /** Whether the execution settled: no event follows. */
  settled: boolean;
  /** Resolves on the next event or on settling; then replaced. */
  changed: Promise<void>;
}

/**
 * Registry of the executions running in this process, by task id, so that a duplicate of
 * a running task joins the execution instead of starting another. An entry lives from
 * `run` until its execution settles; a `join` after that returns null, so `start` should
 * store the outcome durably (e.g. `KvTaskStore.finish`) before it resolves.
 *
 * @example
 * ```ts
 * import { Inflight } from "./inflight.ts";
 * const inflight = new Inflight();
 * const first = inflight.run("t1", async (emit) => {
 *   emit({ event: "executing", skill: "calc" });
 *   return { task_id: "t1", response: "3", task_completed: true, tool_calls: 0 };
 * });
 * const duplicate = inflight.join("t1")!;
 * console.assert((await duplicate.result) === (await first.result));
 * console.assert(inflight.size === 0 && inflight.join("t1") === null);
 * ```
 */
export class Inflight {
  #entries = new Map<string, SharedExecution>();
  #maxEvents: number;
  #idle: Array<() => void> = [];

  /**
   * An empty registry.
   *
   * @throws {RangeError} When `maxEvents` is not a positive integer.
   */
  constructor(options: InflightOptions = {}) {
    const { maxEvents = DEFAULT_INFLIGHT_MAX_EVENTS } = options;
    if (!Number.isSafeInteger(maxEvents) || maxEvents <= 0) {
      throw new RangeError(
        `Cannot track executions as 'maxEvents' must be a positive integer: current value is ${maxEvents}`,
      );
    }
    this.#maxEvents = maxEvents;
  }

  /** Number of executions running. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Starts the execution of task `id`: registers it, then calls `start` (a microtask
   * later) with an `emit` that records progress events for every subscriber. If `id` is
   * already running, nothing is started and that execution is returned, as
   * {@link Inflight.join} would.
   *
   * @param id The task id.
   * @param start Runs the task; its promise settles the shared execution. A synchronous
   * throw counts as a rejection. Events emitted after it settled are ignored.
   */
  run(
    id: string,
    start: (emit: (event: StreamEvent) => void) => Promise<NodeResult>,
  ): SharedExecution {
    const running = this.join(id);
    if (running) return running;

    let wake!: () => void;
    const log: EventLog = {
      events: [],
      dropped: 0,
      settled: false,
      changed: new Promise((resolve) => wake = resolve),
    };
    const notify = () => {
      const resolve = wake;
      log.changed = new Promise((next) => wake = next);
      resolve();
    };
    const emit = (event: StreamEvent) => {
      if (log.settled) return;
      log.events.push(event);
      if (log.events.length > this.#maxEvents) {
        log.events.shift();
        log.dropped++;
      }
      notify();
    };
    // `start` runs a microtask later, after the execution is registered below, so a
    // synchronous throw becomes a rejection and a re-entrant `run` of `id` joins.
    const result = Promise.resolve().then(() => start(emit)).finally(() => {
      log.settled = true;
      if (this.#entries.get(id) === execution) this.#entries.delete(id);
      notify();
      if (this.#entries.size === 0) { for (const resolve of this.#idle.splice(0)) resolve(); }
    });
    result.catch(() => {/* holders of `result` see the error; having none is fine */});
    const execution: SharedExecution = { result, events: () => replay(log) };
    this.#entries.set(id, execution);
    return execution;
  }

  /**
   * Resolves once no execution is running (at once when none is): what a drain waits
   * for, since a run whose caller went away still stores its result.
   *
   * @example
   * ```ts
   * import { Inflight } from "./inflight.ts";
   * const inflight = new Inflight();
   * const done = Promise.withResolvers<void>();
   * inflight.run("t1", async () => {
   *   await done.promise;
   *   return { task_id: "t1", response: "ok", task_completed: true, tool_calls: 0 };
   * });
   * let idle = false;
   * const waiting = inflight.idle().then(() => idle = true);
   * await Promise.resolve();
   * console.assert(!idle);
   * done.resolve();
   * await waiting;
   * console.assert(idle && inflight.size === 0);
   * ```
   */
  idle(): Promise<void> {
    if (this.#entries.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** The running execution of task `id`, or null when none runs in this process. */
  join(id: string): SharedExecution | null {
    return this.#entries.get(id) ?? null;
  }
}

/** Replays the retained events of `log`, then follows it until the execution settled. */
async function* replay(log: EventLog): AsyncGenerator<StreamEvent, void, undefined> {
  let next = log.dropped;
  while (true) {
    // Skip what was dropped while this subscriber was not reading.
    next = Math.max(next, log.dropped);
    if (next < log.dropped + log.events.length) {
      yield log.events[next - log.dropped];
      next++;
    } else if (log.settled) {
      return;
    } else {
      await log.changed;
    }
  }
}
