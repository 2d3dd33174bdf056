/**
 * The hub behind `GET /events`: fans bus events out to many followers, each with a
 * bounded buffer, and keeps a bounded ring of recent events for `Last-Event-ID` resume.
 *
 * @module
 */
import type { EventBus, EventHook, NodeEvent } from "./events.ts";

/** Options of an {@link EventStreamHub}. */
export interface EventStreamHubOptions {
  /**
   * Recent events kept for resume. A follower that reconnects with a `Last-Event-ID`
   * still in the ring misses nothing; an older one gets the whole ring and
   * {@link EventSubscription.gap} set. More costs memory (one event object each); 0
   * keeps none, so every resume after a missed event has a gap.
   *
   * @default {1024}
   */
  ringSize?: number;
  /**
   * Live events a subscriber may have waiting before it is dropped, when
   * {@link SubscribeOptions.bufferSize} does not say. Larger rides out longer stalls of
   * a follower, at the cost of memory per follower.
   *
   * @default {256}
   */
  bufferSize?: number;
  /**
   * Window in which repeated `auth_failed` events of one reason and source are folded
   * into the window's first event (its `count` and `last_time` updated in the ring,
   * the repeats not delivered live), so a flood of bad credentials cannot push every
   * other event out of the history or get followers dropped. 0 folds nothing.
   *
   * @default {10_000}
   */
  authFailureWindowMs?: number;
  /** The clock, in ms (tests pass a fake one). @default {Date.now} */
  now?: () => number;
}

/** Options of {@link EventStreamHub.subscribe}. */
export interface SubscribeOptions {
  /**
   * Id of the last event the follower has. Ring events after it are replayed before
   * live ones; absent means live events only. An id newer than any this hub saw (the
   * node restarted and numbers again from 1) replays the whole ring, with a gap.
   */
  lastEventId?: number;
  /**
   * Live events this subscriber may have waiting; one more and it is dropped. Replayed
   * events do not count.
   *
   * @default {the hub's bufferSize}
   */
  bufferSize?: number;
  /** Event types to deliver; absent or empty means all. Other events do not fill the buffer. */
  types?: Iterable<string>;
}

/**
 * One follower's events: ring replay first, then live events, in id order. Iterate it
 * with `for await`; it ends when the follower closes it, when the hub closes (after the
 * events already buffered) or when the follower fell behind by more than its buffer
 * (at once, {@link dropped} set).
 */
export interface EventSubscription extends AsyncIterableIterator<NodeEvent> {
  /**
   * True when events between the requested `lastEventId` and the first one replayed
   * were lost: they had left the ring, or the id belongs to an earlier run of the node.
   */
  readonly gap: boolean;
  /** True when the hub dropped this subscriber for letting its buffer overflow. */
  readonly dropped: boolean;
  /** Ends the subscription at once, discarding what is buffered. */
  close(): void;
}

const DEFAULT_RING_SIZE = 1024;
const DEFAULT_BUFFER_SIZE = 256;
const DEFAULT_AUTH_FAILURE_WINDOW_MS = 10_000;
/** Most (reason, source) windows tracked at once; the oldest is forgotten beyond. */
const MAX_AUTH_FAILURE_WINDOWS = 1_024;

/** The open window of one (reason, source) pair of `auth_failed` events. */
interface FoldWindow {
  /** Id of the window's first event (the one in the ring). */
  id: number;
  /** When the window opened, per the hub's clock. */
  openedMs: number;
  /** Failures folded so far, the first included. */
  count: number;
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(
      `Cannot use event stream option '${name}' as it must be an integer of at least ${min}: current value is ${value}`,
    );
  }
}

type Waiter = (result: IteratorResult<NodeEvent, undefined>) => void;

const DONE: IteratorResult<NodeEvent, undefined> = { value: undefined, done: true };

/** A subscriber's state: the hub calls `offer` and `end`, the follower iterates. */
class Subscription implements EventSubscription {
  readonly gap: boolean;
  #dropped = false;
  #replay: NodeEvent[];
  #replayAt = 0;
  #queue: NodeEvent[] = [];
  #head = 0;
  #waiters: Waiter[] = [];
  /** No event will be added any more. */
  #ended = false;
  readonly #bufferSize: number;
  readonly #types: ReadonlySet<string> | null;
  readonly #release: (sub: Subscription) => void;

  constructor(
    replay: NodeEvent[],
    gap: boolean,
    bufferSize: number,
    types: ReadonlySet<string> | null,
    release: (sub: Subscription) => void,
  ) {
    this.gap = gap;
    this.#bufferSize = bufferSize;
    this.#types = types;
    this.#release = release;
    this.#replay = types ? replay.filter((e) => types.has(e.type)) : replay;
  }

  get dropped(): boolean {
    return this.#dropped;
  }

  /** Hands over a live event; false when the buffer overflowed (the subscriber is then dropped). */
  offer(event: NodeEvent): boolean {
    if (this.#ended) return true;
    if (this.#types && !this.#types.has(event.type)) return true;
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter({ value: event, done: false });
      return true;
    }
    if (this.#queue.length - this.#head >= this.#bufferSize) {
      this.#dropped = true;
      this.#discard();
      return false;
    }
    this.#queue.push(event);
    return true;
  }

  /** No more events: the follower still reads what is buffered. */
  end(): void {
    this.#ended = true;
    for (const waiter of this.#waiters.splice(0)) waiter(DONE);
  }

  close(): void {
    if (!this.#ended) this.#release(this);
    this.#discard();
  }

  next(): Promise<IteratorResult<NodeEvent, undefined>> {
    if (this.#replayAt < this.#replay.length) {
      const value = this.#replay[this.#replayAt++];
      if (this.#replayAt === this.#replay.length) {
        this.#replay = [];
        this.#replayAt = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#head < this.#queue.length) {
      const value = this.#queue[this.#head++];
      if (this.#head === this.#queue.length) {
        this.#queue = [];
        this.#head = 0;
      } else if (this.#head >= 64 && this.#head * 2 >= this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#ended) return Promise.resolve(DONE);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  return(): Promise<IteratorResult<NodeEvent, undefined>> {
    this.close();
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #discard(): void {
    this.#replay = [];
    this.#queue = [];
    this.#head = 0;
    this.end();
  }
}

/**
 * Fans node events out to followers of the event stream. Publishing is synchronous and
 * O(followers): it never waits for a follower. A follower whose buffer overflows is
 * dropped (its subscription ends; it may reconnect with its last id) and counted in
 * {@link droppedSubscribers}.
 *
 * @example
 * ```ts
 * import { EventBus } from "./events.ts";
 * import { EventStreamHub } from "./event_stream.ts";
 * const bus = new EventBus("node-1");
 * const hub = new EventStreamHub();
 * hub.attach(bus);
 * bus.emit({ type: "capabilities_changed", capabilities: ["calc"] });
 * const sub = hub.subscribe({ lastEventId: 0 });
 * bus.emit({ type: "swarm_stopping", reason: "signal" });
 * hub.close();
 * const types: string[] = [];
 * for await (const event of sub) types.push(event.type);
 * console.assert(types.join() === "capabilities_changed,swarm_stopping");
 * ```
 */
export class EventStreamHub {
  /** Publishes an event; pass it to `EventBus.subscribe` (or use {@link attach}). */
  readonly hook: EventHook = (event) => this.publish(event);
  readonly #ring: NodeEvent[] = [];
  readonly #ringSize: number;
  /** Index of the oldest event once the ring is full. */
  #ringStart = 0;
  readonly #bufferSize: number;
  readonly #subscribers = new Set<Subscription>();
  readonly #detach: Array<() => void> = [];
  #lastId = 0;
  #dropped = 0;
  #closed = false;
  readonly #foldWindowMs: number;
  readonly #now: () => number;
  /** Open `auth_failed` windows by `reason\0source`, oldest first. */
  readonly #folds = new Map<string, FoldWindow>();

  /**
   * Creates a hub; {@link attach} it to a bus or pass {@link hook} to one.
   *
   * @throws {RangeError} When `ringSize` is not an integer ≥ 0 or `bufferSize` not one ≥ 1.
   */
  constructor(options: EventStreamHubOptions = {}) {
    const {
      ringSize = DEFAULT_RING_SIZE,
      bufferSize = DEFAULT_BUFFER_SIZE,
      authFailureWindowMs = DEFAULT_AUTH_FAILURE_WINDOW_MS,
      now = Date.now,
    } = options;
    checkCount("ringSize", ringSize, 0);
    checkCount("bufferSize", bufferSize, 1);
    checkCount("authFailureWindowMs", authFailureWindowMs, 0);
    this.#ringSize = ringSize;
    this.#bufferSize = bufferSize;
    this.#foldWindowMs = authFailureWindowMs;
    this.#now = now;
  }

  /** Followers currently subscribed. */
  get subscribers(): number {
    return this.#subscribers.size;
  }

  /** Followers dropped so far for letting their buffer overflow. */
  get droppedSubscribers(): number {
    return this.#dropped;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Receives every event of `bus` until {@link close}; returns a function that detaches. */
  attach(bus: Pick<EventBus, "subscribe">): () => void {
    const detach = bus.subscribe(this.hook);
    this.#detach.push(detach);
    return detach;
  }

  /** Records `event` in the ring and hands it to every follower. Ignored once closed. */
  publish(event: NodeEvent): void {
    if (this.#closed) return;
    this.#lastId = event.id;
    if (event.type === "auth_failed" && this.#fold(event)) return;
    if (this.#ringSize > 0) {
      if (this.#ring.length < this.#ringSize) this.#ring.push(event);
      else {
        this.#ring[this.#ringStart] = event;
        this.#ringStart = (this.#ringStart + 1) % this.#ringSize;
      }
    }
    for (const subscriber of this.#subscribers) {
      if (!subscriber.offer(event)) {
        this.#subscribers.delete(subscriber);
        this.#dropped++;
      }
    }
  }

  /**
   * Starts following: replays ring events after `lastEventId`, then live events. After
   * {@link close} it yields the replay only.
   *
   * @throws {RangeError} When `lastEventId` is not an integer ≥ 0 or `bufferSize` not one ≥ 1.
   */
  subscribe(options: SubscribeOptions = {}): EventSubscription {
    const { lastEventId, bufferSize = this.#bufferSize, types } = options;
    if (lastEventId !== undefined) checkCount("lastEventId", lastEventId, 0);
    checkCount("bufferSize", bufferSize, 1);
    const wanted = types ? new Set(types) : null;
    const { replay, gap } = lastEventId === undefined
      ? { replay: [], gap: false }
      : this.#replayAfter(lastEventId);
    const subscription = new Subscription(
      replay,
      gap,
      bufferSize,
      wanted && wanted.size > 0 ? wanted : null,
      (sub) => this.#subscribers.delete(sub),
    );
    if (this.#closed) subscription.end();
    else this.#subscribers.add(subscription);
    return subscription;
  }

  /** Stops receiving events and ends every subscription (followers read what is buffered). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const detach of this.#detach.splice(0)) detach();
    for (const subscriber of this.#subscribers) subscriber.end();
    this.#subscribers.clear();
  }

  /**
   * Folds a repeated `auth_failed` into its window's first event, in the ring; true when
   * it was folded (and must not be recorded nor delivered), false when it opens a window.
   */
  #fold(event: Extract<NodeEvent, { type: "auth_failed" }>): boolean {
    if (this.#foldWindowMs === 0) return false;
    const now = this.#now();
    const key = `${event.reason}\0${event.source ?? ""}`;
    const open = this.#folds.get(key);
    if (open && now - open.openedMs < this.#foldWindowMs) {
      const slot = this.#ring.findIndex((e) => e.id === open.id);
      if (slot !== -1) {
        open.count += event.count ?? 1;
        const first = this.#ring[slot] as typeof event;
        this.#ring[slot] = { ...first, count: open.count, last_time: event.time };
        return true;
      }
    }
    this.#folds.delete(key);
    if (this.#folds.size >= MAX_AUTH_FAILURE_WINDOWS) {
      this.#folds.delete(this.#folds.keys().next().value!);
    }
    this.#folds.set(key, { id: event.id, openedMs: now, count: event.count ?? 1 });
    return false;
  }

  /** Ring events newer than `lastEventId`, oldest first, and whether some were lost. */
  #replayAfter(lastEventId: number): { replay: NodeEvent[]; gap: boolean } {
    const ordered = this.#ring.slice(this.#ringStart).concat(this.#ring.slice(0, this.#ringStart));
    if (lastEventId > this.#lastId) return { replay: ordered, gap: true };
    const oldest = ordered.length > 0 ? ordered[0].id : this.#lastId + 1;
    return {
      replay: ordered.filter((event) => event.id > lastEventId),
      gap: lastEventId < oldest - 1,
    };
  }
}
