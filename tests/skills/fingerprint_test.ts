import assert from "node:assert/strict";
import { join } from "node:path";
import { computeSkillFingerprint } from "../../lib/skills/fingerprint.ts";
import { FIXTURES, withTempDir, writeTree } from "./_helpers.ts";

const encoder = new TextEncoder();

/** SHA-256 (Web Crypto, not the node:crypto the code uses) of path\0content\0 for each entry. */
async function expectedHash(entries: [path: string, content: Uint8Array | string][]) {
  const parts: Uint8Array[] = [];
  for (const [path, content] of entries) {
    parts.push(encoder.encode(path), new Uint8Array([0]));
    parts.push(typeof content === "string" ? encoder.encode(content) : content);
    parts.push(new Uint8Array([0]));
  }
  const buffer = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    buffer.set(p, offset);
    offset += p.length;
  }
  const digest = await crypto.subtle.digest("SHA-256", buffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

const BINARY = new Uint8Array([0x00, 0xff, 0x10, 0x00]);

async function buildTree(dir: string): Promise<void> {
  await writeTree(dir, {
    "SKILL.md": "---\nname: fp\n---\n",
    "SKILL.sig": "abc\n",
    ".env": "SECRET=1\n",
    ".DS_Store": "skipped",
    ".git/HEAD": "skipped",
    "node_modules/x.js": "skipped",
    "deep/__pycache__/a.pyc": "skipped",
    "deep/keep.txt": "keep",
    "dist/a": "skipped",
    "build/a": "skipped",
    "venv/a": "skipped",
    ".venv/a": "skipped",
    "scripts/main.py": "print(1)\n",
    "scripts/lib/util.py": "u = 1\n",
    "scripts-notes.txt": "notes",
    "sub/.skilllite-manifest.json": "skipped",
    "z.txt": "z",
    "\uFF01.txt": "bang",
    "\u{1F600}.txt": "smile",
  });
  await Deno.writeFile(join(dir, "sub/data.bin"), BINARY);
  await Deno.symlink("scripts/main.py", join(dir, "link.py"));
  await Deno.symlink("scripts/lib", join(dir, "linkdir"));
  await Deno.symlink("missing-target", join(dir, "broken"));
  await Deno.symlink(".", join(dir, "loop"));
}

Deno.test("computeSkillFingerprint() matches SkillLite's byte stream", async () => {
  await withTempDir(async (dir) => {
    await buildTree(dir);
    // Sorted by UTF-8 bytes over the whole relative path: '-' < '/', U+FF01 < U+1F600.
    const expected = await expectedHash([
      [".env", "SECRET=1\n"],
      ["SKILL.md", "---\nname: fp\n---\n"],
      ["SKILL.sig", "abc\n"],
      ["deep/keep.txt", "keep"],
      ["link.py", "print(1)\n"],
      ["linkdir/util.py", "u = 1\n"],
      ["scripts-notes.txt", "notes"],
      ["scripts/lib/util.py", "u = 1\n"],
      ["scripts/main.py", "print(1)\n"],
      ["sub/data.bin", BINARY],
      ["z.txt", "z"],
      ["\uFF01.txt", "bang"],
      ["\u{1F600}.txt", "smile"],
    ]);
    assert.equal(await computeSkillFingerprint(dir), expected);
  });
});

Deno.test("computeSkillFingerprint() sorts by bytes, not by UTF-16 code units", () => {
  // Guard on the test above: the two orders differ for these names.
  assert.deepEqual(["\uFF01.txt", "\u{1F600}.txt"].sort(), ["\u{1F600}.txt", "\uFF01.txt"]);
});

Deno.test("computeSkillFingerprint() changes with content but not with skipped files", async () => {
  await withTempDir(async (dir) => {
    await buildTree(dir);
    const before = await computeSkillFingerprint(dir);
    await Deno.writeTextFile(join(dir, "node_modules/x.js"), "changed");
    await Deno.writeTextFile(join(dir, ".DS_Store"), "changed");
    await Deno.writeTextFile(join(dir, "deep/__pycache__/b.pyc"), "new");
    assert.equal(await computeSkillFingerprint(dir), before);
    await Deno.writeTextFile(join(dir, "scripts/lib/util.py"), "u = 2\n");
    assert.notEqual(await computeSkillFingerprint(dir), before);
  });
});

Deno.test("computeSkillFingerprint() hashes the calculator fixture's two files", async () => {
  const dir = join(FIXTURES, "calculator");
  const expected = await expectedHash([
    ["SKILL.md", await Deno.readFile(join(dir, "SKILL.md"))],
    ["scripts/main.py", await Deno.readFile(join(dir, "scripts/main.py"))],
  ]);
  assert.equal(await computeSkillFingerprint(dir), expected);
});

Deno.test("computeSkillFingerprint() of a directory without files is the empty hash", async () => {
  await withTempDir(async (dir) => {
    assert.equal(
      await computeSkillFingerprint(dir),
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });
});
