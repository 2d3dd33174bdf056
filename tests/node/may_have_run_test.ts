import assert from "node:assert/strict";
import { mayHaveRunError } from "../../lib/node/task_runner.ts";
import { SwarmError } from "../../lib/protocol/mod.ts";

Deno.test("mayHaveRunError() turns a shutdown's draining into a non-retryable execution_failed", () => {
  const draining = new SwarmError("draining", "Node shut down before the task finished");
  const err = mayHaveRunError(draining) as SwarmError;
  assert.ok(err instanceof SwarmError);
  assert.equal(err.code, "execution_failed");
  assert.equal(err.status, 500);
  assert.equal(
    err.message,
    "Node shut down before the task finished: the task had started and was stopped; it may have had effects",
  );
  assert.deepEqual(err.details, { interrupted: true, may_have_run: true });
  assert.equal(err.cause, draining);
});

Deno.test("mayHaveRunError() leaves every other reason as it is (the deadline's timeout)", () => {
  const timeout = new SwarmError("timeout", "Deadline of 100 ms exceeded");
  assert.equal(mayHaveRunError(timeout), timeout);
  const plain = new Error("boom");
  assert.equal(mayHaveRunError(plain), plain);
});
