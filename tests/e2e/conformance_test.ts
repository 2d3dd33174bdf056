/**
 * Conformance of the SkillLite surface (DESIGN.md §3), on a real node process driven the
 * way SkillLite's agent drives it: no tool_hint, no tags, a 5 s client timeout, the
 * bearer token.
 */
import { strict as assert } from "node:assert";
import { FIXTURE_SKILLS, nodeTask, postTask, startNode, stopAll, type TestNode } from "./_node.ts";
import { skillsUnavailable } from "../_helpers/bwrap.ts";
import { fetchWithin } from "../_helpers/with_timeout.ts";

const TOKEN = "conformance-token";
const auth = { authorization: `Bearer ${TOKEN}` };
// The calculator and sleeper are Python skills. A node advertises only the skills it can
// run, sandboxed: without bubblewrap it has no capability, so the steps that run a skill
// or ask for one are skipped; the others need none.
const noSkills = await skillsUnavailable({ python: true });
if (noSkills) console.log(`conformance_test (the steps that run a skill) skipped: ${noSkills}`);

async function get(node: TestNode, path: string) {
  const res = await fetchWithin(`${node.url}${path}`, { headers: auth });
  return { status: res.status, body: await res.json() };
}

function assertNodeResult(body: unknown, taskId: string): asserts body is Record<string, unknown> {
  assert.ok(typeof body === "object" && body !== null);
  const r = body as Record<string, unknown>;
  assert.equal(r.task_id, taskId);
  assert.equal(typeof r.response, "string");
  assert.equal(typeof r.task_completed, "boolean");
  assert.ok(Number.isSafeInteger(r.tool_calls) && (r.tool_calls as number) >= 0, "tool_calls");
  assert.ok(r.new_skill === undefined || r.new_skill === null);
  // SkillLite's fields, plus swarm's trace_id extension (SkillLite ignores extra fields).
  for (const key of Object.keys(r)) {
    assert.ok(
      ["task_id", "response", "task_completed", "tool_calls", "new_skill", "trace_id"].includes(
        key,
      ),
      key,
    );
  }
  assert.match(String(r.trace_id), /^[0-9a-f]{32}$/);
}

function assertError(body: unknown, code: string): void {
  const b = body as Record<string, unknown>;
  assert.equal(b.error, code, JSON.stringify(b));
  assert.equal(typeof b.message, "string");
}

Deno.test("conformance: SkillLite's routes, status codes and bodies", async (t) => {
  const nodes: TestNode[] = [];
  try {
    const node = await startNode({
      args: [
        "--skills-dir",
        `${FIXTURE_SKILLS}calculator`,
        "--skills-dir",
        `${FIXTURE_SKILLS}sleeper`,
        "--max-body-bytes",
        "2048",
        "--max-hops",
        "3",
      ],
      env: { SKILLLITE_SWARM_TOKEN: TOKEN },
    });
    nodes.push(node);

    await t.step({
      name: "delegate_to_swarm: untagged task, 5 s timeout, token → NodeResult",
      ignore: noSkills !== null,
      async fn() {
        const task = nodeTask("1+1等于几？");
        const res = await postTask(node.url, task, { token: TOKEN, timeoutMs: 5_000 });
        assert.equal(res.status, 200, res.text);
        assertNodeResult(res.body, task.id as string);
        assert.equal(res.body.task_completed, true);
        assert.equal(JSON.parse(res.body.response as string).result, 2);
      },
    });

    await t.step("SkillLite's probe: POST /task {} is 400, 422 or 503", async () => {
      const res = await postTask(node.url, {}, { token: TOKEN });
      assert.ok([200, 400, 422, 503].includes(res.status));
      assert.equal(res.status, 422);
      assertError(res.body, "invalid_task");
      assert.equal((res.body as Record<string, unknown>).field, "id");
    });

    await t.step("bad requests: 400 malformed JSON, 422 naming the field, 415, 413", async () => {
      const send = (body: string, type = "application/json") =>
        fetchWithin(`${node.url}/task`, {
          method: "POST",
          headers: { ...auth, "content-type": type },
          body,
        }).then(async (r) => ({ status: r.status, body: await r.json() }));
      const malformed = await send('{"id": ');
      assert.equal(malformed.status, 400);
      assertError(malformed.body, "invalid_json");
      const missing = await send(
        JSON.stringify({ id: "x", description: "d", context: { workspace: "." } }),
      );
      assert.equal(missing.status, 422);
      assertError(missing.body, "invalid_task");
      assert.equal(missing.body.field, "context.session_key");
      const mistyped = await send(
        JSON.stringify({
          ...nodeTask("d"),
          context: { workspace: ".", session_key: "s", required_capabilities: "calc" },
        }),
      );
      assert.equal(mistyped.status, 422);
      assert.equal(mistyped.body.field, "context.required_capabilities");
      const text = await send(JSON.stringify(nodeTask("d")), "text/plain");
      assert.equal(text.status, 415);
      assertError(text.body, "unsupported_media_type");
      const big = await send(JSON.stringify(nodeTask("x".repeat(4096))));
      assert.equal(big.status, 413);
      assertError(big.body, "payload_too_large");
    });

    await t.step({
      name: "GET /status is idle, then busy with the running task's id",
      ignore: noSkills !== null,
      fn: async () => {
        const idle = await get(node, "/status");
        assert.equal(idle.status, 200);
        assert.equal(idle.body.status, "idle");
        assert.equal(idle.body.current_task_id, null);
        const task = nodeTask("nap", { required: ["sleep"], input: { seconds: 1.5 } });
        const running = postTask(node.url, task, { token: TOKEN });
        let busy: Record<string, unknown> | undefined;
        for (let i = 0; i < 40 && busy?.status !== "busy"; i++) {
          await new Promise((r) => setTimeout(r, 50));
          busy = (await get(node, "/status")).body;
        }
        assert.equal(busy?.status, "busy");
        assert.equal(busy?.current_task_id, task.id);
        assert.equal((await running).status, 200);
      },
    });

    await t.step({
      name: "GET /can-do splits, trims, matches exactly",
      ignore: noSkills !== null,
      fn: async () => {
        const cases: Array<[string, boolean]> = [
          ["/can-do?required=calc", true],
          ["/can-do?required=%20calc%20,%20,", true],
          ["/can-do", true],
          ["/can-do?required=", true],
          ["/can-do?required=Calc", false],
          ["/can-do?required=calc,gpu", false],
        ];
        for (const [path, expected] of cases) {
          const res = await get(node, path);
          assert.equal(res.status, 200);
          assert.deepEqual(res.body, { can_do: expected, instance_name: node.nodeId }, path);
        }
      },
    });

    await t.step("health, readiness and unknown routes", async () => {
      assert.equal((await get(node, "/healthz")).status, 200);
      const ready = await get(node, "/readyz");
      assert.equal(ready.status, 200);
      const missing = await get(node, "/nope");
      assert.equal(missing.status, 404);
      assertError(missing.body, "not_found");
    });

    await t.step(
      "loop guard: a task that visited this node, or crossed too many hops, is refused",
      async () => {
        const send = (headers: Record<string, string>) =>
          fetchWithin(`${node.url}/task`, {
            method: "POST",
            headers: { ...auth, "content-type": "application/json", ...headers },
            body: JSON.stringify(nodeTask("1+1", { required: ["calc"] })),
          }).then(async (r) => ({ status: r.status, body: await r.json() }));
        const loop = await send({ "x-swarm-via": `other,${node.nodeId}`, "x-swarm-hops": "1" });
        assert.equal(loop.status, 508);
        assertError(loop.body, "loop_detected");
        const far = await send({ "x-swarm-hops": "4" });
        assert.equal(far.status, 508);
        assertError(far.body, "hop_limit_exceeded");
      },
    );
  } finally {
    await stopAll(nodes);
  }
});

Deno.test("conformance: a node without an executor answers SkillLite's local_executor_not_configured", async () => {
  const nodes: TestNode[] = [];
  try {
    const bare = await startNode();
    nodes.push(bare);
    const none = await postTask(bare.url, nodeTask("anything"));
    assert.equal(none.status, 503);
    assertError(none.body, "local_executor_not_configured");
  } finally {
    await stopAll(nodes);
  }
});

Deno.test({
  name:
    "conformance: among many skills an untagged task is ambiguous_skill naming them; a tool_hint picks one, and it runs",
  ignore: noSkills !== null,
  async fn() {
    const many = await startNode({ args: ["--skills-dir", FIXTURE_SKILLS] });
    try {
      const ambiguous = await postTask(many.url, nodeTask("do something unspecific"));
      assert.equal(ambiguous.status, 409, ambiguous.text);
      assertError(ambiguous.body, "ambiguous_skill");
      const candidates = (ambiguous.body as Record<string, unknown>).candidates as string[];
      assert.ok(
        candidates.includes("calculator") && candidates.includes("echo-deno"),
        ambiguous.text,
      );
      const hinted = await postTask(many.url, nodeTask("2*21", { tool_hint: "calculator" }));
      assert.equal(hinted.status, 200, hinted.text);
      assert.equal(JSON.parse((hinted.body as Record<string, string>).response).result, 42);
    } finally {
      await many.kill();
    }
  },
});

Deno.test("execution: a task never runs in the caller's workspace path; its own dir is removed after", async () => {
  const nodes: TestNode[] = [];
  const agent = await Deno.makeTempFile({ suffix: ".py" });
  await Deno.writeTextFile(
    agent,
    `import json, os, sys
task = json.load(sys.stdin)
print(json.dumps({"task_id": task["id"], "response": os.getcwd(), "task_completed": True, "tool_calls": 2}))
`,
  );
  try {
    const node = await startNode({ args: ["--executor-cmd", `python3 ${agent}`] });
    nodes.push(node);
    const task = nodeTask("where am I?", { id: "ws-1" });
    (task.context as Record<string, string>).workspace = "/etc";
    const res = await postTask(node.url, task);
    assert.equal(res.status, 200, res.text);
    const body = res.body as Record<string, unknown>;
    assert.equal(body.tool_calls, 2);
    const cwd = body.response as string;
    assert.notEqual(cwd, "/etc");
    assert.ok(!cwd.startsWith("/etc"));
    await assert.rejects(Deno.stat(cwd), Deno.errors.NotFound);
  } finally {
    await stopAll(nodes);
    await Deno.remove(agent);
  }
});
