import assert from "node:assert/strict";
import { join } from "node:path";
import { entryLanguage, findEntryPoint } from "../../lib/skills/entry_point.ts";
import { withTempDir, writeTree } from "./_helpers.ts";

const languages: [path: string, language: string | undefined][] = [
  ["scripts/main.py", "python"],
  ["scripts/main.ts", "deno"],
  ["scripts/main.js", "deno"],
  ["scripts/main.mjs", "deno"],
  ["scripts/MAIN.PY", "python"],
  ["scripts/main.sh", "shell"],
  ["scripts/main.rb", undefined],
  ["scripts/main", undefined],
];

for (const [path, language] of languages) {
  Deno.test(`entryLanguage() maps ${path} to ${language}`, () => {
    assert.equal(entryLanguage(path), language);
  });
}

/** Files present (content irrelevant), declared entry_point, expected entry. */
const cases: [title: string, files: string[], declared: string | undefined, expected?: string][] = [
  [
    "uses an existing entry_point",
    ["scripts/main.py", "tools/run.sh"],
    "tools/run.sh",
    "tools/run.sh",
  ],
  ["normalises entry_point", ["tools/run.sh"], "./tools/../tools/run.sh", "tools/run.sh"],
  [
    "falls back when entry_point is missing",
    ["scripts/main.js"],
    "scripts/nope.py",
    "scripts/main.js",
  ],
  [
    "prefers main.py over main.js",
    ["scripts/main.js", "scripts/main.py"],
    undefined,
    "scripts/main.py",
  ],
  [
    "prefers main.js over main.ts",
    ["scripts/main.ts", "scripts/main.js"],
    undefined,
    "scripts/main.js",
  ],
  [
    "prefers main.ts over main.sh",
    ["scripts/main.sh", "scripts/main.ts"],
    undefined,
    "scripts/main.ts",
  ],
  [
    "prefers main.* over index.*",
    ["scripts/index.py", "scripts/main.sh"],
    undefined,
    "scripts/main.sh",
  ],
  [
    "orders index.* .py .js .ts .sh",
    ["scripts/index.sh", "scripts/index.ts", "scripts/index.js"],
    undefined,
    "scripts/index.js",
  ],
  ["takes a single script", ["scripts/run.ts", "scripts/README.md"], undefined, "scripts/run.ts"],
  [
    "ignores tests, __init__ and dotfiles when counting",
    [
      "scripts/run.py",
      "scripts/test_run.py",
      "scripts/run_test.py",
      "scripts/__init__.py",
      "scripts/.hidden.sh",
    ],
    undefined,
    "scripts/run.py",
  ],
  ["finds nothing with two scripts", ["scripts/a.py", "scripts/b.py"], undefined, undefined],
  ["finds nothing without scripts/", ["SKILL.md", "main.py"], undefined, undefined],
  ["does not take a lone .mjs or .rb", ["scripts/run.mjs"], undefined, undefined],
  ["takes a declared .mjs", ["scripts/run.mjs"], "scripts/run.mjs", "scripts/run.mjs"],
  [
    "does not take a directory named main.py",
    ["scripts/main.py/x", "scripts/main.sh"],
    undefined,
    "scripts/main.sh",
  ],
];

for (const [title, files, declared, expected] of cases) {
  Deno.test(`findEntryPoint() ${title}`, async () => {
    await withTempDir(async (dir) => {
      await writeTree(dir, Object.fromEntries(files.map((f) => [f, "x\n"])));
      assert.equal(await findEntryPoint(dir, declared), expected);
    });
  });
}

for (const declared of ["../outside.py", "scripts/../../outside.py", "/etc/passwd", ".."]) {
  Deno.test(`findEntryPoint() refuses entry_point '${declared}'`, async () => {
    await withTempDir(async (root) => {
      const dir = join(root, "skill");
      await writeTree(root, { "outside.py": "x", "skill/scripts/main.py": "x" });
      await assert.rejects(
        () => findEntryPoint(dir, declared),
        (err: unknown) =>
          err instanceof RangeError && /outside the skill directory/.test(err.message),
      );
    });
  });
}

Deno.test("findEntryPoint() refuses an entry that is a symlink out of the skill", async () => {
  await withTempDir(async (root) => {
    await writeTree(root, { "outside.py": "x", "skill/SKILL.md": "x" });
    await Deno.mkdir(join(root, "skill/scripts"));
    await Deno.symlink(join(root, "outside.py"), join(root, "skill/scripts/main.py"));
    await assert.rejects(
      () => findEntryPoint(join(root, "skill")),
      (err: unknown) => err instanceof RangeError && /resolves to/.test(err.message),
    );
  });
});

Deno.test("findEntryPoint() accepts a symlink that stays inside the skill", async () => {
  await withTempDir(async (dir) => {
    await writeTree(dir, { "lib/real.py": "x" });
    await Deno.mkdir(join(dir, "scripts"));
    await Deno.symlink("../lib/real.py", join(dir, "scripts/main.py"));
    assert.equal(await findEntryPoint(dir), "scripts/main.py");
  });
});
