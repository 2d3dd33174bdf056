import assert from "node:assert/strict";
import {
  checkSkillLimits,
  DEFAULT_SKILL_LIMITS,
  denoHeapMiB,
} from "../../lib/execution/skill_limits.ts";

Deno.test("denoHeapMiB() gives a Deno skill half its memory limit as heap", () => {
  const cases: Array<[number, number]> = [
    [0, 256],
    [512 * 1024 * 1024, 256],
    [256 * 1024 * 1024, 128],
    [1024 * 1024, 16],
  ];
  for (const [memory, heap] of cases) assert.equal(denoHeapMiB(memory), heap, String(memory));
});

Deno.test("checkSkillLimits() refuses negative and fractional limits", () => {
  checkSkillLimits(DEFAULT_SKILL_LIMITS);
  checkSkillLimits({ memoryBytes: 0, maxProcesses: 0, diskBytes: 0 });
  for (const bad of [-1, 1.5, NaN]) {
    assert.throws(
      () => checkSkillLimits({ ...DEFAULT_SKILL_LIMITS, maxProcesses: bad }),
      (e) =>
        e instanceof RangeError && /'maxProcesses' must be a non-negative integer/.test(e.message),
    );
  }
});
