import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { DENO_JSON, ROOT, run, testEnv } from "./_run.ts";

Deno.test("installedSwarm() installs once per process and swarmCommand() runs it", async () => {
  const helper = pathToFileURL(join(ROOT, "tests", "e2e", "_launcher.ts")).href;
  // A separate process, so the helper starts uninstalled and its exit cleanup is visible.
  const script = `
    import { installedSwarm, swarmCommand } from ${JSON.stringify(helper)};
    let early = "no error";
    try { swarmCommand(["--version"]); } catch (error) { early = error.message; }
    const first = installedSwarm();
    const second = installedSwarm();
    const path = await first;
    const { code, stdout } = await swarmCommand(["--version"], { cwd: "/" }).output();
    console.log(JSON.stringify({
      early, same: first === second && path === await second, path, code,
      version: new TextDecoder().decode(stdout).trim(),
    }));
  `;
  const result = await run(Deno.execPath(), ["eval", script], { env: testEnv({}) });
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.equal(report.early, "Cannot run swarm: await installedSwarm() before swarmCommand()");
  assert.equal(report.same, true);
  assert.match(report.path, /^\/.*\/swarm-e2e-bin-[^/]+\/swarm$/);
  assert.equal(report.code, 0);
  assert.equal(report.version, `swarm ${DENO_JSON.version}`);
  await assert.rejects(Deno.stat(report.path), Deno.errors.NotFound, "removed at exit");
});
