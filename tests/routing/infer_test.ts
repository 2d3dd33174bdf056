import assert from "node:assert/strict";
import { inferTaskCapabilities } from "../../lib/routing/infer.ts";
import type { LlmConfig } from "../../lib/config/llm_config.ts";
import { serve, sleep } from "../client/_serve.ts";

const KNOWN = ["calc", "web"];

function llm(baseUrl: string, fields: Partial<LlmConfig> = {}): LlmConfig {
  return { enabled: true, apiKey: "sk-test", baseUrl, model: "m", timeoutMs: 2000, ...fields };
}

function chatAnswer(content: string): Response {
  return Response.json({ choices: [{ message: { content } }] });
}

Deno.test("inferTaskCapabilities() takes the LLM's answer when it has one", async () => {
  const server = serve(() => chatAnswer('["web"]'));
  try {
    const found = await inferTaskCapabilities("1+1等于几？", KNOWN, { llm: llm(server.url) });
    assert.deepEqual(found, { tags: ["web"], source: "llm" });
  } finally {
    await server.close();
  }
});

Deno.test("inferTaskCapabilities() accepts an empty LLM answer", async () => {
  const server = serve(() => chatAnswer("[]"));
  try {
    const found = await inferTaskCapabilities("1+1等于几？", KNOWN, { llm: llm(server.url) });
    assert.deepEqual(found, { tags: [], source: "llm" });
  } finally {
    await server.close();
  }
});

Deno.test("inferTaskCapabilities() falls back to the offline rules when the LLM is slow", async () => {
  const server = serve(async (_req, _seen, closing) => {
    await sleep(5000, closing);
    return chatAnswer('["web"]');
  });
  try {
    // The LLM would answer ["web"] after 5 s: "calc" from the offline rules shows it was cut off.
    const found = await inferTaskCapabilities("1+1等于几？", KNOWN, {
      llm: llm(server.url, { timeoutMs: 300 }),
    });
    assert.deepEqual(found.tags, ["calc"]);
    assert.equal(found.source, "offline");
    assert.match(found.llmError ?? "", /timed out after 300 ms/);
  } finally {
    await server.close();
  }
});

Deno.test("inferTaskCapabilities() falls back to the offline rules when the LLM fails", async () => {
  const server = serve(() => new Response("down", { status: 500 }));
  try {
    const found = await inferTaskCapabilities("hello", KNOWN, { llm: llm(server.url) });
    assert.equal(found.source, "none");
    assert.deepEqual(found.tags, []);
    assert.match(found.llmError ?? "", /500/);
  } finally {
    await server.close();
  }
});

Deno.test("inferTaskCapabilities() uses only the offline rules when the LLM is disabled", async () => {
  const server = serve(() => chatAnswer('["web"]'));
  try {
    const disabled = llm(server.url, { enabled: false });
    assert.deepEqual(await inferTaskCapabilities("what is 12 * 7", KNOWN, { llm: disabled }), {
      tags: ["calc"],
      source: "offline",
    });
    assert.deepEqual(await inferTaskCapabilities("hello", KNOWN, { llm: disabled }), {
      tags: [],
      source: "none",
    });
    assert.equal(server.requests.length, 0);
  } finally {
    await server.close();
  }
});

Deno.test("inferTaskCapabilities() rethrows the caller's abort instead of falling back", async () => {
  const server = serve(async (_req, _seen, closing) => {
    await sleep(5000, closing);
    return chatAnswer("[]");
  });
  try {
    const controller = new AbortController();
    const reason = new Error("Client went away");
    setTimeout(() => controller.abort(reason), 100);
    await assert.rejects(
      inferTaskCapabilities("1+1", KNOWN, { llm: llm(server.url), signal: controller.signal }),
      (err) => err === reason,
    );
  } finally {
    await server.close();
  }
});
