import assert from "node:assert/strict";
import { join } from "node:path";
import { defaultSkillDirs } from "../../lib/skills/default_skill_dirs.ts";
import { withTempDir, writeTree } from "./_helpers.ts";

Deno.test("defaultSkillDirs() returns .skills then skills when both exist", async () => {
  await withTempDir(async (cwd) => {
    await Deno.mkdir(join(cwd, "skills"));
    await Deno.mkdir(join(cwd, ".skills"));
    assert.deepEqual(await defaultSkillDirs(cwd), [join(cwd, ".skills"), join(cwd, "skills")]);
  });
});

Deno.test("defaultSkillDirs() leaves out absent directories and plain files", async () => {
  await withTempDir(async (cwd) => {
    assert.deepEqual(await defaultSkillDirs(cwd), []);
    await writeTree(cwd, { "skills": "a file, not a directory" });
    assert.deepEqual(await defaultSkillDirs(cwd), []);
    await Deno.mkdir(join(cwd, ".skills"));
    assert.deepEqual(await defaultSkillDirs(cwd), [join(cwd, ".skills")]);
  });
});
