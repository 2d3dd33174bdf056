import assert from "node:assert/strict";
import { SwarmError } from "../../lib/protocol/errors.ts";
import type { LlmConfig } from "../../lib/config/llm_config.ts";
import { inferWithLlm, parseTagReply } from "../../lib/routing/llm_infer.ts";
import { serve, sleep } from "../client/_serve.ts";

const KNOWN = ["calc", "data", "web"];

function config(baseUrl: string, fields: Partial<LlmConfig> = {}): LlmConfig {
  return {
    enabled: true,
    apiKey: "sk-test",
    baseUrl,
    model: "test-model",
    timeoutMs: 2000,
    ...fields,
  };
}

function chatAnswer(content: unknown): Response {
  return Response.json({ choices: [{ message: { role: "assistant", content } }] });
}

Deno.test("parseTagReply() reads the array between the first [ and the last ]", () => {
  const cases: Array<[string, string[]]> = [
    ['["calc"]', ["calc"]],
    ["[]", []],
    ['```json\n["web", "calc"]\n```', ["calc", "web"]],
    ['I think ["calc", "gpu", "calc"] fits.', ["calc"]],
    ['["Calc"]', []],
    ['[\n  "data"\n]', ["data"]],
  ];
  for (const [text, want] of cases) assert.deepEqual(parseTagReply(text, KNOWN), want, text);
});

Deno.test("parseTagReply() throws SyntaxError when there is no array of strings", () => {
  for (const text of ["calc", "", "] [", '{"tags": "calc"}', "[calc]", '["calc", 1]', "[1, 2]"]) {
    assert.throws(() => parseTagReply(text, KNOWN), SyntaxError, text);
  }
});

Deno.test("inferWithLlm() posts a chat completion and returns the known tags", async () => {
  const server = serve(() => chatAnswer('["calc", "unknown"]'));
  try {
    const tags = await inferWithLlm("1+1等于几？", KNOWN, config(`${server.url}/v1/`));
    assert.deepEqual(tags, ["calc"]);
    const [seen] = server.requests;
    assert.equal(seen.method, "POST");
    assert.equal(seen.path, "/v1/chat/completions");
    assert.equal(seen.headers.get("authorization"), "Bearer sk-test");
    assert.equal(seen.headers.get("content-type"), "application/json");
    const body = JSON.parse(seen.body);
    assert.equal(body.model, "test-model");
    assert.equal(body.max_tokens, 64);
    assert.equal(body.temperature, 0);
    assert.equal(body.messages.length, 2);
    assert.equal(body.messages[0].role, "system");
    assert.ok(body.messages[0].content.includes("calc, data, web"), body.messages[0].content);
    assert.ok(body.messages[0].content.includes("JSON array"));
    assert.deepEqual(body.messages[1], { role: "user", content: "1+1等于几？" });
  } finally {
    await server.close();
  }
});

Deno.test("inferWithLlm() fails on bad answers with bad_peer_response", async () => {
  const answers: Array<() => Response> = [
    () => new Response("rate limited", { status: 429 }),
    () => new Response("not json"),
    () => Response.json({ choices: [] }),
    () => chatAnswer(null),
    () => chatAnswer("I cannot tell"),
  ];
  for (const answer of answers) {
    const server = serve(answer);
    try {
      await assert.rejects(
        inferWithLlm("task", KNOWN, config(server.url)),
        (err) =>
          err instanceof SwarmError && err.code === "bad_peer_response" &&
          err.message.startsWith("LLM routing failed: "),
      );
    } finally {
      await server.close();
    }
  }
});

Deno.test("inferWithLlm() fails with timeout after config.timeoutMs", async () => {
  const server = serve(async (_req, _seen, closing) => {
    await sleep(5000, closing);
    return chatAnswer('["calc"]');
  });
  try {
    // The LLM answers after 5 s: a timeout error is the 300 ms limit's.
    await assert.rejects(
      inferWithLlm("task", KNOWN, config(server.url, { timeoutMs: 300 })),
      (err) => err instanceof SwarmError && err.code === "timeout",
    );
  } finally {
    await server.close();
  }
});

Deno.test("inferWithLlm() fails when the endpoint is unreachable", async () => {
  const server = serve(() => chatAnswer("[]"));
  const url = server.url;
  await server.close();
  await assert.rejects(
    inferWithLlm("task", KNOWN, config(url)),
    (err) => err instanceof SwarmError && err.code === "bad_peer_response",
  );
});

Deno.test("inferWithLlm() refuses a config without a key", async () => {
  await assert.rejects(
    inferWithLlm("task", KNOWN, config("http://127.0.0.1:9", { apiKey: undefined })),
    TypeError,
  );
});
