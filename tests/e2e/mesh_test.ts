/**
 * Three (and more) real nodes on loopback wired with --peer, started through the
 * installed launcher: local execution, one-hop forwarding, the who-can-do broadcast,
 * no_match, fallback past a dead peer, streaming across a hop, a Python skill in
 * bubblewrap, a Deno skill, and a skill that times out.
 */
import { strict as assert } from "node:assert";
import {
  FIXTURE_SKILLS,
  freePort,
  nodeTask,
  postTask,
  startNode,
  stopAll,
  type TestNode,
} from "./_node.ts";
import { startSkillLitePeer } from "./_skilllite_peer.ts";
import { skillsUnavailable } from "../_helpers/bwrap.ts";
import { fetchWithin } from "../_helpers/with_timeout.ts";

const skill = (name: string) => ["--skills-dir", `${FIXTURE_SKILLS}${name}`];
// Every mesh node runs a skill (Python or Deno), as a node runs it: in bubblewrap.
const noSkills = await skillsUnavailable({ python: true });
if (noSkills) console.log(`mesh_test skipped: ${noSkills}`);

function routedLog(node: TestNode, taskId: string): Record<string, unknown> | undefined {
  return node.logs.find((l) => l.message === "task_routed" && l.taskId === taskId);
}

Deno.test({
  name: "mesh: three nodes route, forward, broadcast, fall back and stream",
  ignore: noSkills !== null,
}, async (t) => {
  const nodes: TestNode[] = [];
  const legacy = startSkillLitePeer({ capabilities: ["legacy"] });
  try {
    // Two ports, the lower-sorting one for the node that will die, so A tries it first.
    const [p1, p2] = [freePort(), freePort()].sort((a, b) => String(a).localeCompare(String(b)));
    const dead = await startNode({ port: p1, args: [...skill("calculator")] });
    nodes.push(dead);
    const b = await startNode({ port: p2, args: [...skill("calculator")] });
    nodes.push(b);
    const c = await startNode({ args: skill("echo-deno") });
    nodes.push(c);
    const aPort = freePort();
    const a = await startNode({
      port: aPort,
      args: [
        ...skill("sleeper"),
        "--exec-timeout-ms",
        "1500",
        "--peer-probe-interval-ms",
        "600000",
        // No health probe notices the killed node before the task: the forward must fail
        // over by itself (health checks are tested in reliability_test.ts).
        "--health-interval-ms",
        "600000",
        ...[b, c, dead].flatMap((n) => ["--peer", `127.0.0.1:${n.port}`]),
        "--peer",
        `127.0.0.1:${legacy.port}`,
        "--peer",
        `127.0.0.1:${aPort}`, // itself: must be ignored
      ],
    });
    nodes.push(a);

    await t.step(
      "A knows B, C, the dead node and the SkillLite peer by identity, not itself",
      async () => {
        const status = await (await fetchWithin(`${a.url}/status`)).json();
        const ids = status.peers.map((p: { id: string }) => p.id).sort();
        assert.deepEqual(
          ids,
          [b.nodeId, c.nodeId, dead.nodeId, `addr:127.0.0.1:${legacy.port}`].sort(),
        );
        const bRow = status.peers.find((p: { id: string }) => p.id === b.nodeId);
        assert.deepEqual(bRow.capabilities, ["calc"]);
        assert.deepEqual(bRow.sources, ["static"]);
      },
    );

    await t.step("a task A can do runs locally (Python skill)", async () => {
      const task = nodeTask("nap", { required: ["sleep"], input: { seconds: 0.1 } });
      const res = await postTask(a.url, task);
      assert.equal(res.status, 200, res.text);
      const body = res.body as Record<string, unknown>;
      assert.equal(body.task_completed, true);
      assert.equal(JSON.parse(body.response as string).slept, 0.1);
      assert.equal(routedLog(a, task.id as string)?.route, "local");
    });

    await t.step(
      "the first-choice calc node dies (A does not re-probe it before the next task)",
      async () => {
        await dead.kill();
      },
    );

    await t.step(
      "a calc task is forwarded one hop, falling back past the dead peer to B",
      async () => {
        const task = nodeTask("multiply", { required: ["calc"], input: { expression: "6*7" } });
        const res = await postTask(a.url, task);
        assert.equal(res.status, 200, res.text);
        const body = res.body as Record<string, unknown>;
        assert.equal(body.task_completed, true);
        assert.equal(JSON.parse(body.response as string).result, 42);
        const routed = routedLog(a, task.id as string)!;
        assert.equal(routed.route, "forward");
        assert.equal(routed.peer, b.nodeId);
        const attempts = routed.attempts as Array<{ peer: string }>;
        assert.deepEqual(attempts.map((x) => x.peer), [dead.nodeId]);
        assert.equal(routedLog(b, task.id as string)?.route, "local");
      },
    );

    await t.step(
      "an untagged SkillLite-style task is inferred as calc and forwarded to B",
      async () => {
        const task = nodeTask("1+1等于几？");
        const res = await postTask(a.url, task);
        assert.equal(res.status, 200, res.text);
        const body = res.body as Record<string, unknown>;
        assert.equal(JSON.parse(body.response as string).result, 2);
        assert.equal(routedLog(a, task.id as string)?.peer, b.nodeId);
      },
    );

    await t.step("a tag no table entry has is found by the who-can-do broadcast", async () => {
      const task = nodeTask("old job", { required: ["legacy"] });
      const res = await postTask(a.url, task);
      assert.equal(res.status, 200, res.text);
      const body = res.body as Record<string, unknown>;
      assert.match(body.response as string, /^skilllite .* did: old job$/);
      assert.equal(routedLog(a, task.id as string)?.route, "broadcast");
      assert.ok(legacy.canDoAsked >= 1);
      assert.equal(legacy.received.at(-1)?.body.id, task.id);
    });

    await t.step("nobody can: 503 no_match with the required capabilities", async () => {
      const res = await postTask(a.url, nodeTask("render", { required: ["gpu"] }));
      assert.equal(res.status, 503);
      const body = res.body as Record<string, unknown>;
      assert.equal(body.error, "no_match");
      assert.deepEqual(body.required_capabilities, ["gpu"]);
      assert.equal(typeof body.message, "string");
    });

    await t.step("stream mode relays the remote hop's events (Deno skill on C)", async () => {
      const task = nodeTask("say hi", { required: ["echo"], input: { hi: 1 } });
      const res = await postTask(a.url, task, { stream: true });
      assert.equal(res.status, 200, res.text);
      assert.match(res.contentType, /application\/x-ndjson/);
      const events = res.body as Array<Record<string, unknown>>;
      assert.deepEqual(events[0], { event: "received", task_id: task.id, node: a.nodeId });
      assert.ok(events.some((e) => e.event === "forwarding" && e.peer === c.nodeId));
      assert.ok(events.some((e) => e.event === "executing" && e.node === c.nodeId));
      const done = events.at(-1)!;
      assert.equal(done.event, "done");
      const result = done.result as Record<string, unknown>;
      assert.deepEqual(JSON.parse(result.response as string), { echo: { hi: 1 }, runtime: "deno" });
      assert.equal(result.tool_calls, 1);
    });

    await t.step("a skill that runs past its timeout is killed and reported", async () => {
      // The answer's bound (20 s) is below the 30 s nap: only the 1.5 s skill timeout
      // answers in time.
      const res = await postTask(
        a.url,
        nodeTask("long nap", { required: ["sleep"], input: { seconds: 30 } }),
        { timeoutMs: 20_000 },
      );
      assert.equal(res.status, 200, res.text);
      const body = res.body as Record<string, unknown>;
      assert.equal(body.task_completed, false);
      assert.match(body.response as string, /timed out/i);
    });
  } finally {
    await stopAll(nodes);
    await legacy.close();
  }
});
