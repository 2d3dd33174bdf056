/**
 * kill -9 during an install leaves the previous version working: a child process
 * installs version 2 over version 1 and is killed with SIGKILL at named points; the
 * store reopened here still serves version 1, holds nothing half-done, and installs
 * version 2 again.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { computeSkillFingerprint, loadSkillCatalog } from "../../lib/skills/mod.ts";
import { BlobStore, ReleaseStore } from "../../lib/sync/mod.ts";
import { killOnExit } from "../_helpers/child_processes.ts";
import { entries, withTempDir } from "../_helpers/temp_dir.ts";
import { makeRelease, skillMd } from "./_release_fixture.ts";
import { exitWithin, withTimeout } from "../_helpers/with_timeout.ts";

const CHILD = fileURLToPath(new URL("./_install_child.ts", import.meta.url));
/** Longest wait for the child to reach its pause point or to exit. */
const WAIT_MS = 30_000;
/** Size of the large file, so a kill can land mid-write. */
const LARGE_BYTES = 8 * 1024 * 1024;

/** The first line of `stream` that starts with one of `prefixes`, or throws after `ms`. */
async function waitForLine(
  stream: ReadableStream<Uint8Array>,
  prefixes: string[],
  ms: number,
): Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  const read = async () => {
    while (true) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`Child exited before a line: ${JSON.stringify(buffered)}`);
      buffered += value;
      for (const line of buffered.split("\n")) {
        if (prefixes.some((p) => line.startsWith(p))) return line;
      }
    }
  };
  try {
    return await withTimeout(read(), {
      ms,
      waitingFor: `a ${prefixes.join("/")} line from the installing child`,
      onTimeout: () => reader.cancel(),
    });
  } finally {
    reader.releaseLock();
  }
}

/** What the crash left before the store is reopened. */
async function leftovers(root: string): Promise<string[]> {
  const names = [
    ...(await entries(join(root, "releases"))).map((n) => `releases/${n}`),
    ...(await entries(join(root, "skills"))).map((n) => `skills/${n}`),
    ...(await entries(join(root, "tmp"))).map((n) => `tmp/${n}`),
  ];
  return names.filter((n) => n.includes(".partial-") || n.includes(".link-"));
}

const POINTS: { pauseAt: string; leaves: RegExp | null; installed: "1.0.0" | "2.0.0" }[] = [
  // Staging started: an empty partial directory.
  { pauseAt: "staging", leaves: /^releases\/[0-9a-f]{64}\.partial-/, installed: "1.0.0" },
  // Mid-write of the 8 MiB file: a partial directory with a truncated file.
  { pauseAt: "writing:data.bin", leaves: /^releases\/[0-9a-f]{64}\.partial-/, installed: "1.0.0" },
  // Everything written and checked, not yet renamed into place.
  { pauseAt: "staged", leaves: /^releases\/[0-9a-f]{64}\.partial-/, installed: "1.0.0" },
  // Release in place, the new symlink made under its temporary name, not yet renamed.
  { pauseAt: "swapping", leaves: /^tmp\/calc\.link-/, installed: "1.0.0" },
  // Pointer swapped and history written: version 2 is what survives.
  { pauseAt: "activated", leaves: null, installed: "2.0.0" },
];

for (const { pauseAt, leaves, installed } of POINTS) {
  Deno.test(`ReleaseStore survives SIGKILL of an install at '${pauseAt}': ${installed} stays installed`, async () => {
    await withTempDir(async (root) => {
      const blobs = await BlobStore.open(root);
      const store = await ReleaseStore.open(root);
      const v1 = await makeRelease(blobs, { name: "calc", version: "1.0.0" });
      await store.install(v1, blobs);
      const v2 = await makeRelease(blobs, {
        name: "calc",
        version: "2.0.0",
        files: {
          "SKILL.md": skillMd("calc", "2.0.0"),
          "scripts/main.py": 'print(\'{"version": "2.0.0"}\')\n',
          "data.bin": new Uint8Array(LARGE_BYTES).fill(42),
        },
      });
      const releaseFile = join(root, "v2.json");
      await Deno.writeTextFile(releaseFile, JSON.stringify(v2));

      const child = killOnExit(
        new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", CHILD, root, releaseFile, pauseAt],
          stdin: "null",
          stdout: "piped",
          stderr: "inherit",
        }).spawn(),
      );
      try {
        const line = await waitForLine(child.stdout, ["paused", "installed"], WAIT_MS);
        assert.equal(line, `paused ${pauseAt}`);
        child.kill("SIGKILL");
        const status = await exitWithin(child, {
          ms: WAIT_MS,
          what: "the installing child",
          after: "SIGKILL",
        });
        assert.equal(status.signal, "SIGKILL");
      } finally {
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
        await exitWithin(child, { ms: WAIT_MS, what: "the installing child" }).catch(() => {});
        await child.stdout.cancel().catch(() => {});
      }

      // The crash really left something half done (or, at the last point, nothing).
      const left = await leftovers(root);
      // The node's skills directory never holds anything but the names' symlinks.
      assert.deepEqual(await entries(join(root, "skills")), ["calc"]);
      if (leaves === null) assert.deepEqual(left, []);
      else assert.ok(left.some((n) => leaves.test(n)), `left: ${left.join(", ")}`);
      if (pauseAt === "writing:data.bin") {
        const partial = left.find((n) => n.includes(".partial-"))!;
        const size = (await Deno.stat(join(root, partial, "data.bin"))).size;
        assert.ok(size > 0 && size < LARGE_BYTES, `data.bin is ${size} bytes`);
      }

      const want = installed === "1.0.0" ? v1 : v2;
      const reopened = await ReleaseStore.open(root);
      await BlobStore.open(root);
      assert.deepEqual(await leftovers(root), []);
      assert.deepEqual(
        await reopened.installed(),
        new Map([["calc", { fingerprint: want.fingerprint, version: installed }]]),
      );
      const { skills, problems } = await loadSkillCatalog([reopened.skillsDir]);
      assert.deepEqual(problems, []);
      assert.equal(skills.length, 1);
      assert.equal(skills[0].fingerprint, want.fingerprint);
      assert.equal(await computeSkillFingerprint(skills[0].dir), want.fingerprint);

      await reopened.install(v2, await BlobStore.open(root));
      const after = await loadSkillCatalog([reopened.skillsDir]);
      assert.equal(after.skills[0].fingerprint, v2.fingerprint);
      assert.equal(after.skills[0].version, "2.0.0");
      assert.deepEqual(await reopened.previous("calc"), {
        fingerprint: v1.fingerprint,
        version: "1.0.0",
      });
    });
  });
}
