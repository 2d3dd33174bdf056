import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateKeyPair } from "../../lib/security/mod.ts";
import { computeSkillFingerprint } from "../../lib/skills/mod.ts";
import { makeRelease, openEnvelope, signRelease } from "../../lib/sync/mod.ts";
import { withTempDir } from "../_helpers/temp_dir.ts";
import { refusal } from "./_release_fixture.ts";
import { outputWithin } from "../_helpers/with_timeout.ts";

const CALCULATOR = fileURLToPath(new URL("../fixtures/skills/calculator", import.meta.url));
const NOW = new Date("2026-12-02T10:00:00.000Z");

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Runs `fn` on a fresh copy of the calculator fixture. */
async function withCalculator(fn: (dir: string) => Promise<void>): Promise<void> {
  await withTempDir(async (tmp) => {
    const dir = join(tmp, "calculator");
    await copyTree(CALCULATOR, dir);
    await fn(dir);
  });
}

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isDirectory) await copyTree(join(from, entry.name), join(to, entry.name));
    else await Deno.copyFile(join(from, entry.name), join(to, entry.name));
  }
}

async function write(dir: string, rel: string, content: string): Promise<void> {
  await Deno.mkdir(dirname(join(dir, rel)), { recursive: true });
  await Deno.writeTextFile(join(dir, rel), content);
}

Deno.test("makeRelease() of the calculator states its files and SkillLite's fingerprint", async () => {
  await withCalculator(async (dir) => {
    const { release, paths } = await makeRelease(dir, { publisher: "kid-1", now: NOW });
    assert.equal(release.fingerprint, await computeSkillFingerprint(dir));
    assert.equal(release.fingerprint, await computeSkillFingerprint(CALCULATOR));
    const files = [];
    for (const path of ["SKILL.md", "scripts/main.py"]) {
      const bytes = await Deno.readFile(join(dir, path));
      files.push({ path, size: bytes.length, sha256: sha256(bytes) });
    }
    assert.deepEqual(release, {
      name: "calculator",
      version: "1.0.0",
      fingerprint: release.fingerprint,
      files,
      publisher: "kid-1",
      created: "2026-12-02T10:00:00.000Z",
      previous: null,
    });
    assert.deepEqual(
      [...paths],
      files.map((f) => [f.sha256, join(dir, f.path)]),
    );
  });
});

Deno.test("makeRelease() gives a release that signs and verifies", async () => {
  await withCalculator(async (dir) => {
    const pair = await generateKeyPair();
    const privateKey = await crypto.subtle.importKey("jwk", pair.privateJwk, "Ed25519", false, [
      "sign",
    ]);
    const { release } = await makeRelease(dir, { publisher: pair.kid });
    const envelope = await signRelease(release, { keyId: pair.kid, privateKey });
    const trust = [{
      name: "acme",
      keyId: pair.kid,
      key: pair.publicJwk,
      skills: ["calc*"],
      added: NOW.toISOString(),
    }];
    assert.deepEqual((await openEnvelope(envelope, trust)).release, release);
  });
});

Deno.test("makeRelease() skips what the fingerprint skips and keeps what it counts", async () => {
  await withCalculator(async (dir) => {
    await write(dir, "node_modules/left-pad/index.js", "x");
    await write(dir, "scripts/__pycache__/main.cpython-312.pyc", "x");
    await write(dir, ".git/config", "x");
    await write(dir, "dist/bundle.js", "x");
    await write(dir, "lib/.DS_Store", "x");
    await write(dir, ".skilllite-manifest.json", "{}");
    await write(dir, ".env.example", "A=1");
    await write(dir, "SKILL.sig", "sig");
    await write(dir, "build", "a file named like a skipped directory");
    await write(dir, "data/b.txt", "same");
    await write(dir, "data/a.txt", "same");
    await Deno.mkdir(join(dir, "empty"));
    // A link the fingerprint skips (a skipped directory's name) is no part of the skill.
    await Deno.symlink(join(dir, "data"), join(dir, "venv"));
    const { release, paths } = await makeRelease(dir, { publisher: "kid-1" });
    assert.deepEqual(release.files.map((f) => f.path), [
      ".env.example",
      "SKILL.md",
      "SKILL.sig",
      "build",
      "data/a.txt",
      "data/b.txt",
      "scripts/main.py",
    ]);
    assert.equal(release.fingerprint, await computeSkillFingerprint(dir));
    const same = sha256(new TextEncoder().encode("same"));
    assert.equal(paths.get(same), join(dir, "data/a.txt"), "one path per content");
    assert.equal(paths.size, release.files.length - 1);
  });
});

Deno.test("makeRelease() sorts paths in UTF-8 byte order", async () => {
  await withCalculator(async (dir) => {
    for (const name of ["é.txt", "Z.txt", "a.txt", "\u{1F600}.txt", "\uFF21.txt"]) {
      await write(dir, `data/${name}`, name);
    }
    const { release } = await makeRelease(dir, { publisher: "kid-1" });
    assert.deepEqual(release.files.filter((f) => f.path.startsWith("data/")).map((f) => f.path), [
      "data/Z.txt",
      "data/a.txt",
      "data/é.txt",
      "data/\uFF21.txt",
      "data/\u{1F600}.txt",
    ]);
    assert.equal(release.fingerprint, await computeSkillFingerprint(dir));
  });
});

/** Directories makeRelease refuses: how to spoil the copy, reason, message. */
const REFUSED: Array<[
  what: string,
  spoil: (dir: string) => Promise<void>,
  reason: string,
  message: RegExp,
]> = [
  [
    "a symlink to a file inside",
    (dir) => Deno.symlink(join(dir, "SKILL.md"), join(dir, "README.md")),
    "unsafe_path",
    /'README.md': it is a symlink/,
  ],
  [
    "a symlink to a file outside",
    (dir) => Deno.symlink("/etc/hostname", join(dir, "scripts/host")),
    "unsafe_path",
    /'scripts\/host': it is a symlink/,
  ],
  [
    "a symlink to a directory",
    (dir) => Deno.symlink(join(dir, "scripts"), join(dir, "more")),
    "unsafe_path",
    /'more': it is a symlink/,
  ],
  [
    "a dangling symlink",
    (dir) => Deno.symlink(join(dir, "nowhere"), join(dir, "gone")),
    "unsafe_path",
    /'gone': it is a symlink/,
  ],
  [
    "a symlink named like a skipped file that points to a directory",
    (dir) => Deno.symlink(join(dir, "scripts"), join(dir, ".DS_Store")),
    "unsafe_path",
    /it is a symlink/,
  ],
  [
    "a named pipe",
    async (dir) => {
      const { success } = await outputWithin("mkfifo", { args: [join(dir, "pipe")], ms: 10_000 });
      assert.ok(success, "mkfifo");
    },
    "unsafe_path",
    /'pipe': not a regular file/,
  ],
  [
    "a file name with a backslash",
    (dir) => write(dir, "scripts/a\\b.py", "x"),
    "unsafe_path",
    /'scripts\/a\\b.py'.*backslash/,
  ],
  [
    "a file name with a control character",
    (dir) => write(dir, "bell\u0007", "x"),
    "unsafe_path",
    /control character/,
  ],
  [
    "a path longer than 512 characters",
    (dir) => write(dir, `${"d".repeat(250)}/${"e".repeat(250)}/${"f".repeat(20)}`, "x"),
    "unsafe_path",
    /longer than 512/,
  ],
  [
    "no SKILL.md",
    (dir) => Deno.remove(join(dir, "SKILL.md")),
    "malformed",
    /has no SKILL.md/,
  ],
  [
    "a SKILL.md without front matter",
    (dir) => Deno.writeTextFile(join(dir, "SKILL.md"), "# Calculator\n"),
    "malformed",
    /SKILL.md/,
  ],
  [
    "a SKILL.md without a version",
    (dir) => Deno.writeTextFile(join(dir, "SKILL.md"), "---\nname: calculator\n---\n"),
    "malformed",
    /no metadata.version: pass --version/,
  ],
  [
    "a SKILL.md version that is not SemVer",
    (dir) =>
      Deno.writeTextFile(
        join(dir, "SKILL.md"),
        "---\nname: calc\nmetadata:\n  version: 1.0\n---\n",
      ),
    "malformed",
    /Version '1.0' is not SemVer 2.0.*pass --version/,
  ],
  [
    "a skill name starting with '.'",
    (dir) =>
      Deno.writeTextFile(
        join(dir, "SKILL.md"),
        "---\nname: .calc\nmetadata:\n  version: 1.0.0\n---\n",
      ),
    "malformed",
    /'name' ".calc" must not start with '.'/,
  ],
];

for (const [what, spoil, reason, message] of REFUSED) {
  Deno.test(`makeRelease() refuses ${what}: ${reason}`, async () => {
    await withCalculator(async (dir) => {
      await spoil(dir);
      const err = await refusal(makeRelease(dir, { publisher: "kid-1" }));
      assert.equal(err.reason, reason, err.message);
      assert.match(err.message, message);
    });
  });
}

Deno.test("makeRelease() takes the version and previous from its options", async () => {
  await withCalculator(async (dir) => {
    await Deno.writeTextFile(join(dir, "SKILL.md"), "---\nname: calculator\n---\n");
    const previous = "e".repeat(64);
    const { release } = await makeRelease(dir, {
      publisher: "kid-1",
      version: "2.0.0-rc.1",
      previous,
    });
    assert.equal(release.version, "2.0.0-rc.1");
    assert.equal(release.previous, previous);

    const bad = await refusal(makeRelease(dir, { publisher: "kid-1", version: "v2" }));
    assert.equal(bad.reason, "malformed");
    assert.match(bad.message, /'v2' is not SemVer 2.0.*--version/);
    const badPrevious = await refusal(
      makeRelease(dir, { publisher: "kid-1", version: "2.0.0", previous: "abc" }),
    );
    assert.equal(badPrevious.reason, "malformed");
    assert.match(badPrevious.message, /'previous'/);
  });
});

Deno.test("makeRelease() refuses more than 4096 files: oversize", async () => {
  await withCalculator(async (dir) => {
    await Deno.mkdir(join(dir, "many"));
    for (let i = 0; i < 4096; i++) {
      await Deno.writeFile(join(dir, "many", `${i}`), new Uint8Array());
    }
    const err = await refusal(makeRelease(dir, { publisher: "kid-1" }));
    assert.equal(err.reason, "oversize");
    assert.match(err.message, /more than 4096 files/);
  });
});
