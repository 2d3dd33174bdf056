import assert from "node:assert/strict";
import { DEFAULT_INFLIGHT_MAX_EVENTS, Inflight } from "../../lib/http/inflight.ts";
import type { NodeResult, StreamEvent } from "../../lib/protocol/types.ts";

function result(id = "t1"): NodeResult {
  return { task_id: id, response: "3", task_completed: true, tool_calls: 0 };
}

function forwarding(attempt: number): StreamEvent {
  return { event: "forwarding", peer: "p", address: "127.0.0.1:1", attempt };
}

/** An execution the test drives: it emits and settles when told to. */
function controlled() {
  let emit!: (event: StreamEvent) => void;
  let resolve!: (result: NodeResult) => void;
  let reject!: (err: unknown) => void;
  let calls = 0;
  let started!: () => void;
  const startedOnce = new Promise<void>((ok) => started = ok);
  const start = (e: (event: StreamEvent) => void) => {
    calls++;
    emit = e;
    started();
    return new Promise<NodeResult>((ok, fail) => {
      resolve = ok;
      reject = fail;
    });
  };
  return {
    start,
    started: startedOnce,
    get calls() {
      return calls;
    },
    emit: (event: StreamEvent) => emit(event),
    resolve: (r: NodeResult) => resolve(r),
    reject: (err: unknown) => reject(err),
  };
}

async function collect(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const all: StreamEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

/** Lets pending promise callbacks and timers run. */
function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("Inflight.join() shares the running execution: start is called once", async () => {
  const inflight = new Inflight();
  const exec = controlled();
  const first = inflight.run("t1", exec.start);
  const joined = inflight.join("t1");
  assert.ok(joined);
  assert.equal(inflight.join("other"), null);
  await exec.started;
  exec.resolve(result());
  assert.equal(await joined.result, await first.result);
  assert.deepEqual(await joined.result, result());
  assert.equal(exec.calls, 1);
});

Deno.test("Inflight.run() of a running id joins it instead of starting again", async () => {
  const inflight = new Inflight();
  const exec = controlled();
  const first = inflight.run("t1", exec.start);
  let secondStarted = false;
  const second = inflight.run("t1", () => {
    secondStarted = true;
    return Promise.resolve(result("other"));
  });
  assert.equal(second, first);
  await exec.started;
  exec.resolve(result());
  assert.deepEqual(await second.result, result());
  assert.equal(secondStarted, false);
  assert.equal(exec.calls, 1);
});

Deno.test("Inflight.join() gives concurrent joiners the one result", async () => {
  const inflight = new Inflight();
  const exec = controlled();
  const first = inflight.run("t1", exec.start);
  const joiners = Array.from({ length: 20 }, () => inflight.join("t1")!.result);
  await exec.started;
  exec.resolve(result());
  const results = await Promise.all(joiners);
  const original = await first.result;
  for (const r of results) assert.equal(r, original);
  assert.equal(exec.calls, 1);
  assert.equal(inflight.size, 0);
});

Deno.test("Inflight events() replays past events to a late subscriber, then follows live ones", async () => {
  const inflight = new Inflight();
  const exec = controlled();
  const first = inflight.run("t1", exec.start);
  const early = collect(first.events());
  await exec.started;
  exec.emit({ event: "executing", skill: "calc" });
  exec.emit(forwarding(1));
  await tick();

  const late = inflight.join("t1")!.events()[Symbol.asyncIterator]();
  assert.deepEqual((await late.next()).value, { event: "executing", skill: "calc" });
  assert.deepEqual((await late.next()).value, forwarding(1));
  const pending = late.next();
  exec.emit(forwarding(2));
  assert.deepEqual((await pending).value, forwarding(2), "a live event");
  const end = late.next();
  exec.resolve(result());
  assert.deepEqual(await end, { value: undefined, done: true });
  assert.deepEqual(await early, [
    { event: "executing", skill: "calc" },
    forwarding(1),
    forwarding(2),
  ]);
});

Deno.test("Inflight events() of a settled execution replays its events and ends", async () => {
  const inflight = new Inflight();
  const exec = inflight.run("t1", (emit) => {
    emit({ event: "executing" });
    return Promise.resolve(result());
  });
  await exec.result;
  assert.deepEqual(await collect(exec.events()), [{ event: "executing" }]);
});

Deno.test("Inflight propagates a failure to the starter, joiners and subscribers", async () => {
  const inflight = new Inflight();
  const exec = controlled();
  const first = inflight.run("t1", exec.start);
  const joined = inflight.join("t1")!;
  const events = collect(joined.events());
  await exec.started;
  exec.emit({ event: "executing" });
  const failure = new Error("Skill crashed");
  exec.reject(failure);
  await assert.rejects(first.result, (err) => err === failure);
  await assert.rejects(joined.result, (err) => err === failure);
  assert.deepEqual(await events, [{ event: "executing" }], "events end without throwing");
  assert.equal(inflight.size, 0);
});

Deno.test("Inflight.run() turns a synchronous throw of start into a rejection", async () => {
  const inflight = new Inflight();
  const failure = new TypeError("Bad task");
  const exec = inflight.run("t1", () => {
    throw failure;
  });
  await assert.rejects(exec.result, (err) => err === failure);
  assert.equal(inflight.size, 0);
});

Deno.test("Inflight does not report a failure nobody awaits as unhandled", async () => {
  const inflight = new Inflight();
  inflight.run("t1", () => Promise.reject(new Error("Nobody listens")));
  // An unhandled rejection would fail this test.
  await tick();
  await tick();
  assert.equal(inflight.size, 0);
});

Deno.test("Inflight removes an execution once it settled, so the id can run again", async () => {
  const inflight = new Inflight();
  const exec = controlled();
  const first = inflight.run("t1", exec.start);
  assert.equal(inflight.size, 1);
  await exec.started;
  exec.resolve(result());
  await first.result;
  assert.equal(inflight.size, 0);
  assert.equal(inflight.join("t1"), null);
  let again = 0;
  await inflight.run("t1", () => {
    again++;
    return Promise.resolve(result());
  }).result;
  assert.equal(again, 1);
  assert.equal(inflight.size, 0);
});

Deno.test("Inflight ignores events emitted after the execution settled", async () => {
  const inflight = new Inflight();
  let emitLater!: (event: StreamEvent) => void;
  const exec = inflight.run("t1", (emit) => {
    emitLater = emit;
    return Promise.resolve(result());
  });
  await exec.result;
  emitLater({ event: "executing" });
  assert.deepEqual(await collect(exec.events()), []);
});

Deno.test("Inflight keeps at most maxEvents events per execution, dropping the oldest", async () => {
  const inflight = new Inflight();
  const exec = controlled();
  const first = inflight.run("t1", exec.start);
  const slow = first.events()[Symbol.asyncIterator]();
  await exec.started;
  for (let i = 1; i <= 10_000; i++) exec.emit(forwarding(i));
  const late = collect(inflight.join("t1")!.events());
  // The slow subscriber fell behind: it skips to the oldest event still kept.
  assert.deepEqual((await slow.next()).value, forwarding(10_000 - DEFAULT_INFLIGHT_MAX_EVENTS + 1));
  exec.resolve(result());
  const replayed = await late;
  assert.equal(replayed.length, DEFAULT_INFLIGHT_MAX_EVENTS);
  assert.deepEqual(replayed[0], forwarding(10_000 - DEFAULT_INFLIGHT_MAX_EVENTS + 1));
  assert.deepEqual(replayed.at(-1), forwarding(10_000));
});

Deno.test("Inflight honours a custom maxEvents and rejects a bad one with a RangeError", async () => {
  const inflight = new Inflight({ maxEvents: 2 });
  const exec = inflight.run("t1", (emit) => {
    for (let i = 1; i <= 5; i++) emit(forwarding(i));
    return Promise.resolve(result());
  });
  await exec.result;
  assert.deepEqual(await collect(exec.events()), [forwarding(4), forwarding(5)]);
  for (const maxEvents of [0, -1, 1.5, NaN]) {
    assert.throws(() => new Inflight({ maxEvents }), RangeError);
  }
});

Deno.test("Inflight holds nothing after many executions settled", async () => {
  const inflight = new Inflight();
  const runs = Array.from({ length: 1000 }, (_, i) =>
    inflight.run(`t${i}`, (emit) => {
      emit({ event: "executing" });
      return i % 2 ? Promise.resolve(result(`t${i}`)) : Promise.reject(new Error("Failed"));
    }).result.catch(() => null));
  assert.equal(inflight.size, 1000);
  await Promise.all(runs);
  assert.equal(inflight.size, 0);
});

Deno.test("Inflight.idle() resolves at once when empty, else once the last execution settles", async () => {
  const inflight = new Inflight();
  await inflight.idle();
  const a = controlled();
  const b = controlled();
  const first = inflight.run("a", a.start);
  const second = inflight.run("b", b.start);
  await Promise.all([a.started, b.started]);
  let idle = false;
  const waiting = inflight.idle().then(() => idle = true);
  a.resolve(result("a"));
  await first.result;
  await tick();
  assert.equal(idle, false, "'b' still runs");
  b.reject(new Error("failed"));
  await assert.rejects(second.result, /failed/);
  await waiting;
  assert.equal(idle, true);
  assert.equal(inflight.size, 0);
});
