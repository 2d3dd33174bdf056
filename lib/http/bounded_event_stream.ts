/**
 * The NDJSON body of a streamed task, with a bounded buffer: a caller that does not read
 * costs a few lines of memory, not everything the task (or a peer) emits meanwhile.
 *
 * @module
 */
import type { StreamEvent } from "../protocol/mod.ts";

/** Options of {@link BoundedEventStream}. */
export interface BoundedEventStreamOptions {
  /**
   * Most progress lines waiting for the caller to read them. When the caller reads
   * slower than events come, further progress events are dropped (counted in
   * `dropped`) until it catches up; the final event is never dropped. With progress
   * events of at most 64 KiB (the client's limit for peers' events) this bounds the
   * buffer to about 1 MiB per stream.
   *
   * @default {16}
   */
  maxQueued?: number;
}

const encoder = new TextEncoder();

function line(event: StreamEvent): Uint8Array {
  return encoder.encode(JSON.stringify(event) + "\n");
}

/**
 * A stream of NDJSON event lines for an HTTP body, read only as fast as the caller reads
 * it. {@link BoundedEventStream.push} queues a progress event and returns a promise that
 * settles once there is room for the next one, so a producer that awaits it is slowed to
 * the caller's pace (back-pressure); one that does not gets its surplus dropped.
 * {@link BoundedEventStream.end} queues the final event and closes.
 *
 * @example
 * ```ts
 * import { BoundedEventStream } from "./bounded_event_stream.ts";
 * const out = new BoundedEventStream({ maxQueued: 2 });
 * await out.push({ event: "executing" });
 * out.end({ event: "done", result: { task_id: "t", response: "", task_completed: true, tool_calls: 0 } });
 * const text = await new Response(out.readable).text();
 * console.assert(text.split("\n").length === 3);
 * ```
 */
export class BoundedEventStream {
  /** The body to answer with. */
  readonly readable: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #closed = false;
  #waiters: Array<() => void> = [];
  #dropped = 0;

  /**
   * Creates an open stream.
   *
   * @throws {RangeError} When `maxQueued` is not a positive integer.
   */
  constructor(options: BoundedEventStreamOptions = {}) {
    const { maxQueued = 16 } = options;
    if (!Number.isSafeInteger(maxQueued) || maxQueued < 1) {
      throw new RangeError(
        `Cannot create event stream as 'maxQueued' must be a positive integer: current value is ${maxQueued}`,
      );
    }
    this.readable = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      // Called whenever the queue is below its limit again (the caller read a line).
      pull: () => this.#wake(),
      cancel: () => {
        // The caller went away: nothing more is queued, and nobody waits for room.
        this.#closed = true;
        this.#wake();
      },
    }, new CountQueuingStrategy({ highWaterMark: maxQueued }));
  }

  /** Progress events dropped because the caller was not reading. */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Queues a progress event, or drops it when `maxQueued` lines are already waiting.
   * Never rejects.
   *
   * @returns A promise that settles once there is room for another event, or the
   * stream is closed or cancelled.
   */
  push(event: StreamEvent): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#room()) this.#controller.enqueue(line(event));
    else this.#dropped++;
    if (this.#room()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Queues the final event (always, whatever is waiting) and closes the stream. */
  end(event: StreamEvent): void {
    if (this.#closed) return;
    this.#controller.enqueue(line(event));
    this.close();
  }

  /** Closes the stream after the lines already queued; later pushes are ignored. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#controller.close();
    this.#wake();
  }

  #room(): boolean {
    return (this.#controller.desiredSize ?? 0) > 0;
  }

  #wake(): void {
    if (!this.#closed && !this.#room()) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }
}
