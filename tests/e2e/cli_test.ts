/**
 * The client commands (`swarm task`, `swarm status`, `swarm skills`) through the
 * installed launcher, against a real node.
 */
import { strict as assert } from "node:assert";
import { FIXTURE_SKILLS, runSwarm, startNode, stopAll, type TestNode } from "./_node.ts";
import { skillsUnavailable } from "../_helpers/bwrap.ts";

// Their nodes hold the echo-deno skill (Deno, sandboxed in bubblewrap): without a sandbox it is
// not advertised, so those tests would route nothing.
const noSkills = await skillsUnavailable();
if (noSkills) console.log(`cli_test (tests whose nodes hold a fixture skill) skipped: ${noSkills}`);

const TOKEN = "cli-token";

Deno.test(
  "cli: swarm task, status and skills talk to a real node",
  { ignore: noSkills !== null },
  async (t) => {
    const nodes: TestNode[] = [];
    try {
      const node = await startNode({
        args: ["--skills-dir", `${FIXTURE_SKILLS}echo-deno`],
        env: { SKILLLITE_SWARM_TOKEN: TOKEN },
      });
      nodes.push(node);
      const env = { SKILLLITE_SWARM_URL: node.url, SKILLLITE_SWARM_TOKEN: TOKEN };

      await t.step("swarm task prints the response and exits 0", async () => {
        const r = await runSwarm(
          ["task", "hello", "--require", "echo", "--input", '{"k":"v"}'],
          env,
        );
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(JSON.parse(r.stdout), { echo: { k: "v" }, runtime: "deno" });
      });

      await t.step("swarm task --stream --json prints NDJSON events ending in done", async () => {
        const r = await runSwarm(["task", "hello", "--require", "echo", "--stream", "--json"], env);
        assert.equal(r.code, 0, r.stderr);
        const events = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
        assert.deepEqual(events.map((e) => e.event), ["received", "executing", "done"]);
      });

      await t.step("swarm task exits 1 with the server's error code and message", async () => {
        const r = await runSwarm(["task", "render", "--require", "gpu"], env);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /^swarm task: no_match: .*gpu/);
        const unauthorized = await runSwarm(["task", "x"], { SKILLLITE_SWARM_URL: node.url });
        assert.equal(unauthorized.code, 1);
        assert.match(unauthorized.stderr, /unauthorized/);
      });

      await t.step("swarm task with a bad flag is a usage error (exit 2)", async () => {
        const r = await runSwarm(["task", "x", "--input", "{nope"], env);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /--input is not valid JSON/);
      });

      await t.step("swarm status --json shows identity, permissions, skills", async () => {
        const r = await runSwarm(["status", "--json"], env);
        assert.equal(r.code, 0, r.stderr);
        const status = JSON.parse(r.stdout);
        assert.equal(status.node_id, node.nodeId);
        assert.equal(status.status, "idle");
        assert.deepEqual(status.capabilities, ["echo"]);
        assert.equal(status.permissions.allow_net, "loopback");
        assert.deepEqual(status.permissions.network_worker.net, [
          "127.0.0.0/8",
          "[::1]",
          "localhost",
        ]);
        assert.equal(status.permissions.network_worker.run, false);
        assert.equal(status.skills[0].name, "echo-deno");
        const human = await runSwarm(["status", "--url", node.url], {
          SKILLLITE_SWARM_TOKEN: TOKEN,
        });
        assert.equal(human.code, 0, human.stderr);
        assert.match(human.stdout, new RegExp(`node\\s+${node.nodeId}`));
      });

      await t.step("swarm skills --json lists fingerprints equal to the node's", async () => {
        const r = await runSwarm([
          "skills",
          "--skills-dir",
          `${FIXTURE_SKILLS}echo-deno`,
          "--json",
        ]);
        assert.equal(r.code, 0, r.stderr);
        const report = JSON.parse(r.stdout);
        const status = JSON.parse((await runSwarm(["status", "--json"], env)).stdout);
        assert.equal(report.skills[0].fingerprint, status.skills[0].fingerprint);
        assert.equal(report.skills[0].sandbox, "deno");
      });

      await t.step("an unreachable node is a one-line error and exit 1", async () => {
        const r = await runSwarm(["status", "--url", "http://127.0.0.1:9"]);
        assert.equal(r.code, 1);
        assert.equal(r.stderr.trim().split("\n").length, 1);
      });
    } finally {
      await stopAll(nodes);
    }
  },
);

Deno.test("node: a stable id kept in the data dir across restarts; SIGTERM exits 0", async () => {
  const dataDir = await Deno.makeTempDir();
  const first = await startNode({ dataDir });
  assert.equal(await first.stop(), 0);
  const second = await startNode({ dataDir });
  try {
    assert.equal(second.nodeId, first.nodeId);
  } finally {
    assert.equal(await second.stop(), 0);
  }
});

Deno.test("cli: swarm task --agent-events prints SkillLite's agent-loop events", {
  ignore: noSkills !== null,
}, async () => {
  const node = await startNode({ args: ["--skills-dir", `${FIXTURE_SKILLS}echo-deno`] });
  try {
    const env = { SKILLLITE_SWARM_URL: node.url };
    const ok = await runSwarm(["task", "hi", "--require", "echo", "--agent-events"], env);
    assert.equal(ok.code, 0, ok.stderr);
    const events = ok.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(events[0], { event: "swarm_started", description: "hi" });
    assert.ok(
      events.slice(1, -1).every((e) =>
        e.event === "swarm_progress" && typeof e.status === "string"
      ),
    );
    assert.equal(events.at(-1).event, "swarm_finished");
    assert.equal(JSON.parse(events.at(-1).summary).runtime, "deno");
    const failed = await runSwarm(["task", "x", "--require", "gpu", "--agent-events"], env);
    assert.equal(failed.code, 1);
    const last = JSON.parse(failed.stdout.trim().split("\n").at(-1)!);
    assert.equal(last.event, "swarm_failed");
    assert.match(last.message, /no_match.*Fallback to local execution$/);
  } finally {
    await node.stop();
  }
});
