/**
 * Capability inference for untagged tasks on a real node: SkillLite's chat-completions
 * request against a local OpenAI-compatible server, and the offline fallback when that
 * endpoint fails.
 */
import { strict as assert } from "node:assert";
import { FIXTURE_SKILLS, nodeTask, postTask, startNode, stopAll, type TestNode } from "./_node.ts";
import { skillsUnavailable } from "../_helpers/bwrap.ts";
import { fetchWithin } from "../_helpers/with_timeout.ts";

// Which skill ran (the Python calculator or the Deno echo) shows which path decided.
const noSkills = await skillsUnavailable({ python: true });
if (noSkills) console.log(`inference_test (capability inference) skipped: ${noSkills}`);

function chatServer(reply: () => Response) {
  const requests: Array<{ path: string; auth: string | null; body: Record<string, unknown> }> = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    requests.push({
      path: new URL(req.url).pathname,
      auth: req.headers.get("authorization"),
      body: await req.json(),
    });
    return reply();
  });
  return {
    base: `http://127.0.0.1:${server.addr.port}/v1`,
    requests,
    close: () => server.shutdown(),
  };
}

Deno.test({
  name: "inference: an untagged task asks the chat endpoint, and falls back offline when it fails",
  ignore: noSkills !== null,
}, async () => {
  const nodes: TestNode[] = [];
  // The model answers "echo" although the description looks like arithmetic: the
  // answer proves which path decided.
  const good = chatServer(() =>
    Response.json({ choices: [{ message: { role: "assistant", content: 'Tags: ["echo"]' } }] })
  );
  const broken = chatServer(() => new Response("overloaded", { status: 500 }));
  const skills = [
    "--skills-dir",
    `${FIXTURE_SKILLS}calculator`,
    "--skills-dir",
    `${FIXTURE_SKILLS}echo-deno`,
  ];
  try {
    const viaLlm = await startNode({
      args: skills,
      env: {
        SKILLLITE_SWARM_LLM_ROUTING: "1",
        OPENAI_API_KEY: "k-test",
        OPENAI_BASE_URL: good.base,
        MODEL: "m-test",
      },
    });
    nodes.push(viaLlm);
    const task = nodeTask("1+1等于几？");
    const res = await postTask(viaLlm.url, task);
    assert.equal(res.status, 200, res.text);
    assert.equal(JSON.parse((res.body as Record<string, string>).response).runtime, "deno");
    assert.equal(good.requests.length, 1);
    const request = good.requests[0];
    assert.equal(request.path, "/v1/chat/completions");
    assert.equal(request.auth, "Bearer k-test");
    assert.equal(request.body.model, "m-test");
    assert.equal(request.body.max_tokens, 64);
    assert.equal(request.body.temperature, 0);

    const fallback = await startNode({
      args: skills,
      env: {
        SKILLLITE_API_KEY: "k",
        SKILLLITE_API_BASE: broken.base,
        SKILLLITE_SWARM_LLM_ROUTING: "1",
      },
    });
    nodes.push(fallback);
    const res2 = await postTask(fallback.url, nodeTask("1+1等于几？"));
    assert.equal(res2.status, 200, res2.text);
    assert.equal(JSON.parse((res2.body as Record<string, string>).response).result, 2);
    assert.equal(broken.requests.length, 1);
  } finally {
    await stopAll(nodes);
    await good.close();
    await broken.close();
  }
});

Deno.test("listen: a node serves on an IPv6 literal ([::1]:PORT)", async () => {
  const node = await startNode({ host: "::1" });
  try {
    assert.match(node.url, /^http:\/\/\[::1\]:\d+$/);
    const res = await fetchWithin(`${node.url}/healthz`);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).node_id, node.nodeId);
  } finally {
    await node.stop();
  }
});
