import assert from "node:assert/strict";
import { dirname } from "node:path";
import { SwarmError } from "../../lib/protocol/errors.ts";
import { type Grant } from "../../lib/security/grant.ts";
import { AGENT_SKILL_NAME } from "../../lib/security/scope.ts";
import { rejectsWith } from "../_helpers/swarm_error.ts";
import {
  CommandExecutor,
  type CommandExecutorOptions,
} from "../../lib/execution/command_executor.ts";
import { processesMatching, task } from "./_helpers.ts";

/** A python agent stand-in: answers the task it reads, reporting what it saw. */
const AGENT = `
import json, os, sys
t = json.load(sys.stdin)
seen = {"cwd": os.getcwd(), "url": os.environ.get("SKILLLITE_SWARM_URL"),
        "key": os.environ.get("AGENT_API_KEY"), "caps": t["context"]["required_capabilities"],
        "description": t["description"]}
print(json.dumps({"task_id": t["id"], "response": json.dumps(seen), "task_completed": True,
                  "tool_calls": 2}))
`;
import { withTimeout } from "../_helpers/with_timeout.ts";

async function withCommand(
  options: Partial<CommandExecutorOptions> & { command: string },
  fn: (executor: CommandExecutor, workRoot: string) => Promise<void>,
): Promise<void> {
  const workRoot = await Deno.makeTempDir({ prefix: "swarm-cmd-test-" });
  try {
    await fn(new CommandExecutor({ workRoot, timeoutMs: 20_000, ...options }), workRoot);
    assert.deepEqual(await Array.fromAsync(Deno.readDir(workRoot)), [], "work dirs removed");
  } finally {
    await Deno.remove(workRoot, { recursive: true });
  }
}

async function failure(promise: Promise<unknown>): Promise<SwarmError> {
  const err = await promise.then(() => new Error("Expected a failure"), (e) => e);
  assert.ok(err instanceof SwarmError, String(err));
  assert.equal(err.code, "execution_failed");
  return err;
}

Deno.test("CommandExecutor.execute() pipes the task to the command and returns its result", async () => {
  const script = await Deno.makeTempFile({ suffix: ".py" });
  await Deno.writeTextFile(script, AGENT);
  try {
    await withCommand({
      command: `python3 ${script}`,
      env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", AGENT_API_KEY: "k-1" },
      swarmUrl: "http://127.0.0.1:7700",
    }, async (executor, workRoot) => {
      const t = task("summarise the logs", {
        context: { workspace: "/etc", session_key: "s", required_capabilities: ["ops"] },
      });
      const progress: unknown[] = [];
      const result = await executor.execute(t, {
        capabilities: ["ops"],
        onProgress: (p) => progress.push(p),
      });
      assert.equal(result.task_id, t.id);
      assert.equal(result.task_completed, true);
      assert.equal(result.tool_calls, 2);
      const seen = JSON.parse(result.response);
      assert.ok(seen.cwd.startsWith(`${await Deno.realPath(workRoot)}/task-`), seen.cwd);
      assert.equal(seen.url, "http://127.0.0.1:7700");
      assert.equal(seen.key, "k-1", "the operator's agent keeps its environment");
      assert.deepEqual(seen.caps, ["ops"]);
      assert.equal(seen.description, "summarise the logs");
      assert.deepEqual(progress, [{}]);
    });
  } finally {
    await Deno.remove(script);
  }
});

Deno.test("CommandExecutor.execute() corrects a result naming another task", async () => {
  await withCommand({
    command:
      `echo '{"task_id":"other","response":"ok","task_completed":false,"tool_calls":0,"new_skill":null}'`,
  }, async (executor) => {
    const t = task("x");
    assert.deepEqual(await executor.execute(t, { capabilities: [] }), {
      task_id: t.id,
      response: "ok",
      task_completed: false,
      tool_calls: 0,
    });
  });
});

Deno.test("CommandExecutor.execute() turns a bad run into execution_failed with stderr", async () => {
  const cases: Array<[string, string, RegExp]> = [
    [
      "non-zero exit",
      "echo 'agent crashed' >&2; exit 4",
      /^Executor command failed with exit code 4: stderr: agent crashed$/,
    ],
    [
      "not JSON",
      "echo 'I think the answer is 4'; echo warn >&2",
      /^Executor command printed no JSON result: stderr: warn$/,
    ],
    ["empty output", "true", /^Executor command printed no JSON result: stderr is empty$/],
    [
      "fractional tool_calls",
      `echo '{"task_id":"t","response":"r","task_completed":true,"tool_calls":1.5}'`,
      /^Executor command printed an invalid result: Field 'tool_calls' must be a non-negative integer; stderr is empty$/,
    ],
    [
      "array",
      "echo '[1]'",
      /^Executor command printed an invalid result: Result must be a JSON object/,
    ],
  ];
  for (const [why, command, message] of cases) {
    await withCommand({ command }, async (executor) => {
      const err = await failure(executor.execute(task("x"), { capabilities: [] }));
      assert.match(err.message, message, why);
    });
  }
});

Deno.test("CommandExecutor.execute() quotes only the end of a long stderr", async () => {
  await withCommand(
    { command: "head -c 5000 /dev/zero | tr '\\0' a >&2; echo END >&2; exit 1" },
    async (executor) => {
      const err = await failure(executor.execute(task("x"), { capabilities: [] }));
      assert.ok(err.message.endsWith("aaaEND"), err.message.slice(-20));
      assert.ok(err.message.length < 1200);
      assert.equal(err.details.exit_code, 1);
    },
  );
});

Deno.test("CommandExecutor.execute() kills a command that outlives the timeout", async () => {
  await withCommand({ command: "sleep 33.5; echo '{}'", timeoutMs: 500 }, async (executor) => {
    const err = await failure(
      withTimeout(executor.execute(task("x"), { capabilities: [] }), {
        ms: 10_000,
        waitingFor: "execute() to kill a 33.5 s command at its 500 ms timeout",
      }),
    );
    assert.equal(err.message, "Executor command timed out after 500ms");
    assert.deepEqual(await processesMatching("sleep 33.5"), []);
  });
});

Deno.test("CommandExecutor.execute() fails on too much output or an abort", async () => {
  await withCommand({ command: "yes", maxOutputBytes: 1000 }, async (executor) => {
    const err = await failure(executor.execute(task("x"), { capabilities: [] }));
    assert.equal(err.message, "Executor command printed more than 1000 bytes");
  });
  await withCommand({ command: "sleep 34.5" }, async (executor) => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const err = await failure(
      executor.execute(task("x"), { capabilities: [], signal: controller.signal }),
    );
    assert.equal(err.message, "Executor command was aborted");
    assert.deepEqual(await processesMatching("sleep 34.5"), []);
  });
});

Deno.test("CommandExecutor rejects an empty command or limits that are not positive", () => {
  assert.throws(() => new CommandExecutor({ command: " ", workRoot: "/x" }), RangeError);
  assert.throws(
    () => new CommandExecutor({ command: "a", workRoot: "/x", timeoutMs: 0 }),
    RangeError,
  );
  assert.throws(
    () => new CommandExecutor({ command: "a", workRoot: "/x", maxOutputBytes: 0 }),
    RangeError,
  );
});

/** A shell agent that writes a skill at `dir` (relative to its cwd) and reports `path`. */
function evolvingAgent(dir: string, path: string, extra = ""): string {
  const result = JSON.stringify({
    task_id: "x",
    response: "evolved",
    task_completed: true,
    tool_calls: 1,
    new_skill: { name: "evolved", description: "d", path, txn_id: "txn-1" },
  });
  return `mkdir -p '${dir}' && printf -- '---\\nname: evolved\\n---\\n' > '${dir}/SKILL.md' ${extra}&& echo '${result}'`;
}

Deno.test("CommandExecutor.execute() hands a new_skill inside the work dir to onNewSkill, before the dir goes", async () => {
  const seen: Array<{ dir: string; skill: string; txn: string }> = [];
  await withCommand({
    command: evolvingAgent(".skills/_evolved/evolved", ".skills/_evolved/evolved"),
    onNewSkill: async (dir, skill) => {
      // The skill's files are still there while the hook runs.
      const text = await Deno.readTextFile(`${dir}/SKILL.md`);
      seen.push({ dir, skill: text.split("\n")[1], txn: skill.txn_id });
    },
  }, async (executor, workRoot) => {
    const result = await executor.execute(task("evolve"), { capabilities: [] });
    assert.equal(result.new_skill?.path, ".skills/_evolved/evolved", "passed through as it came");
    assert.equal(seen.length, 1);
    assert.ok(seen[0].dir.startsWith(`${await Deno.realPath(workRoot)}/task-`), seen[0].dir);
    assert.deepEqual([seen[0].skill, seen[0].txn], ["name: evolved", "txn-1"]);
  });
});

Deno.test("CommandExecutor.execute() never hands onNewSkill a path outside the work dir", async () => {
  const outside = await Deno.makeTempDir({ prefix: "swarm-outside-" });
  await Deno.writeTextFile(`${outside}/SKILL.md`, "---\nname: node-secrets\n---\n");
  try {
    for (
      const [label, command] of [
        ["absolute", evolvingAgent("s", outside)],
        ["climbing", evolvingAgent("s", "../../../../../../../../../etc")],
        ["symlink out", evolvingAgent("s", "link", `&& ln -s '${outside}' link `)],
        ["missing", evolvingAgent("s", "nope")],
      ]
    ) {
      const calls: string[] = [];
      await withCommand({
        command,
        onNewSkill: (dir) => Promise.resolve(void calls.push(dir)),
      }, async (executor) => {
        const result = await executor.execute(task("evolve"), { capabilities: [] });
        assert.equal(result.response, "evolved", label);
        assert.deepEqual(calls, [], `${label}: ${calls.join()}`);
      });
    }
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("CommandExecutor.execute() refuses a grant without the agent's skill with 403, before running it", async () => {
  const marker = `${await Deno.makeTempDir({ prefix: "swarm-cmd-scope-" })}/ran`;
  try {
    await withCommand({
      command:
        `touch '${marker}'; echo '{"task_id":"x","response":"ok","task_completed":true,"tool_calls":0}'`,
    }, async (executor) => {
      const grant: Grant = {
        method: "token",
        subject: "ci",
        actions: ["task"],
        capabilities: ["*"],
        skills: ["calculator"],
      };
      const err = await rejectsWith(
        executor.execute(task("x"), { capabilities: [], grant }),
        "forbidden",
      );
      assert.equal(err.details.missing_scope, `skill:${AGENT_SKILL_NAME}`);
      await assert.rejects(Deno.stat(marker), Deno.errors.NotFound, "the agent never ran");
      const allowed = { ...grant, skills: [AGENT_SKILL_NAME] };
      const result = await executor.execute(task("x"), { capabilities: [], grant: allowed });
      assert.equal(result.response, "ok");
      await Deno.stat(marker);
    });
  } finally {
    await Deno.remove(dirname(marker), { recursive: true });
  }
});
