import assert from "node:assert/strict";
import { Inflight } from "../../lib/http/inflight.ts";
import type { RouteOptions } from "../../lib/http/types.ts";
import { TaskRunner, type TaskRunnerDeps } from "../../lib/node/task_runner.ts";
import { EventBus, type NodeEvent } from "../../lib/observability/events.ts";
import { SwarmError } from "../../lib/protocol/errors.ts";
import type { NodeResult, NodeTask, StreamEvent } from "../../lib/protocol/types.ts";
import type { Router } from "../../lib/routing/router.ts";
import { forwardingFor } from "../../lib/security/forwarding.ts";
import type { Grant } from "../../lib/security/grant.ts";
import { KvTaskStore } from "../../lib/store/task_store.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { peer } from "../routing/_peer.ts";
import { rejectsWith } from "../_helpers/swarm_error.ts";

type RouterCall = { task: NodeTask; options: Parameters<Router["route"]>[1] };
type Route = (call: RouterCall) => Promise<NodeResult>;

function task(id = "t1", description = "add 1 and 2"): NodeTask {
  return {
    id,
    description,
    context: { workspace: ".", session_key: "default", required_capabilities: [] },
  };
}

function answer(id: string, response = "3"): NodeResult {
  return { task_id: id, response, task_completed: true, tool_calls: 0 };
}

/** A runner over a real in-memory Deno KV, a fake router and a fake clock. */
async function setUp(
  route: Route,
  taskTimeoutMs = 120_000,
  forwarding?: TaskRunnerDeps["forwarding"],
) {
  const kv = await Deno.openKv(":memory:");
  const store = new KvTaskStore(kv, { processStartedMs: 1 });
  const clock = new FakeClock({ startMs: 1_000_000 });
  const shutdown = new AbortController();
  const calls: RouterCall[] = [];
  const events: NodeEvent[] = [];
  const logged: string[] = [];
  const bus = new EventBus("me");
  bus.subscribe((event) => events.push(event));
  const runner = new TaskRunner({
    router: {
      route: (task, options) => {
        const call = { task, options };
        calls.push(call);
        return route(call);
      },
    },
    store: () => Promise.resolve(store),
    inflight: new Inflight(),
    taskTimeoutMs,
    shutdown: shutdown.signal,
    log: (message) => logged.push(message),
    events: bus,
    nodeId: "me",
    clock,
    forwarding,
  });
  return {
    runner,
    store,
    clock,
    shutdown,
    calls,
    events,
    logged,
    types: () => events.map((e) => e.type),
    [Symbol.asyncDispose]: () => Promise.resolve(kv.close()),
  };
}

/** A route that waits for its signal and rejects with its reason, as the Router does. */
function untilAborted(started: PromiseWithResolvers<void>): Route {
  return ({ options }) => {
    started.resolve();
    return new Promise((_resolve, reject) => {
      const signal = options.signal!;
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
  };
}

/** Waits (a real millisecond at a time: Deno KV answers on the event loop) until `done()`. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; !done(); i++) {
    if (i > 5_000) throw new Error("Condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

const ROUTE: RouteOptions = { hops: 0, via: [] };

Deno.test("TaskRunner.route() serves a duplicate of a finished task from the store", async () => {
  await using t = await setUp(({ task }) => Promise.resolve(answer(task.id)));
  const first = await t.runner.route(task(), ROUTE);
  const again = await t.runner.route(task(), { ...ROUTE, trace: null });
  assert.equal(t.calls.length, 1, "the router ran the task once");
  assert.deepEqual(again, first, "the stored answer, with the first run's trace id");
  assert.equal((await t.store.get("t1"))?.state, "done");
  assert.deepEqual(t.types(), [
    "task_received",
    "task_completed",
    "task_received",
    "task_deduplicated",
    "task_completed",
  ]);
  const dedup = t.events[3] as Extract<NodeEvent, { type: "task_deduplicated" }>;
  assert.equal(dedup.state, "done");
  assert.ok(t.logged.includes("task_deduplicated"));
});

Deno.test("TaskRunner.route() lets a duplicate of a running task share its execution and events", async () => {
  const started = Promise.withResolvers<void>();
  const finish = Promise.withResolvers<NodeResult>();
  let emit!: (event: StreamEvent) => void;
  await using t = await setUp(({ options }) => {
    emit = options.onEvent!;
    started.resolve();
    return finish.promise;
  });
  const first = t.runner.route(task(), ROUTE);
  await started.promise;
  const seen: StreamEvent[] = [];
  const duplicate = t.runner.route(task(), { ...ROUTE, onEvent: (e) => seen.push(e) });
  // The duplicate joins while the first run is still going.
  await until(() => t.types().includes("task_deduplicated"));
  emit({ event: "executing", skill: "calc" });
  finish.resolve(answer("t1"));
  const [a, b] = await Promise.all([first, duplicate]);
  assert.equal(t.calls.length, 1, "one execution for both");
  assert.deepEqual(b, a);
  assert.deepEqual(seen, [{ event: "executing", skill: "calc" }]);
  const dedup = t.events.find((e) => e.type === "task_deduplicated") as Extract<
    NodeEvent,
    { type: "task_deduplicated" }
  >;
  assert.equal(dedup.state, "running");
});

Deno.test("TaskRunner.route() refuses a reused id with another body: 409 task_conflict", async () => {
  await using t = await setUp(({ task }) => Promise.resolve(answer(task.id)));
  await t.runner.route(task("t1", "add 1 and 2"), ROUTE);
  const err = await rejectsWith(t.runner.route(task("t1", "add 2 and 3"), ROUTE), "task_conflict");
  assert.equal(err.status, 409);
  assert.equal(err.details.task_id, "t1");
  assert.equal(t.calls.length, 1, "the conflicting task did not run");
  assert.ok(t.logged.includes("task_conflict"));
  const failed = t.events.at(-1) as Extract<NodeEvent, { type: "task_failed" }>;
  assert.equal(failed.type, "task_failed");
  assert.equal(failed.error, "task_conflict");
});

Deno.test("TaskRunner.route() times out with 504 timeout when the clock passes the task's budget", async () => {
  const cases: Array<{ name: string; budgetMs?: number; taskTimeoutMs: number; waitMs: number }> = [
    { name: "the budget asked for", budgetMs: 300, taskTimeoutMs: 10_000, waitMs: 300 },
    { name: "the node's timeout, when none is asked", taskTimeoutMs: 2_000, waitMs: 2_000 },
    {
      name: "the node's timeout caps the budget",
      budgetMs: 9_000,
      taskTimeoutMs: 500,
      waitMs: 500,
    },
  ];
  for (const { name, budgetMs, taskTimeoutMs, waitMs } of cases) {
    const started = Promise.withResolvers<void>();
    await using t = await setUp(untilAborted(started), taskTimeoutMs);
    const running = t.runner.route(task(), { ...ROUTE, budgetMs });
    await started.promise;
    assert.equal(t.calls[0].options.deadline?.budgetMs, waitMs, name);
    await t.clock.advance(waitMs - 1);
    assert.equal(t.calls[0].options.signal?.aborted, false, `${name}: not before`);
    await t.clock.advance(1);
    assert.equal(t.calls[0].options.signal?.aborted, true, `${name}: aborted on the clock`);
    const err = await rejectsWith(running, "timeout");
    assert.equal(err.status, 504, name);
    assert.equal(err.message, `Deadline of ${waitMs} ms exceeded`, name);
    assert.equal(await t.store.get("t1"), null, `${name}: abandoned, so a retry runs again`);
    const failed = t.events.at(-1) as Extract<NodeEvent, { type: "task_failed" }>;
    assert.deepEqual([failed.type, failed.error, failed.duration_ms], [
      "task_failed",
      "timeout",
      waitMs,
    ], name);
    assert.equal(t.clock.pending, 0, `${name}: no deadline timer left`);
  }
});

Deno.test("TaskRunner.route() reports a timeout when a run stopped by the deadline still answers", async () => {
  const started = Promise.withResolvers<void>();
  // A local run that is stopped returns a failed result instead of rejecting.
  await using t = await setUp(({ task, options }) => {
    started.resolve();
    return new Promise((resolve) =>
      options.signal!.addEventListener("abort", () => {
        resolve({ ...answer(task.id, "killed"), task_completed: false });
      }, { once: true })
    );
  });
  const running = t.runner.route(task(), { ...ROUTE, budgetMs: 1_000 });
  await started.promise;
  await t.clock.advance(1_000);
  await rejectsWith(running, "timeout");
  assert.equal(await t.store.get("t1"), null);
});

Deno.test("TaskRunner.route() stops a run when the node gives up at shutdown, and forgets it", async () => {
  const started = Promise.withResolvers<void>();
  await using t = await setUp(untilAborted(started));
  const running = t.runner.route(task(), ROUTE);
  await started.promise;
  t.shutdown.abort(new SwarmError("draining", "Node shut down before the task finished"));
  const err = await rejectsWith(running, "draining");
  assert.equal(err.status, 503);
  assert.equal(await t.store.get("t1"), null, "a retry elsewhere or later runs it again");
  assert.equal(t.clock.pending, 0, "the deadline timer is cleared");
});

Deno.test("TaskRunner.route() measures durations and stamps records on its clock", async () => {
  const started = Promise.withResolvers<void>();
  const finish = Promise.withResolvers<NodeResult>();
  await using t = await setUp(() => {
    started.resolve();
    return finish.promise;
  });
  const running = t.runner.route(task(), ROUTE);
  await started.promise;
  await t.clock.advance(1_234);
  finish.resolve(answer("t1"));
  await running;
  const completed = t.events.at(-1) as Extract<NodeEvent, { type: "task_completed" }>;
  assert.equal(completed.type, "task_completed");
  assert.equal(completed.duration_ms, 1_234);
  const record = await t.store.get("t1");
  assert.equal(record?.startedMs, 1_000_000);
  assert.equal(record?.finishedMs, 1_001_234);
});

Deno.test("TaskRunner.route() hands the router the forwarding rules of the caller's grant", async () => {
  const grant: Grant = {
    method: "token",
    subject: "ci",
    actions: ["task"],
    capabilities: ["calc"],
    skills: ["*"],
    token: "scoped-token",
  };
  const seen: Array<Grant | undefined> = [];
  await using t = await setUp(({ task }) => Promise.resolve(answer(task.id)), 120_000, (g) => {
    seen.push(g);
    return forwardingFor(g, { forwardScopedToSkilllite: false });
  });
  await t.runner.route(task(), { ...ROUTE, grant });
  assert.deepEqual(seen, [grant]);
  const { options } = t.calls[0];
  assert.equal(options.grant, grant);
  assert.throws(
    () => options.authorize?.(["gpu"]),
    (err) => err instanceof SwarmError && err.code === "forbidden",
  );
  assert.equal(options.peerFilter?.(peer("skilllite", { swarm: false })), false);
  assert.equal(options.credential?.(peer("swarm")), "scoped-token");
});
