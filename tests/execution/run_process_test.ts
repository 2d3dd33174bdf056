import assert from "node:assert/strict";
import { SwarmError } from "../../lib/protocol/errors.ts";
import { runProcess, type RunProcessOptions } from "../../lib/execution/run_process.ts";
import { isRunning } from "./_helpers.ts";
import { exitWithin, withTimeout } from "../_helpers/with_timeout.ts";

const defaults: RunProcessOptions = {
  stdin: "",
  cwd: "/",
  env: { PATH: "/usr/bin:/bin" },
  timeoutMs: 10_000,
  maxOutputBytes: 1024 * 1024,
};

function sh(script: string, options: Partial<RunProcessOptions> = {}) {
  return runProcess(["/bin/sh", "-c", script], { ...defaults, ...options });
}

/** Waits (bounded) until `pid` is gone; returns whether it went. */
async function gone(pid: number, withinMs = 3000): Promise<boolean> {
  const until = Date.now() + withinMs;
  while (Date.now() < until) {
    if (!(await isRunning(pid))) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return !(await isRunning(pid));
}

Deno.test("runProcess() passes stdin, separates the streams and reports the exit code", async () => {
  const run = await sh("cat; echo oops >&2; exit 3", { stdin: '{"a":1}' });
  assert.equal(run.stdout, '{"a":1}');
  assert.equal(run.stderr, "oops\n");
  assert.equal(run.exitCode, 3);
  assert.equal(run.signal, null);
  assert.deepEqual([run.timedOut, run.truncated, run.aborted], [false, false, false]);
  assert.ok(run.durationMs >= 0 && run.durationMs < 10_000);
});

Deno.test("runProcess() gives the child exactly the given environment and directory", async () => {
  Deno.env.set("SKILLLITE_SWARM_TOKEN", "leak-me-not");
  try {
    const dir = await Deno.makeTempDir();
    const run = await runProcess(["/usr/bin/env"], {
      ...defaults,
      cwd: dir,
      env: { ONLY: "this" },
    });
    assert.equal(run.stdout, "ONLY=this\n");
    const pwd = await sh("pwd", { cwd: dir });
    assert.equal(pwd.stdout.trim(), dir);
    await Deno.remove(dir);
  } finally {
    Deno.env.delete("SKILLLITE_SWARM_TOKEN");
  }
});

Deno.test("runProcess() kills the child and its children on timeout", async () => {
  const run = await withTimeout(sh("sleep 30 & echo $!; wait", { timeoutMs: 500 }), {
    ms: 10_000,
    waitingFor: "runProcess() to kill a 30 s child at its 500 ms timeout",
  });
  assert.equal(run.timedOut, true);
  assert.equal(run.signal, "SIGKILL");
  const grandchild = Number(run.stdout.trim());
  assert.ok(grandchild > 0, `grandchild pid printed: ${run.stdout}`);
  assert.ok(await gone(grandchild), "the background sleep died with its parent");
});

Deno.test("runProcess() kills background processes the child left behind", async () => {
  const run = await withTimeout(sh("sleep 30 & echo $!", { timeoutMs: 20_000 }), {
    ms: 10_000,
    waitingFor: "runProcess() to end with its child, not with the straggler holding stdout",
  });
  // Waiting for the straggler would have ended at the 20 s timeout instead.
  assert.equal(run.exitCode, 0);
  assert.equal(run.timedOut, false);
  assert.ok(await gone(Number(run.stdout.trim())));
});

Deno.test("runProcess() caps the output and kills a flooding child", async () => {
  const run = await withTimeout(
    sh("while :; do echo 0123456789; done", { maxOutputBytes: 10_000 }),
    {
      ms: 10_000,
      waitingFor: "runProcess() to kill an endless writer at the output cap",
    },
  );
  assert.equal(run.truncated, true);
  assert.equal(run.timedOut, false);
  assert.equal(run.stdout.length, 10_000);
  assert.ok(run.stdout.startsWith("0123456789\n"));
});

Deno.test("runProcess() caps stderr too", async () => {
  const run = await sh("head -c 5000 /dev/zero >&2", { maxOutputBytes: 100 });
  assert.equal(run.truncated, true);
  assert.equal(run.stderr.length, 100);
});

Deno.test("runProcess() keeps output of exactly the cap", async () => {
  const run = await sh("head -c 100 /dev/zero", { maxOutputBytes: 100 });
  assert.equal(run.truncated, false);
  assert.equal(run.exitCode, 0);
  assert.equal(run.stdout.length, 100);
});

Deno.test("runProcess() kills the child when aborted", async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 300);
  const run = await withTimeout(sh("sleep 30", { signal: controller.signal }), {
    ms: 10_000,
    waitingFor: "runProcess() to kill a 30 s child when aborted",
  });
  assert.equal(run.aborted, true);
  assert.equal(run.timedOut, false);
  await assert.rejects(
    () => sh("true", { signal: AbortSignal.abort() }),
    (err: unknown) => err instanceof DOMException && err.name === "AbortError",
  );
});

Deno.test("runProcess() survives a child that does not read a large input", async () => {
  const run = await sh("exit 0", { stdin: "x".repeat(4 * 1024 * 1024) });
  assert.equal(run.exitCode, 0);
});

Deno.test("runProcess() throws execution_failed when the program cannot start", async () => {
  await assert.rejects(
    () => runProcess(["/nonexistent/program"], defaults),
    (err: unknown) =>
      err instanceof SwarmError && err.code === "execution_failed" &&
      /^Cannot start '\/nonexistent\/program': /.test(err.message),
  );
  await assert.rejects(() => runProcess([], defaults), TypeError);
  await assert.rejects(() => runProcess(["/bin/true"], { ...defaults, timeoutMs: 0 }), RangeError);
  await assert.rejects(
    () => runProcess(["/bin/true"], { ...defaults, maxOutputBytes: 0 }),
    RangeError,
  );
});

Deno.test("isRunning() (the helper above) sees a live process and its end", async () => {
  const child = new Deno.Command("sleep", { args: ["30"] }).spawn();
  try {
    assert.equal(await isRunning(child.pid), true);
  } finally {
    child.kill("SIGKILL");
    await exitWithin(child, { ms: 10_000, what: "sleep 30", after: "SIGKILL" });
  }
  assert.equal(await isRunning(child.pid), false);
});
