import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { loadSkillCatalog } from "../../lib/skills/load_skill_catalog.ts";
import { FIXTURES, skillMd, withTempDir, writeTree } from "./_helpers.ts";

Deno.test("loadSkillCatalog() loads the fixture skills without problems", async () => {
  const { skills, problems } = await loadSkillCatalog([FIXTURES]);
  assert.deepEqual(problems, []);
  const summary = skills.map((s) => ({
    name: s.name,
    kind: s.kind,
    language: s.language,
    entry: s.entryPoint && relative(s.dir, s.entryPoint),
    capabilities: s.capabilities,
    source: s.capabilitySource,
    net: s.permissions.net,
  }));
  assert.deepEqual(summary, [
    {
      name: "bash-tool",
      kind: "bash-tool",
      language: undefined,
      entry: undefined,
      capabilities: ["download"],
      source: "declared",
      net: false,
    },
    {
      name: "calculator",
      kind: "script",
      language: "python",
      entry: "scripts/main.py",
      capabilities: ["calc"],
      source: "declared",
      net: false,
    },
    {
      name: "echo-deno",
      kind: "script",
      language: "deno",
      entry: "scripts/main.ts",
      capabilities: ["echo"],
      source: "declared",
      net: false,
    },
    {
      name: "host-probe",
      kind: "script",
      language: "python",
      entry: "scripts/main.py",
      capabilities: ["hostprobe"],
      source: "declared",
      net: false,
    },
    {
      name: "net-probe",
      kind: "script",
      language: "python",
      entry: "scripts/main.py",
      capabilities: ["netprobe"],
      source: "declared",
      net: false,
    },
    {
      name: "reference-doc",
      kind: "reference",
      language: undefined,
      entry: undefined,
      capabilities: ["web"],
      source: "inferred",
      net: false,
    },
    {
      name: "sleeper",
      kind: "script",
      language: "python",
      entry: "scripts/main.py",
      capabilities: ["sleep"],
      source: "declared",
      net: false,
    },
    {
      name: "web-fetch-deno",
      kind: "script",
      language: "deno",
      entry: "scripts/main.ts",
      capabilities: ["fetch"],
      source: "declared",
      net: ["127.0.0.1"],
    },
  ]);
  assert.equal(skills.find((s) => s.name === "calculator")?.version, "1.0.0");
});

Deno.test("loadSkillCatalog() takes the directory itself and its direct subfolders", async () => {
  await withTempDir(async (root) => {
    await writeTree(root, {
      "SKILL.md": skillMd("name: top"),
      "b/SKILL.md": skillMd("name: beta"),
      "a/SKILL.md": skillMd("name: alpha"),
      "a/nested/SKILL.md": skillMd("name: too-deep"),
      "no-skill/README.md": "x",
      "file.txt": "x",
    });
    const { skills, problems } = await loadSkillCatalog([root]);
    assert.deepEqual(skills.map((s) => s.name), ["alpha", "beta", "top"]);
    assert.deepEqual(problems, []);
  });
});

Deno.test("loadSkillCatalog() adds non-archived _evolved skills", async () => {
  await withTempDir(async (root) => {
    await writeTree(root, {
      "_evolved/fresh/SKILL.md": skillMd("name: fresh"),
      "_evolved/with-meta/SKILL.md": skillMd("name: with-meta"),
      "_evolved/with-meta/.meta.json": JSON.stringify({ name: "with-meta", archived: false }),
      "_evolved/bad-meta/SKILL.md": skillMd("name: bad-meta"),
      "_evolved/bad-meta/.meta.json": "{not json",
      "_evolved/old/SKILL.md": skillMd("name: old"),
      "_evolved/old/.meta.json": JSON.stringify({ name: "old", archived: true }),
      "_evolved/_archived/gone/SKILL.md": skillMd("name: gone"),
      "_evolved/_archived/SKILL.md": skillMd("name: archived-root"),
      "_evolved/_pending/SKILL.md": skillMd("name: pending"),
      "_evolved/SKILL.md": skillMd("name: evolved-root"),
    });
    const { skills, problems } = await loadSkillCatalog([root]);
    assert.deepEqual(skills.map((s) => s.name), ["bad-meta", "fresh", "with-meta"]);
    assert.deepEqual(problems, []);
  });
});

Deno.test("loadSkillCatalog() keeps the first of two skills with one name", async () => {
  await withTempDir(async (root) => {
    await writeTree(root, {
      "one/calc/SKILL.md": skillMd("name: calc", "description: first"),
      "two/calc/SKILL.md": skillMd("name: calc", "description: second"),
      "two/other/SKILL.md": skillMd("name: calc", "description: third"),
    });
    const { skills, problems } = await loadSkillCatalog([join(root, "one"), join(root, "two")]);
    assert.deepEqual(skills.map((s) => s.description), ["first"]);
    assert.deepEqual(problems, [
      {
        dir: join(root, "two/calc"),
        message: `Duplicate skill name 'calc': already loaded from ${join(root, "one/calc")}`,
      },
      {
        dir: join(root, "two/other"),
        message: `Duplicate skill name 'calc': already loaded from ${join(root, "one/calc")}`,
      },
    ]);
  });
});

Deno.test("loadSkillCatalog() loads a directory reached twice only once", async () => {
  await withTempDir(async (root) => {
    await writeTree(root, { "skills/calc/SKILL.md": skillMd("name: calc") });
    await Deno.symlink(join(root, "skills"), join(root, "alias"));
    const { skills, problems } = await loadSkillCatalog([
      join(root, "skills"),
      join(root, "skills/calc"),
      join(root, "alias"),
    ]);
    assert.deepEqual(skills.map((s) => s.name), ["calc"]);
    assert.deepEqual(problems, []);
  });
});

Deno.test("loadSkillCatalog() reports bad skills and directories as problems", async () => {
  await withTempDir(async (root) => {
    await writeTree(root, {
      "skills/good/SKILL.md": skillMd("name: good"),
      "skills/bad-yaml/SKILL.md": "---\nname: [oops\n---\n",
      "skills/no-name/SKILL.md": skillMd("description: nameless"),
      "a-file": "x",
    });
    const { skills, problems } = await loadSkillCatalog([
      join(root, "missing"),
      join(root, "a-file"),
      join(root, "skills"),
    ]);
    assert.deepEqual(skills.map((s) => s.name), ["good"]);
    assert.equal(problems.length, 4);
    assert.deepEqual(problems[0], {
      dir: join(root, "missing"),
      message: "Skills directory not found",
    });
    assert.deepEqual(problems[1], {
      dir: join(root, "a-file"),
      message: "Skills path is not a directory",
    });
    assert.equal(problems[2].dir, join(root, "skills/bad-yaml"));
    assert.match(problems[2].message, /^Invalid YAML in SKILL\.md front matter/);
    assert.deepEqual(problems[3], {
      dir: join(root, "skills/no-name"),
      message: "SKILL.md front matter has no 'name'",
    });
  });
});

Deno.test("loadSkillCatalog() resolves relative directories against the working directory", async () => {
  const { skills } = await loadSkillCatalog([relative(Deno.cwd(), join(FIXTURES, "calculator"))]);
  assert.deepEqual(skills.map((s) => s.name), ["calculator"]);
});

Deno.test("loadSkillCatalog() of no directories is empty", async () => {
  assert.deepEqual(await loadSkillCatalog([]), { skills: [], problems: [] });
});
