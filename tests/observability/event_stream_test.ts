import assert from "node:assert/strict";
import { EventStreamHub, type EventSubscription } from "../../lib/observability/event_stream.ts";
import { EventBus, type NodeEvent } from "../../lib/observability/events.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

/** Emits `n` capabilities_changed events; returns the last. */
function emitMany(bus: EventBus, n: number): NodeEvent | undefined {
  let last: NodeEvent | undefined;
  for (let i = 0; i < n; i++) last = bus.emit({ type: "capabilities_changed", capabilities: [] });
  return last;
}

/** Reads everything until the subscription ends; returns the ids. */
async function drain(sub: EventSubscription): Promise<number[]> {
  const ids: number[] = [];
  for await (const event of sub) ids.push(event.id);
  return ids;
}

/** Reads `n` events (fails if the subscription ends first). */
async function take(sub: EventSubscription, n: number): Promise<number[]> {
  const ids: number[] = [];
  while (ids.length < n) {
    const { value, done } = await sub.next();
    assert.equal(done, false, `Subscription ended after ${ids.length} of ${n} events`);
    ids.push(value!.id);
  }
  return ids;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function setup(options: ConstructorParameters<typeof EventStreamHub>[0] = {}) {
  const bus = new EventBus("n1");
  const hub = new EventStreamHub(options);
  hub.attach(bus);
  return { bus, hub };
}

Deno.test("EventStreamHub.subscribe() without lastEventId yields live events only", async () => {
  const { bus, hub } = setup();
  emitMany(bus, 3);
  const sub = hub.subscribe();
  emitMany(bus, 2);
  hub.close();
  assert.deepEqual(await drain(sub), [4, 5]);
  assert.equal(sub.gap, false);
});

const RESUMES: Array<
  [name: string, emitted: number, lastEventId: number, replayed: number[], gap: boolean]
> = [
  ["replays the ring after lastEventId", 10, 6, [7, 8, 9, 10], false],
  ["replays nothing when lastEventId is the newest", 10, 10, [], false],
  ["replays all from 0 when nothing was lost", 4, 0, [1, 2, 3, 4], false],
  ["resumes without a gap right before the oldest", 10, 5, [6, 7, 8, 9, 10], false],
  ["flags a gap when lastEventId left the ring", 10, 3, [6, 7, 8, 9, 10], true],
  ["flags a gap and replays all for an id of an earlier run", 10, 50, [6, 7, 8, 9, 10], true],
  ["flags a gap for an id of an earlier run on a fresh hub", 0, 7, [], true],
];

for (const [name, emitted, lastEventId, replayed, gap] of RESUMES) {
  Deno.test(`EventStreamHub.subscribe() ${name}`, async () => {
    const { bus, hub } = setup({ ringSize: 5 });
    emitMany(bus, emitted);
    const sub = hub.subscribe({ lastEventId });
    assert.equal(sub.gap, gap);
    hub.close();
    assert.deepEqual(await drain(sub), replayed);
  });
}

Deno.test("EventStreamHub.subscribe() with ringSize 0 flags any missed event as a gap", async () => {
  const { bus, hub } = setup({ ringSize: 0 });
  emitMany(bus, 3);
  assert.equal(hub.subscribe({ lastEventId: 3 }).gap, false);
  const sub = hub.subscribe({ lastEventId: 2 });
  assert.equal(sub.gap, true);
  emitMany(bus, 1);
  hub.close();
  assert.deepEqual(await drain(sub), [4]);
});

Deno.test("EventStreamHub.subscribe() replays then continues live, in order", async () => {
  const { bus, hub } = setup();
  emitMany(bus, 3);
  const sub = hub.subscribe({ lastEventId: 1 });
  emitMany(bus, 2);
  assert.deepEqual(await take(sub, 4), [2, 3, 4, 5]);
  const waiting = sub.next();
  emitMany(bus, 1);
  assert.equal((await waiting).value?.id, 6);
  sub.close();
});

Deno.test("EventStreamHub.subscribe() keeps only the requested types, replay included", async () => {
  const { bus, hub } = setup();
  bus.emit({ type: "peer_left", peer: "p1", source: "mdns", reason: "goodbye" });
  bus.emit({ type: "capabilities_changed", capabilities: ["calc"] });
  const sub = hub.subscribe({
    lastEventId: 0,
    types: ["peer_left", "swarm_stopping"],
    bufferSize: 1,
  });
  // Filtered events do not fill the buffer: many of them do not drop the subscriber.
  emitMany(bus, 10);
  bus.emit({ type: "swarm_stopping", reason: "signal" });
  hub.close();
  const types: string[] = [];
  for await (const event of sub) types.push(event.type);
  assert.deepEqual(types, ["peer_left", "swarm_stopping"]);
  assert.equal(hub.droppedSubscribers, 0);
});

Deno.test("EventStreamHub.subscribe() with empty types keeps every type", async () => {
  const { bus, hub } = setup();
  const sub = hub.subscribe({ types: [] });
  bus.emit({ type: "peer_left", peer: "p1", source: "mdns", reason: "goodbye" });
  bus.emit({ type: "capabilities_changed", capabilities: [] });
  hub.close();
  assert.deepEqual(await drain(sub), [1, 2]);
});

Deno.test("EventStreamHub drops a subscriber whose buffer overflows, at once", async () => {
  const { bus, hub } = setup({ bufferSize: 4 });
  const slow = hub.subscribe({ lastEventId: 0 });
  const healthy = hub.subscribe();
  emitMany(bus, 4);
  assert.equal(hub.subscribers, 2);
  assert.equal(slow.dropped, false);
  assert.deepEqual(await take(healthy, 4), [1, 2, 3, 4]);
  emitMany(bus, 1);
  assert.equal(slow.dropped, true);
  assert.equal(hub.droppedSubscribers, 1);
  assert.equal(hub.subscribers, 1);
  // Its buffered events are discarded: it resumes from the ring with its last id.
  assert.deepEqual(await drain(slow), []);
  assert.deepEqual(await take(healthy, 1), [5]);
  healthy.close();
  assert.equal(hub.subscribers, 0);
});

Deno.test("EventStreamHub: a stalled subscriber is dropped at its buffer's size and never offered more, while a healthy one gets all", async () => {
  const bufferSize = 256;
  const { bus, hub } = setup({ bufferSize });
  const stalled = hub.subscribe();
  const healthy = hub.subscribe();
  const received: number[] = [];
  const reading = (async () => {
    for await (const event of healthy) received.push(event.id);
  })();
  const total = 10_000;
  let droppedAt: number | undefined;
  const followersAfterDrop = new Set<number>();
  for (let id = 1; id <= total; id++) {
    // emit() is synchronous: it returns the event published, waiting for no follower.
    assert.equal(bus.emit({ type: "capabilities_changed", capabilities: [] }).id, id);
    if (droppedAt === undefined && stalled.dropped) droppedAt = id;
    if (droppedAt !== undefined) followersAfterDrop.add(hub.subscribers);
    // Let the healthy follower read, as a real one does between two bursts.
    if (id % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  hub.close();
  await withTimeout(reading, { ms: 10_000, waitingFor: "the healthy follower to end" });
  // What a stalled follower costs is bounded: it holds at most `bufferSize` events and
  // is dropped by the next one; from then on each emit offers events to one follower.
  assert.equal(droppedAt, bufferSize + 1);
  assert.deepEqual([...followersAfterDrop], [1]);
  assert.equal(hub.subscribers, 0);
  assert.equal(hub.droppedSubscribers, 1);
  assert.deepEqual(await drain(stalled), [], "its buffered events were discarded");
  assert.deepEqual(received, range(1, total), "the healthy follower got every event, in order");
});

Deno.test("EventStreamHub.close() ends every subscription after what is buffered", async () => {
  const { bus, hub } = setup();
  const a = hub.subscribe();
  const b = hub.subscribe({ types: ["swarm_stopping"] });
  const waiting = b.next();
  bus.emit({ type: "capabilities_changed", capabilities: [] });
  hub.close();
  assert.equal(hub.subscribers, 0);
  assert.equal(hub.closed, true);
  assert.deepEqual(await waiting, { value: undefined, done: true });
  assert.deepEqual(await drain(a), [1]);
  // Events after close go nowhere, and a late subscriber only gets the replay.
  bus.emit({ type: "capabilities_changed", capabilities: [] });
  assert.deepEqual(await drain(hub.subscribe({ lastEventId: 0 })), [1]);
  assert.deepEqual(await drain(hub.subscribe()), []);
});

Deno.test("EventStreamHub subscription close() and break release the subscriber", async () => {
  const { bus, hub } = setup();
  const a = hub.subscribe();
  const b = hub.subscribe();
  assert.equal(hub.subscribers, 2);
  const waiting = a.next();
  a.close();
  assert.deepEqual(await waiting, { value: undefined, done: true });
  assert.equal(hub.subscribers, 1);
  emitMany(bus, 3);
  for await (const _ of b) break;
  assert.equal(hub.subscribers, 0);
  assert.deepEqual(await drain(b), []);
  hub.close();
});

Deno.test("EventStreamHub.attach() detaches through its return value and on close", async () => {
  const bus = new EventBus("n1");
  const detached = new EventStreamHub();
  const detach = detached.attach(bus);
  const closed = new EventStreamHub();
  closed.attach(bus);
  bus.emit({ type: "capabilities_changed", capabilities: [] });
  detach();
  closed.close();
  bus.emit({ type: "capabilities_changed", capabilities: [] });
  detached.close();
  assert.deepEqual(await drain(detached.subscribe({ lastEventId: 0 })), [1]);
  assert.deepEqual(await drain(closed.subscribe({ lastEventId: 0 })), [1]);
});

Deno.test("EventStreamHub.hook publishes like attach()", async () => {
  const bus = new EventBus("n1");
  const hub = new EventStreamHub();
  bus.subscribe(hub.hook);
  const sub = hub.subscribe();
  bus.emit({ type: "capabilities_changed", capabilities: ["x"] });
  hub.close();
  assert.deepEqual(await drain(sub), [1]);
});

const BAD_OPTIONS: Array<[name: string, make: () => unknown, field: string]> = [
  ["ringSize -1", () => new EventStreamHub({ ringSize: -1 }), "ringSize"],
  ["ringSize 1.5", () => new EventStreamHub({ ringSize: 1.5 }), "ringSize"],
  ["bufferSize 0", () => new EventStreamHub({ bufferSize: 0 }), "bufferSize"],
  ["lastEventId -1", () => new EventStreamHub().subscribe({ lastEventId: -1 }), "lastEventId"],
  ["lastEventId NaN", () => new EventStreamHub().subscribe({ lastEventId: NaN }), "lastEventId"],
  [
    "bufferSize 0 of a subscriber",
    () => new EventStreamHub().subscribe({ bufferSize: 0 }),
    "bufferSize",
  ],
];

for (const [name, make, field] of BAD_OPTIONS) {
  Deno.test(`EventStreamHub refuses ${name} with a RangeError`, () => {
    assert.throws(make, (err: unknown) => {
      assert.ok(err instanceof RangeError);
      assert.match(err.message, new RegExp(`^Cannot use event stream option '${field}' as`));
      return true;
    });
  });
}

Deno.test("EventStreamHub replay preserves order across the ring's wrap-around", async () => {
  const { bus, hub } = setup({ ringSize: 3 });
  emitMany(bus, 7);
  const sub = hub.subscribe({ lastEventId: 4 });
  hub.close();
  assert.deepEqual(await drain(sub), range(5, 7));
});

Deno.test("EventStreamHub folds repeated auth_failed of one reason and source into one event per window", async () => {
  let now = 0;
  const bus = new EventBus("n1");
  const hub = new EventStreamHub({ ringSize: 8, authFailureWindowMs: 1_000, now: () => now });
  hub.attach(bus);
  const live = hub.subscribe({ bufferSize: 1_000 });
  bus.emit({ type: "capabilities_changed", capabilities: ["calc"] });
  for (let i = 0; i < 500; i++) {
    bus.emit({ type: "auth_failed", reason: "invalid", path: `/p${i}`, source: "10.0.0.9" });
  }
  bus.emit({ type: "auth_failed", reason: "expired", path: "/status", source: "10.0.0.9" });
  bus.emit({ type: "auth_failed", reason: "invalid", path: "/status", source: "10.0.0.7" });
  now = 1_000; // A new window for the same pair.
  bus.emit({ type: "auth_failed", reason: "invalid", path: "/again", source: "10.0.0.9" });
  bus.emit({ type: "swarm_stopping", reason: "signal" });
  hub.close();
  const history: NodeEvent[] = [];
  for await (const event of hub.subscribe({ lastEventId: 0 })) history.push(event);
  const summary = history.map((e) =>
    e.type === "auth_failed" ? `${e.reason}@${e.source}:${e.path}x${e.count ?? 1}` : e.type
  );
  // The capabilities event is still in the 8-event ring: the flood took 4 slots.
  assert.deepEqual(summary, [
    "capabilities_changed",
    "invalid@10.0.0.9:/p0x500",
    "expired@10.0.0.9:/statusx1",
    "invalid@10.0.0.7:/statusx1",
    "invalid@10.0.0.9:/againx1",
    "swarm_stopping",
  ]);
  const folded = history[1] as Extract<NodeEvent, { type: "auth_failed" }>;
  assert.equal(typeof folded.last_time, "string");
  // Followers got each window's first event only.
  const delivered: string[] = [];
  for await (const event of live) delivered.push(event.type);
  assert.equal(delivered.filter((t) => t === "auth_failed").length, 4);
});

Deno.test("EventStreamHub with authFailureWindowMs 0 keeps every auth_failed", async () => {
  const bus = new EventBus("n1");
  const hub = new EventStreamHub({ authFailureWindowMs: 0 });
  hub.attach(bus);
  for (let i = 0; i < 3; i++) bus.emit({ type: "auth_failed", reason: "missing", path: "/" });
  hub.close();
  let n = 0;
  for await (const _ of hub.subscribe({ lastEventId: 0 })) n++;
  assert.equal(n, 3);
});
