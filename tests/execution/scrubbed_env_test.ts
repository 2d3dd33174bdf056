import assert from "node:assert/strict";
import { scrubbedEnv, SKILL_PATH } from "../../lib/execution/scrubbed_env.ts";
import { skill } from "./_helpers.ts";

const source = {
  PATH: "/root/.pyenv/shims:/usr/bin",
  HOME: "/root",
  SKILLLITE_SWARM_TOKEN: "s3cret",
  OPENAI_API_KEY: "sk-123",
  AWS_SECRET_ACCESS_KEY: "aws",
  GREETING: "hello",
  LD_PRELOAD: "/evil.so",
};

Deno.test("scrubbedEnv() keeps only the fixed variables and the declared ones", () => {
  const cases: Array<[string, string[], Record<string, string>]> = [
    ["nothing declared", [], {}],
    ["one declared", ["GREETING"], { GREETING: "hello" }],
    ["declared but unset", ["MISSING"], {}],
    ["declared fixed names cannot override", ["PATH", "HOME"], {}],
    ["the node's LLM key is never passed, even declared", ["OPENAI_API_KEY"], {}],
    ["the node's token is never passed, even declared", ["SKILLLITE_SWARM_TOKEN"], {}],
    ["another service's key may be passed on purpose", ["AWS_SECRET_ACCESS_KEY"], {
      AWS_SECRET_ACCESS_KEY: "aws",
    }],
  ];
  for (const [why, declared, extra] of cases) {
    const env = scrubbedEnv(
      skill("s", { permissions: { net: false, read: [], write: [], env: declared } }),
      "/tmp/task-1",
      source,
    );
    assert.deepEqual(env, {
      PATH: SKILL_PATH,
      HOME: "/tmp/task-1",
      TMPDIR: "/tmp/task-1",
      LANG: "C.UTF-8",
      ...extra,
    }, why);
  }
});

Deno.test("scrubbedEnv() never leaks the swarm token or other secrets", () => {
  const env = scrubbedEnv(
    skill("s", { permissions: { net: false, read: [], write: [], env: ["GREETING"] } }),
    "/w",
    source,
  );
  for (
    const name of ["SKILLLITE_SWARM_TOKEN", "OPENAI_API_KEY", "AWS_SECRET_ACCESS_KEY", "LD_PRELOAD"]
  ) {
    assert.ok(!(name in env), name);
  }
  assert.ok(!Object.values(env).some((v) => v.includes("s3cret") || v.includes("sk-123")));
});

Deno.test("scrubbedEnv() ignores inherited object keys", () => {
  const env = scrubbedEnv(
    skill("s", {
      permissions: { net: false, read: [], write: [], env: ["toString", "__proto__"] },
    }),
    "/w",
    {},
  );
  assert.deepEqual(Object.keys(env).sort(), ["HOME", "LANG", "PATH", "TMPDIR"]);
});
