import assert from "node:assert/strict";
import { join } from "node:path";
import { DENO_JSON, listDir, ROOT, run, sha256Hex, testEnv } from "./_run.ts";

const RELEASE_SH = join(ROOT, "scripts", "release.sh");
const INSTALL_SH = join(ROOT, "install.sh");
const DENORT_BIN = Deno.env.get("DENORT_BIN") ?? "";
const HAS_DENORT = DENORT_BIN !== "" && (() => {
  try {
    return Deno.statSync(DENORT_BIN).isFile;
  } catch {
    return false;
  }
})();
if (!HAS_DENORT) {
  console.log(
    "release_sh_test (deno compile) skipped: DENORT_BIN does not point at a denort runtime, and deno " +
      "compile cannot download one here (see DESIGN.md §1)",
  );
}

/** The release archive name release.sh gives on this machine. */
function releaseName(): string {
  const os = Deno.build.os;
  const arch = Deno.build.arch;
  return `swarm-${DENO_JSON.version}-${os}-${arch}.tar.gz`;
}

/** Packs `bin` with release.sh into `out`, installs it from file:// and checks the copy. */
async function releaseAndInstall(bin: string, dir: string): Promise<void> {
  const out = join(dir, "out");
  const packed = await run(RELEASE_SH, ["--bin", bin, "--out", out], { env: testEnv({}) });
  assert.equal(packed.code, 0, packed.stderr);
  const name = releaseName();
  assert.deepEqual(await listDir(out), [name, `${name}.sha256`]);
  const sha = await sha256Hex(await Deno.readFile(join(out, name)));
  assert.equal(await Deno.readTextFile(join(out, `${name}.sha256`)), `${sha}  ${name}\n`);
  const listing = await run("tar", ["-tzf", join(out, name)], { env: testEnv({}) });
  assert.equal(listing.stdout, "swarm\n");

  const installDir = join(dir, "bin");
  const installed = await run(INSTALL_SH, [], {
    env: testEnv({ SWARM_INSTALL_DIR: installDir, SWARM_RELEASE_URL: `file://${out}/${name}` }),
  });
  assert.equal(installed.code, 0, installed.stderr);
  assert.deepEqual(await Deno.readFile(join(installDir, "swarm")), await Deno.readFile(bin));
}

Deno.test("release.sh fails clearly when there is no compiled binary", async () => {
  const dir = await Deno.makeTempDir({ prefix: "swarm-release-sh-" });
  try {
    const result = await run(RELEASE_SH, ["--bin", join(dir, "swarm"), "--out", join(dir, "out")], {
      env: testEnv({}),
    });
    assert.notEqual(result.code, 0);
    assert.match(
      result.stderr,
      /^Error: No compiled binary at .*\/swarm: run 'scripts\/deno task compile' first .*\n$/,
    );
    assert.deepEqual(await listDir(dir), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("release.sh packs a binary that install.sh installs byte for byte", async () => {
  const dir = await Deno.makeTempDir({ prefix: "swarm-release-sh-" });
  try {
    // A stand-in for a compiled binary, which cannot be built here (no denort runtime).
    const bin = join(dir, "swarm");
    await Deno.writeTextFile(bin, `#!/bin/sh\necho 'swarm ${DENO_JSON.version}'\n`, {
      mode: 0o755,
    });
    await releaseAndInstall(bin, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "deno task compile builds a swarm binary that release.sh and install.sh ship",
  ignore: !HAS_DENORT,
  async fn() {
    const compiled = await run(Deno.execPath(), ["task", "compile"], {
      env: testEnv({ DENORT_BIN }),
    });
    assert.equal(compiled.code, 0, compiled.stderr);
    const bin = join(ROOT, "dist", "swarm");
    const version = await run(bin, ["--version"], { env: testEnv({}) });
    assert.equal(version.stdout.trim(), `swarm ${DENO_JSON.version}`);
    const dir = await Deno.makeTempDir({ prefix: "swarm-compile-" });
    try {
      await releaseAndInstall(bin, dir);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
