/**
 * Back-pressure for local execution: a bounded number of runs at once and a bounded
 * queue; beyond both, a task is refused at once with a retryable `overloaded` error.
 *
 * @module
 */
import { SwarmError } from "../protocol/mod.ts";

/** Options of {@link Admission}. */
export interface AdmissionOptions {
  /** Runs allowed at once (at least 1). */
  maxConcurrent: number;
  /** Runs allowed to wait for a slot (0 = none wait). */
  maxQueued: number;
}

/** Releases a slot taken by {@link Admission.acquire}; calling it twice is harmless. */
export type Release = () => void;

/**
 * A counting semaphore with a bounded FIFO queue. Memory stays bounded: at most
 * `maxConcurrent + maxQueued` tasks are ever admitted.
 *
 * @example
 * ```ts
 * import { Admission } from "./admission.ts";
 * const admission = new Admission({ maxConcurrent: 1, maxQueued: 0 });
 * const release = await admission.acquire();
 * await admission.acquire().catch((err) => console.assert(err.code === "overloaded"));
 * release();
 * ```
 */
export class Admission {
  readonly #options: AdmissionOptions;
  #running = 0;
  #queue: Array<{ grant: (release: Release) => void; reject: (err: unknown) => void }> = [];
  /** Recent run durations, for the Retry-After estimate. */
  #averageRunMs = 1000;

  /**
   * Creates the gate with its limits.
   *
   * @throws {RangeError} When `maxConcurrent` < 1 or `maxQueued` < 0.
   */
  constructor(options: AdmissionOptions) {
    if (!Number.isSafeInteger(options.maxConcurrent) || options.maxConcurrent < 1) {
      throw new RangeError(
        `Cannot create admission: 'maxConcurrent' must be at least 1: current value is ${options.maxConcurrent}`,
      );
    }
    if (!Number.isSafeInteger(options.maxQueued) || options.maxQueued < 0) {
      throw new RangeError(
        `Cannot create admission: 'maxQueued' must be 0 or more: current value is ${options.maxQueued}`,
      );
    }
    this.#options = options;
  }

  /** Runs in progress. */
  get running(): number {
    return this.#running;
  }

  /** Runs waiting for a slot. */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Waits for a slot and returns its release function.
   *
   * @throws {SwarmError} `overloaded` (429, with `retry_after_s`) when the queue is full;
   * the signal's reason when aborted while waiting.
   */
  acquire(signal?: AbortSignal): Promise<Release> {
    signal?.throwIfAborted();
    if (this.#running < this.#options.maxConcurrent) return Promise.resolve(this.#grant());
    if (this.#queue.length >= this.#options.maxQueued) {
      const waitS = Math.max(
        1,
        Math.ceil(
          (this.#averageRunMs * (1 + this.#queue.length / this.#options.maxConcurrent)) / 1000,
        ),
      );
      return Promise.reject(
        new SwarmError(
          "overloaded",
          `Node is busy: ${this.#running} tasks running and ${this.#queue.length} waiting`,
          { retry_after_s: waitS, running: this.#running, queued: this.#queue.length },
        ),
      );
    }
    return new Promise<Release>((resolve, reject) => {
      const entry = { grant: resolve, reject };
      this.#queue.push(entry);
      signal?.addEventListener("abort", () => {
        const index = this.#queue.indexOf(entry);
        if (index >= 0) {
          this.#queue.splice(index, 1);
          reject(signal.reason);
        }
      }, { once: true });
    });
  }

  #grant(): Release {
    this.#running++;
    const started = performance.now();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#averageRunMs = 0.8 * this.#averageRunMs + 0.2 * (performance.now() - started);
      this.#running--;
      const next = this.#queue.shift();
      if (next) next.grant(this.#grant());
    };
  }
}
