import assert from "node:assert/strict";
import { join } from "node:path";
import {
  DENO_JSON,
  launcherExecWords,
  pathWithoutDeno,
  ROOT,
  run,
  testEnv,
  whichAll,
} from "./_run.ts";

const PINNED = "2.9.6";
const FRESH_PATH = pathWithoutDeno();
const HAS_NPM = whichAll("npm", FRESH_PATH).length > 0;
if (!HAS_NPM) {
  console.log(
    "bootstrap_test skipped: npm is not on PATH, so install.sh cannot fetch Deno",
  );
}

Deno.test({
  name: "install.sh bootstraps the pinned deno from npm into SWARM_DENO_DIR when PATH has none",
  ignore: !HAS_NPM,
  async fn(t) {
    assert.deepEqual(whichAll("deno", FRESH_PATH), [], "the test PATH has no deno");
    const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "swarm-bootstrap-" }));
    const denoDir = join(dir, "deno");
    const env = testEnv(
      { SWARM_DENO_DIR: denoDir, SWARM_INSTALL_DIR: join(dir, "bin") },
      FRESH_PATH,
    );
    try {
      const result = await run(join(ROOT, "install.sh"), [], { env });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, new RegExp(`Installing Deno ${PINNED} from the npm registry`));
      const deno = join(denoDir, "bin", "deno");
      assert.ok((await Deno.lstat(deno)).isSymlink, "bin/deno is a stable symlink");
      assert.match((await run(deno, ["--version"], { env })).stdout, /^deno 2\.9\.6 /);
      const launcher = await Deno.readTextFile(join(dir, "bin", "swarm"));
      assert.equal(launcherExecWords(launcher)[0], deno);
      const version = await run(join(dir, "bin", "swarm"), ["--version"], { env, cwd: dir });
      assert.equal(version.stdout.trim(), `swarm ${DENO_JSON.version}`, version.stderr);

      await t.step("scripts/deno then runs it without installing again", async () => {
        const again = await run(join(ROOT, "scripts", "deno"), ["--version"], { env });
        assert.equal(again.code, 0, again.stderr);
        assert.match(again.stdout, /^deno 2\.9\.6 /);
        assert.equal(again.stderr, "");
      });

      await t.step(
        "scripts/deno warns about another deno version on PATH and uses the pinned one",
        async () => {
          const fakeBin = join(dir, "fake-bin");
          await Deno.mkdir(fakeBin);
          await Deno.writeTextFile(join(fakeBin, "deno"), "#!/bin/sh\necho 'deno 1.0.0 (fake)'\n", {
            mode: 0o755,
          });
          const wrong = await run(join(ROOT, "scripts", "deno"), ["--version"], {
            env: { ...env, PATH: `${fakeBin}:${FRESH_PATH}` },
          });
          assert.equal(wrong.code, 0, wrong.stderr);
          assert.match(wrong.stdout, /^deno 2\.9\.6 /);
          assert.match(
            wrong.stderr,
            /^Warning: deno on PATH \(.*fake-bin\/deno\) is version 1\.0\.0, not the pinned 2\.9\.6/,
          );
        },
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "install.sh and scripts/deno run the README test line in a fresh copy with no deno",
  ignore: !HAS_NPM,
  async fn() {
    const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "swarm-fresh-" }));
    try {
      const copy = join(dir, "checkout");
      await Deno.mkdir(copy);
      const skip = new Set([".git", ".deno", "node_modules", "dist"]);
      for await (const entry of Deno.readDir(ROOT)) {
        if (skip.has(entry.name)) continue;
        const cp = await run("cp", ["-a", join(ROOT, entry.name), copy], { env: testEnv({}) });
        assert.equal(cp.code, 0, cp.stderr);
      }
      // The README's line, with the test task narrowed to one small file of ours.
      const line = "./install.sh && scripts/deno task test tests/install/launcher_flags_test.ts";
      const result = await run("sh", ["-c", line], {
        env: testEnv({ SWARM_INSTALL_DIR: join(dir, "bin"), NO_COLOR: "1" }, FRESH_PATH),
        cwd: copy,
      });
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
      assert.ok((await Deno.lstat(join(copy, ".deno", "bin", "deno"))).isSymlink);
      assert.match(result.stdout, /^ok \| [1-9]\d* passed/m);
      const launcher = await Deno.readTextFile(join(dir, "bin", "swarm"));
      assert.equal(launcherExecWords(launcher)[0], join(copy, ".deno", "bin", "deno"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("install.sh says in one line that it needs deno or npm when it has neither", async () => {
  const dir = await Deno.makeTempDir({ prefix: "swarm-no-npm-" });
  try {
    // A PATH with the everyday tools install.sh uses, but no deno and no npm.
    const tools = join(dir, "tools");
    await Deno.mkdir(tools);
    for (const tool of ["dirname", "sed", "rm", "mkdir", "mktemp", "cat", "cp", "mv", "chmod"]) {
      const [found] = whichAll(tool, FRESH_PATH);
      if (found !== undefined) await Deno.symlink(join(found, tool), join(tools, tool));
    }
    const result = await run(join(ROOT, "install.sh"), [], {
      env: testEnv(
        { SWARM_DENO_DIR: join(dir, "deno"), SWARM_INSTALL_DIR: join(dir, "bin") },
        tools,
      ),
    });
    assert.notEqual(result.code, 0);
    assert.match(
      result.stderr,
      /^Error: Cannot install Deno 2\.9\.6: npm is not on PATH \(install Node\.js and npm, or put deno 2\.9\.6 on PATH\)\n$/,
    );
    assert.equal(await Deno.stat(join(dir, "bin")).catch(() => undefined), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("scripts/deno answers when the deno on PATH leads back to it (no endless self-lookup)", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "swarm-loop-" }));
  try {
    const wrapper = join(dir, "wrapper-bin");
    await Deno.mkdir(wrapper);
    await Deno.writeTextFile(
      join(wrapper, "deno"),
      `#!/bin/sh\nexec '${join(ROOT, "scripts", "deno")}' "$@"\n`,
      { mode: 0o755 },
    );
    for (
      const [what, first] of [["scripts/ itself", join(ROOT, "scripts")], ["a wrapper", wrapper]]
    ) {
      // Its own session, so a runaway chain of lookups is killed whole at the time limit.
      const child = new Deno.Command("setsid", {
        args: [join(ROOT, "scripts", "deno"), "--version"],
        env: { ...testEnv({}, FRESH_PATH), PATH: `${first}:${FRESH_PATH}` },
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const timer = setTimeout(() => Deno.kill(-child.pid, "SIGKILL"), 30_000);
      const out = await child.output();
      clearTimeout(timer);
      const text = new TextDecoder();
      assert.equal(out.code, 0, `${what}: ${text.decode(out.stderr)}`);
      assert.match(text.decode(out.stdout), /^deno 2\.9\.6 /, what);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
