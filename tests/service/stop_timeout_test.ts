import assert from "node:assert/strict";
import { DEFAULT_CONFIG, LAN_CONFIG } from "../../lib/config/mod.ts";
import { STOP_MARGIN_MS } from "../../lib/node/stop_sequence.ts";
import { SERVICE_STOP_SLACK_MS, stopTimeoutSeconds } from "../../lib/service/mod.ts";

const CASES: Array<[drainTimeoutMs: number, seconds: number]> = [
  [DEFAULT_CONFIG.drainTimeoutMs, 45],
  [1, 16],
  [1_000, 16],
  [1_001, 17],
  [60_000, 75],
  [3_600_000, 3_615],
];

for (const [drain, seconds] of CASES) {
  Deno.test(`stopTimeoutSeconds(${drain}) is ${seconds}`, () => {
    assert.equal(stopTimeoutSeconds(drain), seconds);
    assert.ok(seconds * 1000 > drain + STOP_MARGIN_MS, "longer than the supervisor's own stop");
  });
}

Deno.test("stopTimeoutSeconds() covers the supervisor's stop margin, on both presets", () => {
  assert.ok(SERVICE_STOP_SLACK_MS > STOP_MARGIN_MS);
  assert.equal(LAN_CONFIG.drainTimeoutMs, DEFAULT_CONFIG.drainTimeoutMs);
});

for (const bad of [0, -1, 1.5, Number.NaN]) {
  Deno.test(`stopTimeoutSeconds() refuses ${bad}`, () => {
    assert.throws(() => stopTimeoutSeconds(bad), (err: unknown) => {
      assert.ok(err instanceof RangeError);
      assert.match(err.message, /'drainTimeoutMs' must be a positive integer/);
      return true;
    });
  });
}
