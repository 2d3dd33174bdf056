import assert from "node:assert/strict";
import {
  CGROUP_JOIN_SCRIPT,
  FSIZE_MARGIN_BYTES,
  limitArgs,
  type LimitPlan,
} from "../../lib/execution/limit_args.ts";
import { outputWithin } from "../_helpers/with_timeout.ts";

const limits = { memoryBytes: 1000, maxProcesses: 8, diskBytes: 4000 };
const base: LimitPlan = {
  limits,
  prlimit: "/usr/bin/prlimit",
  cgroupProcs: [],
  cgroupCovers: { memory: false, processes: false },
  deno: false,
};
const fsize = `--fsize=${4000 + FSIZE_MARGIN_BYTES}`;

Deno.test("limitArgs() builds the prefix that applies a run's limits", () => {
  const cases: Array<[string, Partial<LimitPlan>, string[]]> = [
    ["no cgroups: rlimits only, RLIMIT_AS for a non-Deno run", {}, [
      "/usr/bin/prlimit",
      "--core=0",
      fsize,
      "--as=1000",
      "--",
    ]],
    ["a Deno run never gets RLIMIT_AS (its runtime reserves far more)", { deno: true }, [
      "/usr/bin/prlimit",
      "--core=0",
      fsize,
      "--",
    ]],
    ["a memory cgroup replaces RLIMIT_AS; the run joins its cgroups first", {
      cgroupProcs: ["/cg/memory/run/cgroup.procs", "/cg/pids/run/cgroup.procs"],
      cgroupCovers: { memory: true, processes: true },
    }, [
      "/bin/sh",
      "-c",
      CGROUP_JOIN_SCRIPT,
      "swarm-limits",
      "/cg/memory/run/cgroup.procs",
      "/cg/pids/run/cgroup.procs",
      "--",
      "/usr/bin/prlimit",
      "--core=0",
      fsize,
      "--",
    ]],
    ["no prlimit, no cgroups: nothing to apply", { prlimit: null }, []],
    ["limits of 0 are not applied", {
      limits: { memoryBytes: 0, maxProcesses: 0, diskBytes: 0 },
    }, ["/usr/bin/prlimit", "--core=0", "--"]],
  ];
  for (const [why, overrides, expected] of cases) {
    assert.deepEqual(limitArgs({ ...base, ...overrides }), expected, why);
  }
});

Deno.test("CGROUP_JOIN_SCRIPT joins every cgroup, then becomes the command", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const a = `${dir}/a.procs`;
    const b = `${dir}/b.procs`;
    const run = async (command: string[]) =>
      new TextDecoder().decode(
        (await outputWithin("/bin/sh", {
          args: ["-c", CGROUP_JOIN_SCRIPT, "swarm-limits", a, b, "--", ...command],
          clearEnv: true,
          env: { KEEP: "1" },
          cwd: dir,
          ms: 30_000,
        })).stdout,
      ).trim();
    const pid = await run(["/bin/sh", "-c", "echo $$"]);
    // exec keeps the pid: the command itself is in the groups.
    assert.equal((await Deno.readTextFile(a)).trim(), pid);
    assert.equal((await Deno.readTextFile(b)).trim(), pid);
    // The environment is exactly the one given: the wrapper's own PWD is not passed on.
    assert.deepEqual((await run(["/usr/bin/env"])).split("\n"), ["KEEP=1"]);
    const failed = await outputWithin("/bin/sh", {
      args: ["-c", CGROUP_JOIN_SCRIPT, "swarm-limits", `${dir}/missing/x`, "--", "true"],
      stderr: "piped",
      ms: 30_000,
    });
    assert.equal(failed.code, 125, "cannot join: exit 125, command not run");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
