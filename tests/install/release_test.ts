import assert from "node:assert/strict";
import { join } from "node:path";
import { listDir, pathWithoutDeno, ROOT, run, type RunResult, sha256Hex, testEnv } from "./_run.ts";

const INSTALL_SH = await Deno.readTextFile(join(ROOT, "install.sh"));

/** Runs install.sh the curl way: piped into `sh`, outside the checkout, with no deno. */
function curlInstall(cwd: string, env: Record<string, string>): Promise<RunResult> {
  return run("sh", [], { env: testEnv(env, pathWithoutDeno()), cwd, stdin: INSTALL_SH });
}

/** Asserts that an install failed with exactly one line on stderr matching `pattern`. */
function assertOneLineError(result: RunResult, pattern: RegExp): void {
  assert.notEqual(result.code, 0, result.stdout);
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0], pattern);
}

/** Serves the files of `dir` over HTTP on a free loopback port. */
function serveDir(dir: string): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (request) => {
    const name = new URL(request.url).pathname.slice(1);
    try {
      return new Response(await Deno.readFile(join(dir, name)));
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
}

Deno.test("install.sh installs a checked release archive and refuses a bad one", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "swarm-release-" });
  const releases = join(dir, "releases");
  await Deno.mkdir(join(dir, "stage"), { recursive: true });
  await Deno.mkdir(releases);
  // A real compiled binary cannot be built here (deno compile cannot download its denort
  // runtime), so the archive holds a small executable shell script standing in for it.
  const standIn = join(dir, "stage", "swarm");
  await Deno.writeTextFile(standIn, "#!/bin/sh\necho 'swarm 9.9.9-test'\n", { mode: 0o755 });
  const archived = await Deno.readFile(standIn);
  const tar = await run("tar", [
    "-czf",
    join(releases, "good.tar.gz"),
    "-C",
    join(dir, "stage"),
    "swarm",
  ], {
    env: testEnv({}),
  });
  assert.equal(tar.code, 0, tar.stderr);
  await Deno.copyFile(join(releases, "good.tar.gz"), join(releases, "tampered.tar.gz"));
  const sha = await sha256Hex(await Deno.readFile(join(releases, "good.tar.gz")));
  const wrongSha = sha.replace(/^./, (c) => (c === "0" ? "1" : "0"));
  await Deno.writeTextFile(join(releases, "good.tar.gz.sha256"), `${sha}  good.tar.gz\n`);
  await Deno.writeTextFile(
    join(releases, "tampered.tar.gz.sha256"),
    `${wrongSha}  tampered.tar.gz\n`,
  );
  const server = serveDir(releases);
  const base = `http://127.0.0.1:${server.addr.port}`;

  const installed = async (bin: string) => {
    const bytes = await Deno.readFile(join(bin, "swarm"));
    assert.deepEqual(bytes, archived, "installed file is byte-identical to the archived one");
    assert.equal((await Deno.stat(join(bin, "swarm"))).mode! & 0o111, 0o111);
    const version = await run(join(bin, "swarm"), ["--version"], { env: testEnv({}) });
    assert.equal(version.stdout, "swarm 9.9.9-test\n");
  };

  try {
    await t.step("over http, checked against <url>.sha256", async () => {
      const bin = join(dir, "http-bin");
      const result = await curlInstall(dir, {
        SWARM_INSTALL_DIR: bin,
        SWARM_RELEASE_URL: `${base}/good.tar.gz`,
      });
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stdout,
        new RegExp(`Installed swarm \\(release binary\\) at ${bin}/swarm`),
      );
      assert.deepEqual(await listDir(bin), ["swarm"]);
      await installed(bin);
    });

    await t.step("a wrong SWARM_RELEASE_SHA256 fails and leaves the old swarm alone", async () => {
      const bin = join(dir, "old-bin");
      await Deno.mkdir(bin);
      await Deno.writeTextFile(join(bin, "swarm"), "old\n");
      const result = await curlInstall(dir, {
        SWARM_INSTALL_DIR: bin,
        SWARM_RELEASE_URL: `${base}/good.tar.gz`,
        SWARM_RELEASE_SHA256: wrongSha,
      });
      assertOneLineError(result, /^Error: Checksum mismatch for .*good\.tar\.gz: expected /);
      assert.deepEqual(await listDir(bin), ["swarm"]);
      assert.equal(await Deno.readTextFile(join(bin, "swarm")), "old\n");
    });

    await t.step("a <url>.sha256 that does not match fails and writes nothing", async () => {
      const bin = join(dir, "tampered-bin");
      const result = await curlInstall(dir, {
        SWARM_INSTALL_DIR: bin,
        SWARM_RELEASE_URL: `${base}/tampered.tar.gz`,
      });
      assertOneLineError(result, /^Error: Checksum mismatch .*nothing was installed$/);
      assert.equal(await listDir(bin), undefined);
    });

    await t.step("a missing archive fails with one line and writes nothing", async () => {
      const bin = join(dir, "missing-bin");
      const result = await curlInstall(dir, {
        SWARM_INSTALL_DIR: bin,
        SWARM_RELEASE_URL: `${base}/absent.tar.gz`,
      });
      assertOneLineError(result, /^Error: Cannot download .*absent\.tar\.gz: .*404/);
      assert.equal(await listDir(bin), undefined);
    });

    await t.step("from a file:// URL and from a plain path", async () => {
      const fileBin = join(dir, "file-bin");
      const fromFile = await curlInstall(dir, {
        SWARM_INSTALL_DIR: fileBin,
        SWARM_RELEASE_URL: `file://${releases}/good.tar.gz`,
      });
      assert.equal(fromFile.code, 0, fromFile.stderr);
      await installed(fileBin);

      const pathBin = join(dir, "path-bin");
      const fromPath = await curlInstall(dir, {
        SWARM_INSTALL_DIR: pathBin,
        SWARM_RELEASE_URL: join(releases, "good.tar.gz"),
        SWARM_RELEASE_SHA256: sha.toUpperCase(),
      });
      assert.equal(fromPath.code, 0, fromPath.stderr);
      await installed(pathBin);
    });
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
