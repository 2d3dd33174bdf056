import assert from "node:assert/strict";
import { join } from "node:path";
import { findEscapingLinks } from "../../lib/skills/escaping_links.ts";
import { withTempDir, writeTree } from "./_helpers.ts";

Deno.test("findEscapingLinks() lists links that leave the skill directory, at any depth", async () => {
  await withTempDir(async (root) => {
    const skill = join(root, "skill");
    await writeTree(skill, {
      "SKILL.md": "---\nname: s\n---\n",
      "scripts/main.ts": "",
      "data/ok.txt": "",
      ".git/config": "",
    });
    await writeTree(root, { "outside.txt": "secret" });
    const links: Array<[link: string, target: string, escapes: boolean]> = [
      ["scripts/abs", "/etc/hostname", true],
      ["scripts/up", "../../outside.txt", true],
      ["data/inside", "ok.txt", false],
      ["data/dir-inside", "../scripts", false],
      ["data/self", ".", false],
      ["scripts/dangling-out", "/nonexistent/secret", true],
      ["scripts/dangling-in", "missing.txt", false],
      [".git/hook", "/etc/shadow", true],
      ["scripts/to-root", "/", true],
    ];
    for (const [link, target] of links) await Deno.symlink(target, join(skill, link));
    // A chain: an inside link to a link that leaves.
    await Deno.symlink("abs", join(skill, "scripts", "chain"));
    const found = await findEscapingLinks(skill);
    const expected = [...links.filter(([, , e]) => e).map(([l]) => l), "scripts/chain"].sort();
    assert.deepEqual(found.map((f) => f.link).sort(), expected);
    const up = found.find((f) => f.link === "scripts/up");
    assert.equal(up?.target, join(root, "outside.txt"));
    const dangling = found.find((f) => f.link === "scripts/dangling-out");
    assert.equal(dangling?.target, "/nonexistent/secret");
  });
});

Deno.test("findEscapingLinks() finds nothing in a skill without links", async () => {
  await withTempDir(async (dir) => {
    await writeTree(dir, { "SKILL.md": "", "scripts/main.py": "" });
    assert.deepEqual(await findEscapingLinks(dir), []);
  });
});
