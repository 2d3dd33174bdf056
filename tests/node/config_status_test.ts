import assert from "node:assert/strict";
import Ajv from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { loadConfig } from "../../lib/config/load.ts";
import { type Config, OPTIONS } from "../../lib/config/config.ts";
import { configStatus } from "../../lib/node/config_status.ts";
import { composeNode } from "../../lib/node/compose_node.ts";
import { workerPermissions } from "../../lib/node/permissions.ts";
import type { WorkerInit } from "../../lib/node/messages.ts";

function config(args: string[], env: Record<string, string> = {}): Config {
  const loaded = loadConfig({
    args: ["--listen", "127.0.0.1:0", "--data-dir", ":memory:", ...args],
    env,
    cwd: "/srv/node",
    readTextFile: (path) => {
      if (path.endsWith("token")) return "file-secret-token\n";
      throw new Deno.errors.NotFound(path);
    },
  });
  if (loaded.help) throw new Error("unexpected help");
  return loaded.config;
}

Deno.test("configStatus() gives every integer and on/off option in effect, keyed by its flag", () => {
  const c = config(
    ["--max-hops", "2", "--drain-timeout-ms", "1500", "--accept-skills"],
    { SWARM_MAX_QUEUED_TASKS: "7" },
  );
  const status = configStatus(c);
  assert.equal(status.max_hops, 2);
  assert.equal(status.drain_timeout_ms, 1500);
  assert.equal(status.max_queued_tasks, 7);
  assert.equal(status.accept_skills, true);
  assert.equal(status.task_timeout_ms, c.taskTimeoutMs);
  const fields = c as unknown as Record<string, unknown>;
  const expected = OPTIONS.filter((o) =>
    (o.type === "integer" || o.type === "boolean") &&
    ["number", "boolean"].includes(typeof fields[o.key])
  );
  assert.ok(expected.length >= 40, "most options are numbers or switches");
  for (const option of expected) {
    assert.equal(status[option.flag.replaceAll("-", "_")], fields[option.key], option.flag);
  }
  assert.equal(Object.keys(status).length, expected.length);
});

Deno.test("configStatus() reveals no secret: numbers and booleans only", () => {
  const c = config(["--token-file", "token", "--node-token-file", "token"], {
    SKILLLITE_SWARM_TOKEN: "env-secret-token",
    SKILLLITE_API_KEY: "sk-llm-secret",
  });
  assert.equal(c.token, "file-secret-token");
  const status = configStatus(c);
  for (const [key, value] of Object.entries(status)) {
    assert.ok(["number", "boolean"].includes(typeof value), `${key} is ${typeof value}`);
  }
  const text = JSON.stringify(status);
  for (const secret of ["secret", "/srv/node", 'token"']) {
    assert.ok(!text.includes(secret), `no ${secret} in ${text}`);
  }
});

Deno.test("GET /status of a composed node has the config block and matches docs/status.schema.json", async () => {
  const c = config(["--max-hops", "3", "--exec-timeout-ms", "4500"]);
  const init: WorkerInit = {
    config: c,
    nodeId: "node-config",
    version: "0.0.0-test",
    permissions: workerPermissions(c),
    skills: [],
    capabilities: ["calc"],
    executor: "skills",
    startedAtMs: Date.now(),
    discovery: { mdns: "off", service_type: "_skilllite-swarm._udp" },
    security: {},
  };
  let url = "";
  const node = composeNode(init, {
    executor: { execute: () => Promise.reject(new Error("no task here")) },
    onListening: (address) => url = address.url,
  });
  await node.start();
  try {
    const body = await (await fetch(`${url}/status`)).json();
    assert.equal(body.config.max_hops, 3);
    assert.equal(body.config.exec_timeout_ms, 4500);
    assert.equal(body.config.task_timeout_ms, c.taskTimeoutMs);
    const schema = JSON.parse(
      await Deno.readTextFile(new URL("../../docs/status.schema.json", import.meta.url)),
    );
    // deno-lint-ignore no-explicit-any
    const ajv = new (Ajv as any)({ allErrors: true, strict: false });
    // deno-lint-ignore no-explicit-any
    (addFormats as any)(ajv);
    const validate = ajv.compile(schema);
    assert.ok(validate(body), JSON.stringify(validate.errors));
    // The schema requires the block: a body without it is refused.
    const { config: _, ...without } = body;
    assert.ok(!validate(without), "a status without config is refused by the schema");
  } finally {
    await node.stop();
  }
});
