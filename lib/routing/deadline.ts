/**
 * Task deadlines: the budget a task asks for (body or header), the budget a node
 * grants it, and the running deadline that tells each step how much time is left and
 * what budget to hand to the next hop.
 *
 * @module
 */
import { SwarmError } from "../protocol/mod.ts";
import { type Clock, systemClock, type TimerHandle } from "../time/mod.ts";

/**
 * Request header carrying a task's remaining time budget, in whole milliseconds, as
 * sent by a forwarding swarm node (or a client). A SkillLite hop drops it.
 */
export const DEADLINE_HEADER = "x-swarm-deadline-ms";

/** Input of {@link requestedBudgetMs}. */
export interface BudgetRequest {
  /** Value of the {@link DEADLINE_HEADER} header; `null` when absent. */
  header: string | null;
  /** The task's `timeout_ms` field, unchecked; `undefined` or `null` when absent. */
  bodyTimeoutMs: unknown;
}

function parseHeader(value: string | null): number | undefined | "invalid" {
  if (value === null) return undefined;
  const text = value.trim();
  if (!/^[0-9]+$/.test(text)) return "invalid";
  const ms = Number(text);
  return Number.isSafeInteger(ms) ? ms : "invalid";
}

function parseBody(value: unknown): number | undefined | "invalid" {
  if (value === undefined || value === null) return undefined;
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0 ? value : "invalid";
}

/**
 * The time budget a request asks for, in milliseconds: the smaller of the
 * {@link DEADLINE_HEADER} header (a non-negative integer; 0 means the budget is
 * already spent, so the task times out at once) and the task's `timeout_ms` (a
 * positive integer). `parseNodeTask` already refuses a bad `timeout_ms`, so for a
 * parsed task `"invalid"` means the header is malformed.
 *
 * @param request The header value and the body field.
 * @returns The budget; `undefined` when neither is given; `"invalid"` when either is
 * malformed (fractional, negative, not a number, beyond 2^53).
 * @example
 * ```ts
 * import { requestedBudgetMs } from "./deadline.ts";
 * console.assert(requestedBudgetMs({ header: "1500", bodyTimeoutMs: 60_000 }) === 1500);
 * console.assert(requestedBudgetMs({ header: null, bodyTimeoutMs: undefined }) === undefined);
 * console.assert(requestedBudgetMs({ header: "soon", bodyTimeoutMs: undefined }) === "invalid");
 * ```
 */
export function requestedBudgetMs(request: BudgetRequest): number | undefined | "invalid" {
  const header = parseHeader(request.header);
  const body = parseBody(request.bodyTimeoutMs);
  if (header === "invalid" || body === "invalid") return "invalid";
  if (header === undefined) return body;
  if (body === undefined) return header;
  return Math.min(header, body);
}

/**
 * The budget a node grants a task, in milliseconds: the requested budget capped at
 * `maxMs`, or `defaultMs` (also capped) when none was requested.
 *
 * @param requested The budget asked for (see {@link requestedBudgetMs}).
 * @param defaultMs Budget of a task that asks for none.
 * @param maxMs Largest budget granted.
 * @returns The granted budget.
 * @throws {RangeError} When `defaultMs` or `maxMs` is not a positive number.
 * @example
 * ```ts
 * import { taskBudgetMs } from "./deadline.ts";
 * console.assert(taskBudgetMs(undefined, 120_000, 120_000) === 120_000);
 * console.assert(taskBudgetMs(5000, 120_000, 120_000) === 5000);
 * console.assert(taskBudgetMs(900_000, 120_000, 300_000) === 300_000);
 * ```
 */
export function taskBudgetMs(
  requested: number | undefined,
  defaultMs: number,
  maxMs: number,
): number {
  for (const [name, value] of [["defaultMs", defaultMs], ["maxMs", maxMs]] as const) {
    if (!(value > 0) || !Number.isFinite(value)) {
      throw new RangeError(
        `Cannot grant a task budget as '${name}' must be a positive number: current value is ${value}`,
      );
    }
  }
  return Math.min(requested ?? defaultMs, maxMs);
}

/** Options of {@link Deadline}. */
export interface DeadlineOptions {
  /** Clock time the budget starts at, in epoch milliseconds. @default {clock.now()} */
  startMs?: number;
  /**
   * The clock the time left is read from, and whose timers abort
   * {@link Deadline.signal}s.
   *
   * @default {systemClock}
   */
  clock?: Clock;
}

/**
 * A task's running deadline: created when the task arrives with its granted budget,
 * then asked how much time is left, what budget to send to the next hop, and for an
 * abort signal. Time and the signals' timers come from an injected {@link Clock}.
 *
 * @example
 * ```ts
 * import { Deadline } from "./deadline.ts";
 * import { systemClock } from "../time/mod.ts";
 * let now = 1000;
 * const deadline = new Deadline(500, { clock: { ...systemClock, now: () => now } });
 * now += 200;
 * console.assert(deadline.remainingMs() === 300);
 * console.assert(deadline.forwardBudgetMs() === 250);
 * console.assert(deadline.attemptTimeoutMs(100) === 100);
 * now += 300;
 * console.assert(deadline.expired());
 * ```
 */
export class Deadline {
  readonly #timers: TimerHandle[] = [];
  /** The budget granted at creation, in milliseconds. */
  readonly budgetMs: number;
  /** Clock time at which the budget runs out, in milliseconds. */
  readonly expiresAtMs: number;
  readonly #clock: Clock;

  /**
   * Starts a deadline `budgetMs` from `options.startMs` (by default, now).
   *
   * @param budgetMs Time granted, in milliseconds; 0 is already expired.
   * @param options Start time and clock.
   * @throws {RangeError} When `budgetMs` is negative or not finite.
   */
  constructor(budgetMs: number, options: DeadlineOptions = {}) {
    const { clock = systemClock, startMs = clock.now() } = options;
    if (!(budgetMs >= 0) || !Number.isFinite(budgetMs)) {
      throw new RangeError(
        `Cannot create deadline as 'budgetMs' must be a non-negative number: current value is ${budgetMs}`,
      );
    }
    this.budgetMs = budgetMs;
    this.#clock = clock;
    this.expiresAtMs = startMs + budgetMs;
  }

  /** Time left, in milliseconds, never below 0. */
  remainingMs(): number {
    return Math.max(0, this.expiresAtMs - this.#clock.now());
  }

  /** Whether no time is left. */
  expired(): boolean {
    return this.remainingMs() <= 0;
  }

  /**
   * The budget to send to the next hop in {@link DEADLINE_HEADER}: the time left
   * minus a margin for the answer's way back, in whole milliseconds, never below 0.
   *
   * @param marginMs Time kept for the return trip, in milliseconds.
   * @throws {RangeError} When `marginMs` is negative or not finite.
   */
  forwardBudgetMs(marginMs = 50): number {
    if (!(marginMs >= 0) || !Number.isFinite(marginMs)) {
      throw new RangeError(
        `Cannot compute forward budget as 'marginMs' must be a non-negative number: current value is ${marginMs}`,
      );
    }
    return Math.max(0, Math.floor(this.remainingMs() - marginMs));
  }

  /**
   * Time limit of one attempt (a forward, a local run), in milliseconds: `capMs` or the
   * time left, whichever is smaller.
   *
   * @param capMs The attempt's own limit, in milliseconds.
   * @throws {RangeError} When `capMs` is not a positive number.
   */
  attemptTimeoutMs(capMs: number): number {
    if (!(capMs > 0)) {
      throw new RangeError(
        `Cannot compute attempt timeout as 'capMs' must be a positive number: current value is ${capMs}`,
      );
    }
    return Math.min(capMs, this.remainingMs());
  }

  /**
   * A new signal that aborts when the time left runs out (at once when none is left),
   * with a {@link SwarmError} `timeout` as its reason. Its timer, on the deadline's
   * clock, lives until it fires or {@link Deadline.dispose} cancels it.
   *
   * @example
   * ```ts
   * import { Deadline } from "./deadline.ts";
   * const signal = new Deadline(0).signal();
   * console.assert(signal.aborted && signal.reason.code === "timeout");
   * ```
   */
  signal(): AbortSignal {
    const reason = () =>
      new SwarmError("timeout", `Deadline of ${this.budgetMs} ms exceeded`, {
        budget_ms: this.budgetMs,
      });
    const remaining = this.remainingMs();
    if (remaining <= 0) return AbortSignal.abort(reason());
    const controller = new AbortController();
    const timer = this.#clock.setTimeout(() => controller.abort(reason()), Math.ceil(remaining));
    this.#timers.push(timer);
    return controller.signal;
  }

  /**
   * Cancels the timers of the signals handed out: call it when the task ends, so a
   * finished task holds no timer (and nothing it references) until its deadline.
   */
  dispose(): void {
    for (const timer of this.#timers.splice(0)) this.#clock.clearTimeout(timer);
  }
}
