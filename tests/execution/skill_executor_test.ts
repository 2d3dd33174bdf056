import assert from "node:assert/strict";
import { SwarmError } from "../../lib/protocol/errors.ts";
import type { NodeResult } from "../../lib/protocol/types.ts";
import { SkillExecutor, type SkillExecutorOptions } from "../../lib/execution/skill_executor.ts";
import type { ExecutionProgress } from "../../lib/execution/types.ts";
import type { Grant } from "../../lib/security/grant.ts";
import { detectSandboxes } from "../../lib/skills/sandbox_choice.ts";
import type { Skill } from "../../lib/skills/types.ts";
import { FIXTURES, fixtureSkill, processesMatching, task } from "./_helpers.ts";
import { rejectsWith } from "../_helpers/swarm_error.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

const sandboxes = await detectSandboxes();
const noBwrap = sandboxes.bwrap === null;
const noDeno = sandboxes.deno === null;
if (noBwrap) {
  console.log(
    "skill_executor_test (bwrap cases) skipped: bubblewrap is missing or does not work here",
  );
}
if (noDeno) console.log("skill_executor_test (Deno skill cases) skipped: no deno binary found");

const names = ["py-add", "py-env", "py-sleep", "py-net", "py-write", "deno-echo", "deno-fetch"];
const fixtures = Object.fromEntries(
  await Promise.all(names.map(async (n) => [n, await fixtureSkill(n)] as const)),
) as Record<string, Skill>;
const flood = await fixtureSkill("sh-flood");

/** Runs `fn` with an executor over the fixtures and a fresh work root, checked empty after. */
async function withExecutor(
  options: Partial<SkillExecutorOptions>,
  fn: (executor: SkillExecutor, workRoot: string) => Promise<void>,
): Promise<void> {
  const workRoot = await Deno.makeTempDir({ prefix: "swarm-exec-test-" });
  try {
    const executor = new SkillExecutor({
      skills: Object.values(fixtures),
      workRoot,
      sandboxes,
      timeoutMs: 20_000,
      ...options,
    });
    await fn(executor, workRoot);
    assert.deepEqual(await Array.fromAsync(Deno.readDir(workRoot)), [], "work dirs removed");
  } finally {
    await Deno.remove(workRoot, { recursive: true });
  }
}

function parsed(result: NodeResult): Record<string, unknown> {
  return JSON.parse(result.response);
}

Deno.test({
  name: "SkillExecutor.execute() runs a python skill in bubblewrap and returns its JSON",
  ignore: noBwrap,
  fn: () =>
    withExecutor({}, async (executor) => {
      const t = task("add", { input: { a: 2, b: 3 }, tool_hint: "py-add" });
      const progress: ExecutionProgress[] = [];
      const result = await executor.execute(t, {
        capabilities: [],
        onProgress: (p) => progress.push(p),
      });
      assert.deepEqual(result, {
        task_id: t.id,
        response: '{"sum": 5}',
        task_completed: true,
        tool_calls: 1,
      });
      assert.deepEqual(progress, [{ skill: "py-add" }]);
      assert.equal(executor.sandboxFor(fixtures["py-add"]), "bwrap");
    }),
});

Deno.test({
  name: "SkillExecutor.execute() picks the skill by capability and keeps a skill's own error",
  ignore: noBwrap,
  fn: () =>
    withExecutor({}, async (executor) => {
      const t = task('{"a": 1}'); // a JSON description is the input; b is missing
      const result = await executor.execute(t, { capabilities: ["calc"] });
      assert.equal(result.task_completed, false);
      assert.deepEqual(parsed(result), { error: "need a and b", got: { a: 1 } });
    }),
});

Deno.test({
  name: "SkillExecutor.execute() gives a skill only the scrubbed environment",
  ignore: noBwrap,
  fn: async () => {
    Deno.env.set("SKILLLITE_SWARM_TOKEN", "node-secret");
    Deno.env.set("GREETING", "hello");
    try {
      // Default sourceEnv: the node's own environment.
      await withExecutor({ sourceEnv: undefined }, async (executor, workRoot) => {
        const t = task("env", { tool_hint: "py-env" });
        const result = await executor.execute(t, { capabilities: [] });
        assert.equal(result.task_completed, true);
        const { env, cwd, files } = parsed(result) as {
          env: Record<string, string>;
          cwd: string;
          files: string[];
        };
        assert.ok(cwd.startsWith(`${await Deno.realPath(workRoot)}/task-`), cwd);
        assert.notEqual(cwd, t.context.workspace);
        assert.deepEqual(files, ["made-by-skill.txt"]);
        // PWD comes from bubblewrap's --chdir.
        assert.deepEqual(Object.keys(env).sort(), [
          "GREETING",
          "HOME",
          "LANG",
          "PATH",
          "PWD",
          "TMPDIR",
        ]);
        assert.equal(env.PWD, cwd);
        assert.equal(env.GREETING, "hello");
        assert.equal(env.HOME, cwd);
        assert.ok(!JSON.stringify(env).includes("node-secret"));
        await assert.rejects(() => Deno.stat(cwd), Deno.errors.NotFound);
      });
    } finally {
      Deno.env.delete("SKILLLITE_SWARM_TOKEN");
      Deno.env.delete("GREETING");
    }
  },
});

Deno.test({
  name: "SkillExecutor.execute() keeps a bwrap skill out of its own directory and the host",
  ignore: noBwrap,
  fn: () =>
    withExecutor({}, async (executor) => {
      const hostTmpBefore = await exists("/tmp/written.txt");
      const result = await executor.execute(task("w", { tool_hint: "py-write" }), {
        capabilities: [],
      });
      const report = parsed(result);
      assert.equal(report.cwd, "written");
      assert.equal(report.tmp, "written", "a private /tmp is writable");
      assert.match(String(report.skill), /Error$/, "the skill directory is read-only");
      assert.equal(report.etc_hostname, "FileNotFoundError", "/etc is not mounted");
      assert.equal(await exists(`${FIXTURES}py-write/written.txt`), false);
      assert.equal(await exists("/tmp/written.txt"), hostTmpBefore, "host /tmp untouched");
    }),
});

Deno.test({
  name: "SkillExecutor.execute() gives a bwrap skill no network unless it declares it",
  ignore: noBwrap,
  fn: async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    let accepted = 0;
    const serving = (async () => {
      for await (const conn of listener) {
        accepted++;
        await conn.write(new TextEncoder().encode("hello"));
        conn.close();
      }
    })();
    try {
      const port = listener.addr.port;
      const probe = fixtures["py-net"];
      const open = {
        ...probe,
        name: "py-net-open",
        permissions: { ...probe.permissions, net: true },
      };
      await withExecutor({ skills: [probe, open] }, async (executor) => {
        const input = { host: "127.0.0.1", port };
        const closed = await executor.execute(task("probe", { tool_hint: "py-net", input }), {
          capabilities: [],
        });
        assert.equal(parsed(closed).connected, false, closed.response);
        assert.equal(accepted, 0);
        const reached = await executor.execute(task("probe", { tool_hint: "py-net-open", input }), {
          capabilities: [],
        });
        assert.deepEqual(parsed(reached), { connected: true, reply: "hello" });
        assert.equal(accepted, 1);
      });
    } finally {
      listener.close();
      await serving.catch(() => {});
    }
  },
});

Deno.test({
  name: "SkillExecutor.execute() kills a skill that outlives the timeout, children included",
  ignore: noBwrap,
  fn: () =>
    withExecutor({ timeoutMs: 1_500 }, async (executor) => {
      const result = await withTimeout(
        executor.execute(
          task("sleep", { tool_hint: "py-sleep", input: { seconds: 31.5 } }),
          { capabilities: [] },
        ),
        { ms: 15_000, waitingFor: "execute() to kill a 31.5 s skill at its 1.5 s timeout" },
      );
      assert.equal(result.task_completed, false);
      assert.equal(result.tool_calls, 1);
      assert.match(String(parsed(result).error), /^Timed out/);
      assert.deepEqual(await processesMatching(`${FIXTURES}py-sleep`), []);
      assert.deepEqual(await processesMatching("sleep 31.5"), []);
    }),
});

Deno.test({
  name: "SkillExecutor.execute() stops a skill when the signal aborts",
  ignore: noBwrap,
  fn: () =>
    withExecutor({}, async (executor) => {
      const controller = new AbortController();
      const result = await withTimeout(
        executor.execute(
          task("sleep", { tool_hint: "py-sleep", input: { seconds: 32.5 } }),
          {
            capabilities: [],
            signal: controller.signal,
            onProgress: () => setTimeout(() => controller.abort(), 300),
          },
        ),
        { ms: 15_000, waitingFor: "execute() to stop a 32.5 s skill when aborted" },
      );
      assert.equal(result.task_completed, false);
      assert.match(String(parsed(result).error), /^Aborted/);
      assert.deepEqual(await processesMatching("sleep 32.5"), []);
    }),
});

Deno.test({
  name: "SkillExecutor.execute() cuts a skill that prints too much",
  ignore: noBwrap,
  fn: () =>
    withExecutor({ skills: [flood], maxOutputBytes: 10_000 }, async (executor) => {
      const result = await withTimeout(executor.execute(task("flood"), { capabilities: [] }), {
        ms: 15_000,
        waitingFor: "execute() to cut an endless writer at the output cap",
      });
      assert.equal(result.task_completed, false);
      const body = parsed(result);
      assert.match(String(body.error), /^Output limit exceeded/);
      assert.ok(String(body.output).startsWith("flood flood"));
    }),
});

Deno.test({
  name: "SkillExecutor.execute() runs a Deno skill with only its declared permissions",
  ignore: noDeno || noBwrap,
  fn: () =>
    withExecutor({}, async (executor) => {
      const t = task("echo", { tool_hint: "deno-echo", input: { say: "hi" } });
      const result = await executor.execute(t, { capabilities: [] });
      assert.equal(result.task_completed, true, result.response);
      assert.deepEqual(parsed(result), {
        input: { say: "hi" },
        etcHostname: "NotCapable",
        writeCwd: "ok",
        writeSkillDir: "NotCapable",
        env: "NotCapable",
        run: "NotCapable",
      });
      assert.equal(await exists(`${FIXTURES}deno-echo/written.txt`), false);
    }),
});

Deno.test({
  name: "SkillExecutor.execute() lets a Deno skill reach only its declared hosts",
  ignore: noDeno || noBwrap,
  fn: async () => {
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      () => new Response("pong"),
    );
    try {
      const fetcher = fixtures["deno-fetch"];
      const offline = {
        ...fetcher,
        name: "deno-fetch-off",
        permissions: { ...fetcher.permissions, net: false },
      };
      await withExecutor({ skills: [fetcher, offline] }, async (executor) => {
        const input = { url: `http://127.0.0.1:${server.addr.port}/` };
        const allowed = await executor.execute(task("get", { tool_hint: "deno-fetch", input }), {
          capabilities: [],
        });
        assert.deepEqual(parsed(allowed), { status: 200, body: "pong" });
        const denied = await executor.execute(task("get", { tool_hint: "deno-fetch-off", input }), {
          capabilities: [],
        });
        assert.equal(denied.task_completed, false);
        assert.deepEqual(parsed(denied), { error: "NotCapable" });
      });
    } finally {
      await server.shutdown();
    }
  },
});

Deno.test("SkillExecutor.execute() refuses a skill that cannot run here", async () => {
  await withExecutor({ sandboxes: { bwrap: null, deno: null } }, async (executor) => {
    const python = await executor.execute(task("add", { tool_hint: "py-add" }), {
      capabilities: [],
    })
      .catch((e) => e);
    assert.ok(python instanceof SwarmError);
    assert.equal(python.code, "execution_failed");
    assert.equal(
      python.message,
      "Skill 'py-add' cannot run here: bubblewrap is not installed or does not work here, and --allow-unsandboxed was not given",
    );
    const deno = await executor.execute(task("e", { tool_hint: "deno-echo" }), { capabilities: [] })
      .catch((e) => e);
    assert.ok(deno instanceof SwarmError);
    assert.equal(
      deno.message,
      "Skill 'deno-echo' cannot run here: Deno was not found to run its script",
    );
    const none = await executor.execute(task("x"), { capabilities: ["gpu"] }).catch((e) => e);
    assert.ok(none instanceof SwarmError && none.code === "skill_not_found");
  });
});

Deno.test("SkillExecutor.execute() runs unsandboxed only when the operator allows it", async () => {
  await withExecutor(
    { sandboxes: { bwrap: null, deno: null }, allowUnsandboxed: true },
    async (executor) => {
      assert.equal(executor.sandboxFor(fixtures["py-add"]), "none");
      const t = task("add", { tool_hint: "py-add", input: { a: 40, b: 2 } });
      const result = await executor.execute(t, { capabilities: [] });
      assert.equal(result.response, '{"sum": 42}');
      assert.equal(result.task_completed, true);
    },
  );
});

Deno.test("SkillExecutor reads the current skills from a getter", async () => {
  let skills: Skill[] = [];
  await withExecutor(
    { skills: () => skills, sandboxes: { bwrap: null, deno: null }, allowUnsandboxed: true },
    async (executor) => {
      const before = await executor.execute(task("x"), { capabilities: ["calc"] }).catch((e) => e);
      assert.ok(before instanceof SwarmError && before.code === "skill_not_found");
      skills = [fixtures["py-add"]];
      const after = await executor.execute(task("x", { input: { a: 1, b: 1 } }), {
        capabilities: ["calc"],
      });
      assert.equal(after.response, '{"sum": 2}');
    },
  );
});

Deno.test("SkillExecutor rejects limits that are not positive", () => {
  const base = { skills: [], workRoot: "/nonexistent", sandboxes: { bwrap: null, deno: null } };
  assert.throws(() => new SkillExecutor({ ...base, timeoutMs: 0 }), RangeError);
  assert.throws(() => new SkillExecutor({ ...base, maxOutputBytes: -1 }), RangeError);
  assert.throws(() => new SkillExecutor({ ...base, limits: { diskBytes: -1 } }), RangeError);
  assert.deepEqual(new SkillExecutor({ ...base, limits: { maxProcesses: 9 } }).limits, {
    memoryBytes: 536_870_912,
    maxProcesses: 9,
    diskBytes: 67_108_864,
  });
});

Deno.test({
  name: "SkillExecutor.execute() never runs a Deno skill outside bubblewrap unless allowed",
  ignore: noDeno,
  async fn() {
    const deno = sandboxes.deno;
    await withExecutor({ sandboxes: { bwrap: null, deno } }, async (executor) => {
      assert.equal(executor.sandboxFor(fixtures["deno-echo"]), "unavailable");
      const refused = await executor.execute(task("e", { tool_hint: "deno-echo" }), {
        capabilities: [],
      }).catch((e) => e);
      assert.ok(refused instanceof SwarmError && refused.code === "execution_failed");
      assert.equal(
        refused.message,
        "Skill 'deno-echo' cannot run here: bubblewrap is not installed or does not work here, and --allow-unsandboxed was not given",
      );
    });
    await withExecutor({ sandboxes: { bwrap: null, deno }, allowUnsandboxed: true }, async (ex) => {
      assert.equal(ex.sandboxFor(fixtures["deno-echo"]), "none");
      const t = task("echo", { tool_hint: "deno-echo", input: { say: "hi" } });
      const result = await ex.execute(t, { capabilities: [] });
      assert.equal(result.task_completed, true, result.response);
    });
  },
});

Deno.test({
  name: "SkillExecutor.execute() stops a run at its disk limit (sized tmpfs) and says why",
  ignore: noBwrap,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "swarm-disk-skill-" });
    try {
      await Deno.mkdir(`${dir}/scripts`);
      await Deno.writeTextFile(`${dir}/SKILL.md`, "---\nname: filler\n---\n");
      await Deno.writeTextFile(
        `${dir}/scripts/main.sh`,
        "cat >/dev/null\ndd if=/dev/zero of=big bs=65536 count=80\necho '{}'\n",
      );
      const { loadSkill } = await import("../../lib/skills/load_skill.ts");
      await withExecutor({
        skills: [await loadSkill(dir)],
        limits: { diskBytes: 1024 * 1024 },
        // No cgroups, no prlimit: the tmpfs size alone holds.
        limitHost: { prlimit: null, cgroups: { memory: null, pids: null } },
      }, async (executor) => {
        const result = await executor.execute(task("fill", { tool_hint: "filler" }), {
          capabilities: [],
        });
        assert.equal(result.task_completed, false, result.response);
        const error = JSON.parse(result.response);
        assert.equal(
          error.error,
          "Disk limit exceeded: the skill may write at most 1048576 bytes",
        );
        assert.match(error.stderr, /No space left on device/);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("SkillExecutor.execute() refuses a skill named by tool_hint outside the caller's scope, before anything else", async () => {
  await withExecutor({ sandboxes: { bwrap: null, deno: null } }, async (executor) => {
    const grant: Grant = {
      method: "token",
      subject: "ci",
      actions: ["task"],
      capabilities: ["web"],
      skills: ["*"],
    };
    const named = task("add", { tool_hint: "py-add" });
    const err = await rejectsWith(
      executor.execute(named, { capabilities: [], grant }),
      "forbidden",
    );
    assert.equal(err.details.missing_scope, "capability:calc");
    // Within the scope, the same task gets as far as the sandbox (missing here).
    const allowed = { ...grant, capabilities: ["calc"] };
    await rejectsWith(
      executor.execute(named, { capabilities: [], grant: allowed }),
      "execution_failed",
    );
  });
});
