import assert from "node:assert/strict";
import { limitHits, limitReason } from "../../lib/execution/limit_hits.ts";
import type { ProcessRun } from "../../lib/execution/run_process.ts";

const run = (over: Partial<ProcessRun>): ProcessRun => ({
  exitCode: 0,
  signal: null,
  stdout: "{}",
  stderr: "",
  timedOut: false,
  truncated: false,
  aborted: false,
  durationMs: 5,
  ...over,
});
const none = { memory: false, processes: false, disk: false };

Deno.test("limitHits() tells which limit stopped a run", () => {
  const cases: Array<
    [string, ProcessRun, { memory: boolean; processes: boolean } | null, boolean, typeof none]
  > = [
    ["a clean run hit nothing", run({}), { memory: false, processes: false }, true, none],
    [
      "the memory cgroup's OOM kill",
      run({ exitCode: 137 }),
      {
        memory: true,
        processes: false,
      },
      true,
      { ...none, memory: true },
    ],
    [
      "a refused fork, even if the skill went on",
      run({}),
      {
        memory: false,
        processes: true,
      },
      true,
      { ...none, processes: true },
    ],
    [
      "MemoryError under RLIMIT_AS (no memory cgroup)",
      run({
        exitCode: 1,
        stderr: "MemoryError",
      }),
      null,
      false,
      { ...none, memory: true },
    ],
    [
      "a skill's own MemoryError text is not trusted when a cgroup counts",
      run({
        exitCode: 1,
        stderr: "MemoryError",
      }),
      { memory: false, processes: false },
      true,
      none,
    ],
    [
      "V8's heap limit",
      run({
        exitCode: 133,
        stderr: "Fatal JavaScript heap out of memory: Reached heap limit",
      }),
      { memory: false, processes: false },
      true,
      { ...none, memory: true },
    ],
    [
      "a full tmpfs, reported by a skill that went on",
      run({
        stderr: "dd: error writing 'big': No space left on device",
      }),
      null,
      true,
      { ...none, disk: true },
    ],
    ["SIGXFSZ from RLIMIT_FSIZE", run({ exitCode: 153 }), null, true, { ...none, disk: true }],
  ];
  for (const [why, r, cgroup, memoryByCgroup, expected] of cases) {
    assert.deepEqual(limitHits(r, cgroup, { memoryByCgroup }), expected, why);
  }
});

Deno.test("limitReason() names each limit hit and its value", () => {
  const limits = { memoryBytes: 1024, maxProcesses: 8, diskBytes: 4096 };
  assert.equal(limitReason(none, limits), undefined);
  assert.equal(
    limitReason({ memory: true, processes: true, disk: true }, limits),
    "Memory limit exceeded: the skill may use at most 1024 bytes and was stopped; " +
      "Process limit reached: the skill may run at most 8 processes and threads at once; " +
      "Disk limit exceeded: the skill may write at most 4096 bytes",
  );
});
