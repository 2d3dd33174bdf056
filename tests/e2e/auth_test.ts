/**
 * Bearer authentication and the loopback-only default, on real node processes.
 */
import { strict as assert } from "node:assert";
import {
  FIXTURE_SKILLS,
  nodeTask,
  postTask,
  runSwarm,
  startNode,
  stopAll,
  type TestNode,
} from "./_node.ts";
import { fetchWithin } from "../_helpers/with_timeout.ts";
import { skillsUnavailable } from "../_helpers/bwrap.ts";

// Their nodes hold the echo-deno skill (Deno, sandboxed in bubblewrap): without a sandbox it is
// not advertised, so those tests would route nothing.
const noSkills = await skillsUnavailable();
if (noSkills) {
  console.log(`auth_test (tests whose nodes hold a fixture skill) skipped: ${noSkills}`);
}

const TOKEN = "e2e-secret-token";

Deno.test("auth: every route answers 401 without the token, and works with it, across a hop", {
  ignore: noSkills !== null,
}, async () => {
  const nodes: TestNode[] = [];
  try {
    const b = await startNode({
      args: ["--skills-dir", `${FIXTURE_SKILLS}echo-deno`],
      env: { SKILLLITE_SWARM_TOKEN: `  ${TOKEN}\n` },
    });
    nodes.push(b);
    const a = await startNode({
      args: ["--peer", `127.0.0.1:${b.port}`],
      env: { SKILLLITE_SWARM_TOKEN: TOKEN },
    });
    nodes.push(a);

    // Health and readiness are public (probes carry no credential): 200 without a token.
    for (const path of ["/healthz", "/readyz"]) {
      const open = await fetchWithin(`${b.url}${path}`);
      assert.equal(open.status, 200, path);
      await open.body?.cancel();
    }
    for (const path of ["/status", "/can-do?required=echo"]) {
      const res = await fetchWithin(`${b.url}${path}`);
      assert.equal(res.status, 401, path);
      assert.deepEqual(Object.keys(await res.json()).sort(), ["error", "message"]);
      const wrong = await fetchWithin(`${b.url}${path}`, {
        headers: { authorization: "Bearer nope" },
      });
      assert.equal(wrong.status, 401, path);
      await wrong.body?.cancel();
      const ok = await fetchWithin(`${b.url}${path}`, {
        headers: { authorization: `bearer ${TOKEN}` },
      });
      assert.equal(ok.status, 200, path);
      await ok.body?.cancel();
    }
    // Authentication comes before the body is read: malformed JSON without a token is 401.
    const early = await fetchWithin(`${b.url}/task`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    assert.equal(early.status, 401);
    assert.equal((await early.json()).error, "unauthorized");

    const task = nodeTask("hi", { required: ["echo"], input: { x: 1 } });
    const noToken = await postTask(a.url, task);
    assert.equal(noToken.status, 401);
    // A forwards with its token: B accepts.
    const res = await postTask(a.url, task, { token: TOKEN });
    assert.equal(res.status, 200, res.text);
    assert.equal((res.body as Record<string, unknown>).task_completed, true);
  } finally {
    await stopAll(nodes);
  }
});

Deno.test("loopback default: binding 0.0.0.0 without --allow-net is refused", async () => {
  const dataDir = await Deno.makeTempDir();
  const r = await runSwarm(["--listen", "0.0.0.0:7799", "--data-dir", dataDir]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--allow-net/);
  assert.equal(r.stderr.trim().split("\n").length, 1, "the error is one line");
});

Deno.test("loopback default: a LAN bind without a token is refused unless --insecure-no-auth", async () => {
  const dataDir = await Deno.makeTempDir();
  const r = await runSwarm(["--listen", "0.0.0.0:7799", "--allow-net", "--data-dir", dataDir]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /SKILLLITE_SWARM_TOKEN|--token-file/);
  assert.match(r.stderr, /--insecure-no-auth/);
});

Deno.test("cli: --version and --help answer through the launcher", async () => {
  const denoJson = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  const version = await runSwarm(["--version"]);
  assert.equal(version.code, 0);
  assert.equal(version.stdout.trim(), `swarm ${denoJson.version}`);
  const help = await runSwarm(["serve", "--help"]);
  assert.equal(help.code, 0);
  for (
    const flag of [
      "--listen",
      "--allow-net",
      "--peer",
      "--skills-dir",
      "--executor-cmd",
      "--token-file",
      "--insecure-no-auth",
      "--allow-unsandboxed",
      "--data-dir",
    ]
  ) {
    assert.ok(help.stdout.includes(flag), `help mentions ${flag}`);
  }
});
