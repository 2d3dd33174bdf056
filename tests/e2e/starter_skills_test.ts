/**
 * A first node does real work: with no skills directory it runs swarm's starter skills, says so,
 * and answers the README's quick-start task. Where bubblewrap is missing the Deno starter skills
 * still run, a skill that cannot run is not advertised, and it comes back once bubblewrap works.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { bwrapUsable, pythonUsable } from "../_helpers/bwrap.ts";
import { withTempDir } from "../_helpers/temp_dir.ts";
import {
  nodeTask,
  postTask,
  runSwarm,
  startNode,
  stopAll,
  type TestNode,
  waitFor,
  waitForPeerWith,
} from "./_node.ts";

interface StatusSkill {
  name: string;
  sandbox: string;
  origin?: string;
  cannot_run?: string;
}

async function status(node: TestNode): Promise<{ skills: StatusSkill[]; capabilities: string[] }> {
  const res = await fetch(`${node.url}/status`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200);
  return await res.json();
}

const noBwrap = (await bwrapUsable()) ? null : "bubblewrap does not work here";
const noPython = (await pythonUsable()) ? null : "python3 is not installed";
if (noBwrap ?? noPython) {
  console.log(
    `starter_skills_test (text-tools coming back with bubblewrap) skipped: ${noBwrap ?? noPython}`,
  );
}

Deno.test({
  name: "a node with no skills directory uses the starter skills and answers 1+1等于几？ with 2",
  sanitizeResources: false,
  async fn() {
    const node = await startNode({ starterSkills: true });
    try {
      const started = node.logs.find((l) => l.message === "swarm_started");
      assert.equal(started?.starter_skills, true, JSON.stringify(started));
      const announced = node.logs.find((l) =>
        l.message === "Using the starter skills: no skills directory was given or found"
      );
      assert.deepEqual(announced?.skills, ["calculator", "text-tools", "time-tools"]);
      const { skills, capabilities } = await status(node);
      assert.deepEqual(skills.map((s) => [s.name, s.origin]), [
        ["calculator", "starter"],
        ["text-tools", "starter"],
        ["time-tools", "starter"],
      ]);
      for (const tag of ["calc", "time"]) assert.ok(capabilities.includes(tag), tag);

      // The README's quick-start task, through the CLI: no tags, so calc is inferred.
      const cli = await runSwarm(["task", "1+1等于几？", "--url", node.url]);
      assert.equal(cli.code, 0, cli.stderr);
      assert.deepEqual(JSON.parse(cli.stdout), { result: 2, expression: "1+1" });

      const time = await postTask(
        node.url,
        nodeTask("days between 2026-01-01 and 2026-12-08", { required: ["time"] }),
      );
      assert.equal(time.status, 200, time.text);
      assert.deepEqual(JSON.parse((time.body as { response: string }).response), { days: 341 });
    } finally {
      await node.stop();
    }
  },
});

/** The README quick start's shell blocks: each command with the output its comments show. */
async function quickStart(): Promise<Array<{ command: string; shown: string[] }>> {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  const section = readme.slice(readme.indexOf("## Quick start"), readme.indexOf("Run the whole"));
  const steps: Array<{ command: string; shown: string[] }> = [];
  for (const block of section.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block[1].split("\n")) {
      const comment = line.match(/^# (.*)$/);
      if (comment) steps.at(-1)?.shown.push(comment[1]);
      else if (line.trim()) {
        const [command, arrow] = line.split(/\s+# → /);
        steps.push({ command: command.trim(), shown: arrow ? [arrow.trim()] : [] });
      }
    }
  }
  return steps;
}

Deno.test({
  name:
    "the README quick start's tasks answer what it shows, locally and forwarded by a second node",
  sanitizeResources: false,
  async fn() {
    const steps = await quickStart();
    const tasks = steps.filter((s) => s.command.startsWith("~/.local/bin/swarm task "));
    assert.equal(tasks.length, 3, JSON.stringify(steps));
    const first = await startNode({ starterSkills: true });
    // The quick start's second node, as its command line says, on ports of the test's own.
    const second = await startNode({
      args: ["--peer", `127.0.0.1:${first.port}`, "--no-starter-skills"],
      starterSkills: true,
    });
    assert.ok(steps.some((s) => s.command.includes("--peer 127.0.0.1:7700 --no-starter-skills")));
    try {
      await waitForPeerWith(second, "calc");
      for (const { command, shown } of tasks) {
        // `swarm task "…" [flags]`: the words after `task`, the quoted description as one.
        const words = command.slice("~/.local/bin/swarm task ".length).match(/"[^"]*"|\S+/g)!
          .map((w) => w.replace(/^"|"$/g, ""))
          .map((w) => w === "http://127.0.0.1:7701" ? second.url : w);
        const args = ["task", ...words, ...(words.includes("--url") ? [] : ["--url", first.url])];
        const cli = await runSwarm(args);
        assert.equal(cli.code, 0, `${command}: ${cli.stderr}`);
        const lines = cli.stdout.trim().split("\n");
        assert.equal(lines.at(-1), shown.at(-1), command);
        if (words.includes("--stream")) {
          // The hops it shows: received here, forwarded to the first node, run there.
          const hops = lines.slice(0, -1).map((l) =>
            l.replaceAll(second.nodeId, "<node 7701>").replaceAll(first.nodeId, "<node 7700>")
              .replace(`127.0.0.1:${first.port}`, "127.0.0.1:7700")
          );
          assert.deepEqual(hops, shown.slice(0, -1), command);
        }
      }
    } finally {
      await stopAll([second, first]);
    }
  },
});

Deno.test({
  name: "--no-starter-skills leaves a node without skills, and a given --skills-dir replaces them",
  sanitizeResources: false,
  async fn() {
    const bare = await startNode({ args: ["--no-starter-skills"], starterSkills: true });
    try {
      assert.deepEqual((await status(bare)).skills, []);
      const started = bare.logs.find((l) => l.message === "swarm_started");
      assert.equal(started?.starter_skills, false);
      const answer = await postTask(bare.url, nodeTask("1+1", { required: [] }));
      assert.equal(answer.status, 503, answer.text);
      assert.equal((answer.body as { error: string }).error, "local_executor_not_configured");
    } finally {
      await bare.stop();
    }
    await withTempDir(async (dir) => {
      const own = await startNode({ args: ["--skills-dir", dir], starterSkills: true });
      try {
        assert.deepEqual((await status(own)).skills, []);
      } finally {
        await own.stop();
      }
    });
  },
});

Deno.test({
  name:
    "without bubblewrap the Deno starter skills run on their Deno flags and a skill that cannot run is not advertised",
  sanitizeResources: false,
  async fn() {
    await withTempDir(async (bin) => {
      // The node's PATH holds python3 and nothing else: no bubblewrap to find.
      // The interpreter itself, not a wrapper such as pyenv's shim, which needs its PATH.
      const python = await new Deno.Command("python3", {
        args: ["-c", "import sys; print(sys.executable)"],
      }).output().catch(() => ({ stdout: new Uint8Array() }));
      const pythonPath = new TextDecoder().decode(python.stdout).trim();
      if (pythonPath) await Deno.symlink(pythonPath, join(bin, "python3"));
      const node = await startNode({ starterSkills: true, env: { PATH: bin } });
      try {
        const before = await status(node);
        const byName = new Map(before.skills.map((s) => [s.name, s]));
        assert.equal(byName.get("calculator")?.sandbox, "deno-flags");
        assert.equal(byName.get("time-tools")?.sandbox, "deno-flags");
        assert.equal(byName.get("text-tools")?.sandbox, "unavailable");
        assert.match(byName.get("text-tools")?.cannot_run ?? "", /bubblewrap is not installed/);
        assert.deepEqual(before.capabilities, ["calc", "time"]);
        const warned = node.logs.find((l) =>
          l.message === "Skill cannot run here and is not advertised" && l.skill === "text-tools"
        );
        assert.ok(warned, "the node warns at start about the skill it cannot run");

        const calc = await postTask(node.url, nodeTask("1+1等于几？"));
        assert.equal(calc.status, 200, calc.text);
        assert.deepEqual(JSON.parse((calc.body as { response: string }).response), {
          result: 2,
          expression: "1+1",
        });
        const json = await postTask(node.url, nodeTask('format {"a":1}', { required: ["json"] }));
        assert.equal(json.status, 503, json.text);
        assert.equal((json.body as { error: string }).error, "no_match");

        if (noBwrap ?? noPython) return;
        // bubblewrap appears (installed later): the skill and its tags come back, no restart.
        const bwrap = await new Deno.Command("sh", { args: ["-c", "command -v bwrap"] }).output();
        await Deno.symlink(new TextDecoder().decode(bwrap.stdout).trim(), join(bin, "bwrap"));
        await waitFor(async () => (await status(node)).capabilities.includes("json"), 40_000);
        const after = await postTask(node.url, nodeTask('format {"a":1}', { required: ["json"] }));
        assert.equal(after.status, 200, after.text);
        assert.deepEqual(JSON.parse((after.body as { response: string }).response), {
          valid: true,
          text: '{\n  "a": 1\n}',
        });
      } finally {
        await node.stop();
      }
    });
  },
});
