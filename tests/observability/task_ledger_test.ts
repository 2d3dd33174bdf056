import assert from "node:assert/strict";
import { EventBus } from "../../lib/observability/events.ts";
import { TaskLedger } from "../../lib/observability/task_ledger.ts";

const task = (id: string) => ({ task_id: id, trace_id: "t".repeat(32), hop: 0 });

Deno.test("TaskLedger counts task events and keeps the last tasks, newest first", () => {
  const bus = new EventBus("n1");
  const ledger = new TaskLedger(2);
  bus.subscribe(ledger.hook);
  for (const id of ["a", "b", "c"]) {
    bus.emit({ type: "task_received", ...task(id), required_capabilities: [], stream: false });
  }
  bus.emit({ type: "task_forwarded", ...task("a"), peer: "p", attempt: 1 });
  bus.emit({
    type: "task_retried",
    ...task("a"),
    peer: "p",
    attempt: 1,
    error: "timeout",
    delay_ms: 5,
  });
  bus.emit({
    type: "task_completed",
    ...task("a"),
    route: "forward",
    peer: "p",
    duration_ms: 5,
    completed: true,
  });
  bus.emit({
    type: "task_completed",
    ...task("b"),
    route: "local",
    duration_ms: 3,
    completed: false,
  });
  bus.emit({
    type: "task_failed",
    ...task("c"),
    route: "no_match",
    error: "no_match",
    status: 503,
    duration_ms: 1,
  });
  bus.emit({ type: "task_deduplicated", ...task("b"), state: "done" });
  assert.deepEqual(ledger.counters, {
    received: 3,
    completed: 2,
    failed: 1,
    deduplicated: 1,
    forwarded: 1,
    retried: 1,
  });
  const recent = ledger.recent();
  assert.deepEqual(recent.map((t) => [t.task_id, t.outcome]), [["c", "failed"], [
    "b",
    "not_completed",
  ]]);
  assert.equal(recent[0].error, "no_match");
});
