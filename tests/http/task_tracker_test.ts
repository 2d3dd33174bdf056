import assert from "node:assert/strict";
import { TaskTracker } from "../../lib/http/task_tracker.ts";

Deno.test("TaskTracker() starts idle", async () => {
  const tracker = new TaskTracker();
  assert.equal(tracker.size, 0);
  assert.equal(tracker.current(), null);
  await tracker.idle();
});

Deno.test("TaskTracker.current() names the most recently started task", () => {
  const tracker = new TaskTracker();
  tracker.begin("a");
  tracker.begin("b");
  assert.equal(tracker.current(), "b");
  assert.equal(tracker.size, 2);
  tracker.end("b");
  assert.equal(tracker.current(), "a");
  tracker.end("a");
  assert.equal(tracker.current(), null);
});

Deno.test("TaskTracker.end() of an unknown task changes nothing", () => {
  const tracker = new TaskTracker();
  tracker.begin("a");
  tracker.end("zzz");
  assert.equal(tracker.size, 1);
});

Deno.test("TaskTracker.idle() resolves once the last task ends", async () => {
  const tracker = new TaskTracker();
  tracker.begin("a");
  tracker.begin("b");
  let settled = false;
  const idle = tracker.idle().then(() => settled = true);
  tracker.end("a");
  await Promise.resolve();
  assert.equal(settled, false);
  tracker.end("b");
  await idle;
  assert.equal(settled, true);
});

Deno.test("TaskTracker() keeps a task id begun twice in flight until both runs end", () => {
  // The same id can be in flight twice on one node: a task that comes back through a
  // SkillLite hop (which drops swarm's via header), or a client retrying.
  const tracker = new TaskTracker();
  tracker.begin("dup");
  tracker.begin("dup");
  tracker.end("dup");
  assert.equal(tracker.current(), "dup", "one run of 'dup' is still going");
  assert.equal(tracker.size, 1);
  tracker.end("dup");
  assert.equal(tracker.current(), null);
});
