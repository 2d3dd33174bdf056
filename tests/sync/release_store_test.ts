import assert from "node:assert/strict";
import { join } from "node:path";
import { computeSkillFingerprint, loadSkillCatalog } from "../../lib/skills/mod.ts";
import {
  BlobStore,
  type InstallStep,
  ReleaseStore,
  type ReleaseStoreOptions,
  type SkillRelease,
} from "../../lib/sync/mod.ts";
import { entries, withTempDir } from "../_helpers/temp_dir.ts";
import { makeRelease, refusal, sha256Hex, skillMd } from "./_release_fixture.ts";

async function open(root: string, options: ReleaseStoreOptions = {}) {
  const blobs = await BlobStore.open(root);
  const store = await ReleaseStore.open(root, options);
  return { blobs, store };
}

/** The release directory names: complete ones and any partial leftovers. */
async function releaseDirs(store: ReleaseStore): Promise<string[]> {
  return (await entries(store.releasesDir)).filter((n) => !n.endsWith(".release.json"));
}

Deno.test("ReleaseStore.install() installs a release the node's skill loader finds through the symlink", async () => {
  await withTempDir(async (root) => {
    const { blobs, store } = await open(root);
    const release = await makeRelease(blobs, { name: "calc", version: "1.0.0" });
    const dir = await store.install(release, blobs);
    assert.equal(dir, join(root, "releases", release.fingerprint));
    assert.deepEqual(
      await store.installed(),
      new Map([["calc", { fingerprint: release.fingerprint, version: "1.0.0" }]]),
    );
    assert.equal(
      await Deno.readLink(join(store.skillsDir, "calc")),
      `../releases/${release.fingerprint}`,
    );
    assert.equal((await Deno.stat(join(dir, "scripts/main.py"))).mode! & 0o777, 0o644);

    const { skills, problems } = await loadSkillCatalog([store.skillsDir]);
    assert.deepEqual(problems, []);
    assert.equal(skills.length, 1);
    assert.equal(skills[0].name, "calc");
    assert.equal(skills[0].kind, "script");
    assert.equal(skills[0].dir, dir);
    assert.equal(skills[0].fingerprint, release.fingerprint);
    assert.equal(
      await computeSkillFingerprint(await Deno.realPath(join(store.skillsDir, "calc"))),
      release.fingerprint,
    );
    assert.deepEqual(await releaseDirs(store), [release.fingerprint]);
  });
});

Deno.test("ReleaseStore.stage() refuses paths that leave the skill directory: unsafe_path", async () => {
  await withTempDir(async (root) => {
    const { blobs, store } = await open(root);
    const good = await makeRelease(blobs, { name: "calc", version: "1.0.0" });
    for (const path of ["../escape.py", "/tmp/escape.py", "scripts/../../escape.py", "a\\..\\b"]) {
      const release: SkillRelease = {
        ...good,
        files: [...good.files, { ...good.files[0], path }],
      };
      const err = await refusal(store.stage(release, blobs));
      assert.equal(err.reason, "unsafe_path", path);
    }
    assert.deepEqual(await entries(store.releasesDir), []);
    assert.deepEqual((await entries(root)).sort(), [
      "blobs",
      "history",
      "releases",
      "skills",
      "tmp",
    ]);
  });
});

Deno.test("ReleaseStore refuses a name that cannot be a file name: unsafe_path", async () => {
  await withTempDir(async (root) => {
    const { blobs, store } = await open(root);
    const good = await makeRelease(blobs, { name: "calc", version: "1.0.0" });
    for (const name of ["../calc", "a/b", ".calc", "", "x".repeat(129)]) {
      const err = await refusal(store.install({ ...good, name }, blobs));
      assert.equal(err.reason, "unsafe_path", name);
    }
    const err = await refusal(store.activate("../../etc", good.fingerprint));
    assert.equal(err.reason, "unsafe_path");
  });
});

Deno.test("ReleaseStore.stage() refuses a symlink planted as a directory in the staging area: unsafe_path", async () => {
  await withTempDir(async (root) => {
    const outside = join(root, "outside");
    await Deno.mkdir(outside);
    const onStep = async (step: InstallStep) => {
      if (step.step === "file" && step.path === "scripts/main.py") {
        await Deno.symlink(outside, join(step.dir, "scripts"));
      }
    };
    const { blobs, store } = await open(root, { onStep });
    const release = await makeRelease(blobs, { name: "calc", version: "1.0.0" });
    const err = await refusal(store.install(release, blobs));
    assert.equal(err.reason, "unsafe_path");
    assert.deepEqual(await entries(outside), []);
    assert.deepEqual(await entries(store.releasesDir), []);
    assert.deepEqual(await entries(store.skillsDir), []);
  });
});

Deno.test("ReleaseStore.stage() never writes through a symlink planted as a file: unsafe_path", async () => {
  await withTempDir(async (root) => {
    const victim = join(root, "victim.txt");
    await Deno.writeTextFile(victim, "precious");
    const onStep = async (step: InstallStep) => {
      if (step.step === "file" && step.path === "SKILL.md") {
        await Deno.symlink(victim, join(step.dir, "SKILL.md"));
      }
    };
    const { blobs, store } = await open(root, { onStep });
    const release = await makeRelease(blobs, { name: "calc", version: "1.0.0" });
    const err = await refusal(store.install(release, blobs));
    assert.equal(err.reason, "unsafe_path");
    assert.equal(await Deno.readTextFile(victim), "precious");
    assert.deepEqual(await entries(store.releasesDir), []);
  });
});

Deno.test("ReleaseStore.stage() refuses a skill larger than allowed before writing: oversize", async () => {
  await withTempDir(async (root) => {
    const steps: string[] = [];
    const { blobs, store } = await open(root, {
      maxSkillBytes: 1024,
      maxFiles: 3,
      onStep: (s) => void steps.push(s.step),
    });
    const big = await makeRelease(blobs, {
      name: "calc",
      version: "1.0.0",
      files: { "SKILL.md": skillMd("calc", "1.0.0"), "data.bin": new Uint8Array(2000) },
    });
    assert.equal((await refusal(store.install(big, blobs))).reason, "oversize");
    const many = await makeRelease(blobs, {
      name: "calc",
      version: "1.0.0",
      files: { "SKILL.md": skillMd("calc", "1.0.0"), a: "a", b: "b", c: "c" },
    });
    assert.equal((await refusal(store.install(many, blobs))).reason, "oversize");
    assert.deepEqual(steps, []);
    assert.deepEqual(await entries(store.releasesDir), []);
  });
});

Deno.test("ReleaseStore.stage() refuses a blob whose content was changed on disk: hash_mismatch", async () => {
  await withTempDir(async (root) => {
    const { blobs, store } = await open(root);
    const release = await makeRelease(blobs, { name: "calc", version: "1.0.0" });
    const main = release.files.find((f) => f.path === "scripts/main.py")!;
    const tampered = 'print(\'{"version": "6.6.6"}\')\n';
    assert.equal(tampered.length, main.size);
    await Deno.writeTextFile(blobs.path(main.sha256), tampered);
    const err = await refusal(store.install(release, blobs));
    assert.equal(err.reason, "hash_mismatch");
    assert.match(err.message, /fingerprint/);
    assert.deepEqual(await entries(store.releasesDir), []);
    assert.deepEqual(await store.installed(), new Map());
  });
});

Deno.test("ReleaseStore.stage() refuses a file whose stated size differs from its blob: hash_mismatch", async () => {
  await withTempDir(async (root) => {
    const { blobs, store } = await open(root);
    const release = await makeRelease(blobs, { name: "calc", version: "1.0.0" });
    const files = release.files.map((f) => ({ ...f, size: f.size + 1 }));
    const err = await refusal(store.install({ ...release, files }, blobs));
    assert.equal(err.reason, "hash_mismatch");
    assert.deepEqual(await entries(store.releasesDir), []);
  });
});

Deno.test("ReleaseStore.stage() refuses a release whose fingerprint is not its files': hash_mismatch", async () => {
  await withTempDir(async (root) => {
    const { blobs, store } = await open(root);
    const release = await makeRelease(blobs, { name: "calc", version: "1.0.0" });
    const other = await makeRelease(blobs, { name: "calc", version: "2.0.0" });
    const err = await refusal(
      store.install({ ...release, fingerprint: other.fingerprint }, blobs),
    );
    assert.equal(err.reason, "hash_mismatch");
    const bad = await refusal(store.install({ ...release, fingerprint: "xyz" }, blobs));
    assert.equal(bad.reason, "malformed");
    assert.deepEqual(await entries(store.releasesDir), []);
  });
});

Deno.test("ReleaseStore.stage() refuses a release whose SKILL.md names another skill: malformed", async () => {
  await withTempDir(async (root) => {
    const { blobs, store } = await open(root);
    const release = await makeRelease(blobs, {
      name: "calc",
      version: "1.0.0",
      files: { "SKILL.md": skillMd("admin", "1.0.0") },
    });
    const err = await refusal(store.install(release, blobs));
    assert.equal(err.reason, "malformed");
    assert.match(err.message, /admin/);
    assert.deepEqual(await store.installed(), new Map());
    // A release already in place, stated under another name, is refused too.
    const calc = await makeRelease(blobs, { name: "calc", version: "1.0.0" });
    await store.install(calc, blobs);
    const renamed = await refusal(store.install({ ...calc, name: "admin" }, blobs));
    assert.equal(renamed.reason, "malformed");
    assert.deepEqual([...(await store.installed()).keys()], ["calc"]);
  });
});

Deno.test("ReleaseStore.stage() refuses duplicate paths and a path that is both file and directory: malformed", async () => {
  await withTempDir(async (root) => {
    const { blobs, store } = await open(root);
    const release = await makeRelease(blobs, { name: "calc", version: "1.0.0" });
    const twice = { ...release, files: [...release.files, release.files[0]] };
    assert.equal((await refusal(store.stage(twice, blobs))).reason, "malformed");
    const clash = {
      ...release,
      files: [...release.files, { ...release.files[0], path: "SKILL.md/x" }],
    };
    assert.equal((await refusal(store.stage(clash, blobs))).reason, "malformed");
  });
});

Deno.test("ReleaseStore.stage() fails with NotFound when a blob is missing, leaving nothing", async () => {
  await withTempDir(async (root) => {
    const { blobs, store } = await open(root);
    const release = await makeRelease(blobs, { name: "calc", version: "1.0.0", storeBlobs: false });
    await assert.rejects(store.install(release, blobs), Deno.errors.NotFound);
    assert.deepEqual(await entries(store.releasesDir), []);
  });
});

Deno.test("ReleaseStore.rollback() activates the previous release, and a second rollback undoes it", async () => {
  await withTempDir(async (root) => {
    const { blobs, store } = await open(root);
    const v1 = await makeRelease(blobs, { name: "calc", version: "1.0.0" });
    const v2 = await makeRelease(blobs, { name: "calc", version: "2.0.0" });
    await store.install(v1, blobs);
    assert.equal(await store.previous("calc"), undefined);
    await assert.rejects(store.rollback("calc"), Deno.errors.NotFound);
    await store.install(v2, blobs);
    assert.deepEqual(await store.previous("calc"), {
      fingerprint: v1.fingerprint,
      version: "1.0.0",
    });

    assert.deepEqual(await store.rollback("calc"), {
      fingerprint: v1.fingerprint,
      version: "1.0.0",
    });
    assert.deepEqual(
      await store.installed(),
      new Map([["calc", { fingerprint: v1.fingerprint, version: "1.0.0" }]]),
    );
    assert.deepEqual(await store.previous("calc"), {
      fingerprint: v2.fingerprint,
      version: "2.0.0",
    });
    const { skills } = await loadSkillCatalog([store.skillsDir]);
    assert.equal(skills[0].fingerprint, v1.fingerprint);
    assert.equal(skills[0].version, "1.0.0");

    await store.rollback("calc");
    assert.equal((await store.installed()).get("calc")?.version, "2.0.0");
    assert.deepEqual(
      (await store.history("calc")).map((r) => r.version),
      ["1.0.0", "2.0.0", "1.0.0", "2.0.0"],
    );
  });
});

Deno.test("ReleaseStore garbage-collects all but the current and previous release of each name", async () => {
  await withTempDir(async (root) => {
    const { blobs, store } = await open(root);
    const v1 = await makeRelease(blobs, { name: "calc", version: "1.0.0" });
    const v2 = await makeRelease(blobs, { name: "calc", version: "2.0.0" });
    const v3 = await makeRelease(blobs, { name: "calc", version: "3.0.0" });
    const n1 = await makeRelease(blobs, { name: "notes", version: "1.0.0" });
    await store.install(v1, blobs);
    await store.install(n1, blobs);
    await store.install(v2, blobs);
    assert.deepEqual(
      await releaseDirs(store),
      [v1.fingerprint, v2.fingerprint, n1.fingerprint].sort(),
    );
    await store.install(v3, blobs);
    assert.deepEqual(
      await releaseDirs(store),
      [v2.fingerprint, v3.fingerprint, n1.fingerprint].sort(),
    );
    assert.deepEqual(
      (await entries(store.releasesDir)).filter((n) => n.endsWith(".release.json")).sort(),
      [v2, v3, n1].map((r) => `${r.fingerprint}.release.json`).sort(),
    );
    assert.deepEqual(await store.gc(), []);
    // A staged release waiting for activation is kept too.
    const v4 = await makeRelease(blobs, { name: "calc", version: "4.0.0" });
    await store.stage(v4, blobs);
    assert.deepEqual(await store.gc(), []);
    await store.activate("calc", v4.fingerprint);
    assert.deepEqual(await store.gc(), [v2.fingerprint]);
    const { skills } = await loadSkillCatalog([store.skillsDir]);
    assert.deepEqual(skills.map((s) => `${s.name}@${s.version}`), ["calc@4.0.0", "notes@1.0.0"]);
  });
});

Deno.test("ReleaseStore.open() sweeps partial directories and temporary symlinks a crash left", async () => {
  await withTempDir(async (root) => {
    const { blobs, store } = await open(root);
    const v1 = await makeRelease(blobs, { name: "calc", version: "1.0.0" });
    await store.install(v1, blobs);
    const partial = join(store.releasesDir, `${"d".repeat(64)}.partial-0123`);
    await Deno.mkdir(join(partial, "scripts"), { recursive: true });
    await Deno.writeTextFile(join(partial, "scripts", "main.py"), "half");
    await Deno.symlink(`../releases/${"d".repeat(64)}`, join(store.tmpDir, "calc.link-0123"));
    await Deno.writeTextFile(join(store.historyDir, ".calc.json.x.tmp"), "{");
    await ReleaseStore.open(root);
    assert.deepEqual(await releaseDirs(store), [v1.fingerprint]);
    assert.deepEqual(await entries(store.skillsDir), ["calc"]);
    assert.deepEqual(await entries(store.tmpDir), []);
    assert.deepEqual(await entries(store.historyDir), ["calc.json"]);
  });
});

Deno.test("ReleaseStore.install() of an installed release changes nothing and keeps history short", async () => {
  await withTempDir(async (root) => {
    const { blobs, store } = await open(root);
    const v1 = await makeRelease(blobs, { name: "calc", version: "1.0.0" });
    await store.install(v1, blobs);
    const link = await Deno.lstat(join(store.skillsDir, "calc"));
    await store.install(v1, blobs);
    assert.equal((await Deno.lstat(join(store.skillsDir, "calc"))).ino, link.ino);
    assert.equal((await store.history("calc")).length, 1);
    assert.equal(sha256Hex(new Uint8Array()).length, 64);
  });
});
