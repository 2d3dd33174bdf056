/**
 * Back-pressure crosses a hop: when the only node that can run a task is full, the entry
 * answers 429 `overloaded` with the executor's `Retry-After`, not 502 `forward_failed`.
 */
import assert from "node:assert/strict";
import { skillsUnavailable } from "../_helpers/bwrap.ts";
import {
  FIXTURE_SKILLS,
  isBusy,
  nodeTask,
  postTask,
  startBehindEntry,
  stopAll,
  waitFor,
} from "./_node.ts";

const noSkills = await skillsUnavailable({ python: true });
if (noSkills) console.log(`backpressure_test skipped: ${noSkills}`);

Deno.test({
  name: "an entry answers 429 with Retry-After when every node that can run the task is full",
  ignore: noSkills !== null,
  sanitizeResources: false,
  async fn() {
    const { executor, entry } = await startBehindEntry([
      "--skills-dir",
      `${FIXTURE_SKILLS}sleeper`,
      "--max-concurrent-tasks",
      "1",
      "--max-queued-tasks",
      "0",
    ], "sleep");
    try {
      // One long task fills the executor's only slot.
      const first = postTask(
        executor.url,
        nodeTask("sleep", { required: ["sleep"], input: { seconds: 8 } }),
        { timeoutMs: 30_000 },
      );
      await waitFor(() => isBusy(executor), 10_000);

      const res = await fetch(`${entry.url}/task`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(nodeTask("sleep", { required: ["sleep"], input: { seconds: 0 } })),
        signal: AbortSignal.timeout(30_000),
      });
      const body = await res.json();
      assert.equal(res.status, 429, JSON.stringify(body));
      assert.equal(body.error, "overloaded");
      assert.match(body.message, /^Every candidate is busy: /);
      const retryAfter = Number(res.headers.get("retry-after"));
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After ${retryAfter}`);
      assert.equal((await first).status, 200);
    } finally {
      await stopAll([entry, executor]);
    }
  },
});
