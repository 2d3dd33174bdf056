import assert from "node:assert/strict";
import { join } from "node:path";
import {
  DENO_JSON,
  launcherExecWords,
  listDir,
  permissionFlags,
  ROOT,
  run,
  testEnv,
} from "./_run.ts";

const INSTALL_SH = join(ROOT, "install.sh");

Deno.test("install.sh installs a launcher that answers --version and --help", async () => {
  const dir = await Deno.makeTempDir({ prefix: "swarm-install-" });
  try {
    const bin = join(dir, "bin");
    const result = await run(INSTALL_SH, [], { env: testEnv({ SWARM_INSTALL_DIR: bin }) });
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      new RegExp(`Installed swarm \\(launcher script\\) at ${bin}/swarm`),
    );
    assert.match(result.stdout, new RegExp(`Note: ${bin} is not on PATH`));
    assert.deepEqual(await listDir(bin), ["swarm"]);

    const swarm = join(bin, "swarm");
    const version = await run(swarm, ["--version"], { env: testEnv({}), cwd: dir });
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), `swarm ${DENO_JSON.version}`);
    const help = await run(swarm, ["--help"], { env: testEnv({}), cwd: dir });
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /swarm/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("install.sh launcher runs main.ts with the compile and start tasks' flags", async () => {
  const dir = await Deno.makeTempDir({ prefix: "swarm-install-" });
  try {
    const env = testEnv({ SWARM_INSTALL_DIR: dir }, `${dir}:${testEnv({}).PATH}`);
    const result = await run(INSTALL_SH, [], { env });
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stdout, /is not on PATH/);

    const words = launcherExecWords(await Deno.readTextFile(join(dir, "swarm")));
    const [deno, subcommand, ...rest] = words;
    assert.match((await run(deno, ["--version"], { env })).stdout, /^deno 2\.9\.6 /);
    assert.equal(subcommand, "run");
    assert.deepEqual(rest.slice(-4), [
      "--config",
      join(ROOT, "deno.json"),
      join(ROOT, "main.ts"),
      '"$@"',
    ]);
    const flags = rest.slice(0, -4);
    const compileFlags = permissionFlags(DENO_JSON.tasks.compile);
    assert.ok(compileFlags.length > 0, "the compile task has permission flags");
    assert.deepEqual(flags, compileFlags);
    assert.deepEqual([...flags].sort(), permissionFlags(DENO_JSON.tasks.start).sort());

    // Installing again replaces the launcher in place and leaves nothing else behind.
    assert.equal((await run(INSTALL_SH, [], { env })).code, 0);
    assert.deepEqual(await listDir(dir), ["swarm"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("install.sh refuses unknown arguments with one line", async () => {
  const result = await run(INSTALL_SH, ["--frobnicate"], { env: testEnv({}) });
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /^Error: Unknown argument: --frobnicate .*\n$/);
});

Deno.test("install.sh piped into sh outside a checkout needs SWARM_RELEASE_URL", async () => {
  const dir = await Deno.makeTempDir({ prefix: "swarm-install-" });
  try {
    const result = await run("sh", [], {
      env: testEnv({ SWARM_INSTALL_DIR: join(dir, "bin") }),
      cwd: dir,
      stdin: await Deno.readTextFile(INSTALL_SH),
    });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /^Error: Not run from a swarm checkout .*SWARM_RELEASE_URL.*\n$/);
    assert.deepEqual(await listDir(dir), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
