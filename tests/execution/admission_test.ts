import assert from "node:assert/strict";
import { Admission } from "../../lib/execution/admission.ts";
import { SwarmError } from "../../lib/protocol/errors.ts";

Deno.test("Admission.acquire() runs up to maxConcurrent, queues up to maxQueued, refuses beyond", async () => {
  const admission = new Admission({ maxConcurrent: 2, maxQueued: 1 });
  const first = await admission.acquire();
  const second = await admission.acquire();
  let thirdGranted = false;
  const third = admission.acquire().then((release) => {
    thirdGranted = true;
    return release;
  });
  assert.equal(admission.running, 2);
  assert.equal(admission.queued, 1);
  await assert.rejects(admission.acquire(), (err) => {
    assert.ok(err instanceof SwarmError);
    assert.equal(err.code, "overloaded");
    assert.equal(err.status, 429);
    assert.ok((err.details.retry_after_s as number) >= 1);
    return true;
  });
  first();
  first(); // releasing twice frees one slot only
  const release3 = await third;
  assert.ok(thirdGranted);
  assert.equal(admission.running, 2);
  second();
  release3();
  assert.equal(admission.running, 0);
  assert.equal(admission.queued, 0);
});

Deno.test("Admission.acquire() grants in FIFO order", async () => {
  const admission = new Admission({ maxConcurrent: 1, maxQueued: 3 });
  const release = await admission.acquire();
  const order: number[] = [];
  const waiting = [1, 2, 3].map((n) => admission.acquire().then((r) => (order.push(n), r)));
  release();
  for (const w of waiting) (await w)();
  assert.deepEqual(order, [1, 2, 3]);
});

Deno.test("Admission.acquire() leaves the queue when its signal aborts", async () => {
  const admission = new Admission({ maxConcurrent: 1, maxQueued: 1 });
  const release = await admission.acquire();
  const controller = new AbortController();
  const waiting = admission.acquire(controller.signal);
  controller.abort(new Error("caller gone"));
  await assert.rejects(waiting, /caller gone/);
  assert.equal(admission.queued, 0);
  release();
  assert.equal(admission.running, 0);
});

Deno.test("new Admission() refuses nonsense limits", () => {
  assert.throws(() => new Admission({ maxConcurrent: 0, maxQueued: 0 }), RangeError);
  assert.throws(() => new Admission({ maxConcurrent: 1, maxQueued: -1 }), RangeError);
});
