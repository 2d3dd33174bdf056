import assert from "node:assert/strict";
import { join } from "node:path";
import { loadSkill } from "../../lib/skills/load_skill.ts";
import { computeSkillFingerprint } from "../../lib/skills/fingerprint.ts";
import { skillMd, withTempDir, writeTree } from "./_helpers.ts";

Deno.test("loadSkill() loads a script skill with every derived field", async () => {
  await withTempDir(async (dir) => {
    await writeTree(dir, {
      "SKILL.md": skillMd(
        "name: fetcher",
        "description: Gets pages",
        "license: MIT",
        "compatibility: Requires Python 3, network access",
        "metadata: {version: '0.3.0'}",
        "requires_elevated_permissions: true",
        "allowed-tools: Bash(curl:*)",
      ),
      "scripts/main.py": "print('{}')\n",
    });
    const skill = await loadSkill(dir);
    assert.deepEqual(skill, {
      name: "fetcher",
      description: "Gets pages",
      version: "0.3.0",
      license: "MIT",
      compatibility: "Requires Python 3, network access",
      dir,
      kind: "script",
      entryPoint: join(dir, "scripts/main.py"),
      language: "python",
      capabilities: ["python", "web"],
      capabilitySource: "inferred",
      permissions: { net: true, read: [], write: [], env: [] },
      allowedTools: "Bash(curl:*)",
      requiresElevatedPermissions: true,
      fingerprint: await computeSkillFingerprint(dir),
    });
  });
});

const kinds: [title: string, files: Record<string, string>, kind: string, language?: string][] = [
  ["a Deno script", { "SKILL.md": skillMd("name: d"), "scripts/main.ts": "" }, "script", "deno"],
  ["a shell script", { "SKILL.md": skillMd("name: s"), "scripts/main.sh": "" }, "script", "shell"],
  [
    "a bash-tool skill",
    { "SKILL.md": skillMd("name: b", "allowed-tools: Bash(git:*)") },
    "bash-tool",
  ],
  ["a reference skill", { "SKILL.md": skillMd("name: r"), "docs/x.md": "" }, "reference"],
  ["an empty allowed-tools (as SkillLite: bash-tool)", {
    "SKILL.md": skillMd("name: e", "allowed-tools: ''"),
  }, "bash-tool"],
];

for (const [title, files, kind, language] of kinds) {
  Deno.test(`loadSkill() classifies ${title}`, async () => {
    await withTempDir(async (dir) => {
      await writeTree(dir, files);
      const skill = await loadSkill(dir);
      assert.equal(skill.kind, kind);
      assert.equal(skill.language, language);
      assert.equal(skill.entryPoint === undefined, kind !== "script");
    });
  });
}

Deno.test("loadSkill() resolves the skill directory through symlinks", async () => {
  await withTempDir(async (root) => {
    await writeTree(root, { "real/SKILL.md": skillMd("name: linked") });
    await Deno.symlink(join(root, "real"), join(root, "alias"));
    assert.equal((await loadSkill(join(root, "alias"))).dir, join(root, "real"));
  });
});

const failures: [
  title: string,
  files: Record<string, string>,
  error: typeof Error,
  message: RegExp,
][] = [
  [
    "an unsupported entry language",
    {
      "SKILL.md": skillMd("name: rb", "entry_point: run.rb"),
      "run.rb": "",
    },
    RangeError,
    /Cannot run entry point 'run\.rb'/,
  ],
  [
    "an escaping entry_point",
    {
      "SKILL.md": skillMd("name: esc", "entry_point: ../x.py"),
    },
    RangeError,
    /outside the skill directory/,
  ],
  [
    "a SKILL.md without a name",
    { "SKILL.md": skillMd("description: x") },
    SyntaxError,
    /no 'name'/,
  ],
];

for (const [title, files, error, message] of failures) {
  Deno.test(`loadSkill() refuses ${title}`, async () => {
    await withTempDir(async (dir) => {
      await writeTree(dir, files);
      await assert.rejects(() => loadSkill(dir), (err: unknown) => {
        assert.ok(err instanceof error);
        assert.match(err.message, message);
        return true;
      });
    });
  });
}

Deno.test("loadSkill() refuses a SKILL.md that is not UTF-8", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(join(dir, "SKILL.md"), new Uint8Array([0x2d, 0x2d, 0x2d, 0x0a, 0xff]));
    await assert.rejects(() => loadSkill(dir), SyntaxError, "SKILL.md is not valid UTF-8");
  });
});

Deno.test("loadSkill() refuses a skill with a symlink leading outside its directory", async () => {
  await withTempDir(async (dir) => {
    await writeTree(dir, { "SKILL.md": skillMd("name: leaky"), "scripts/main.ts": "" });
    await Deno.symlink("/etc/shadow", join(dir, "scripts", "loot.txt"));
    await assert.rejects(
      () => loadSkill(dir),
      (err) =>
        err instanceof RangeError &&
        err.message ===
          "Cannot load a skill with symlinks leading outside its directory: 'scripts/loot.txt' → '/etc/shadow'",
    );
  });
});

Deno.test("loadSkill() refuses a skill declaring the node's secrets", async () => {
  await withTempDir(async (dir) => {
    const node = join(dir, "node");
    await Deno.mkdir(node);
    await Deno.writeTextFile(join(node, "keyring.json"), "{}");
    const skillDir = join(dir, "skill");
    // A symlinked path does not hide the keyring; it lives outside the skill, so the
    // declared path, not a link in the skill, points at it.
    await Deno.symlink(node, join(dir, "alias"));
    const cases: Array<[string, string, RegExp]> = [
      ["env", "permissions: {env: [SKILLLITE_SWARM_TOKEN]}", /'SKILLLITE_SWARM_TOKEN'/],
      ["a path", `permissions: {read: [${join(node, "keyring.json")}]}`, /the node's keyring/],
      ["a parent", `permissions: {write: [${dir}]}`, /the node's keyring/],
      ["through a symlink", `permissions: {read: [${join(dir, "alias")}]}`, /the node's keyring/],
    ];
    for (const [why, line, expected] of cases) {
      await writeTree(skillDir, {
        "SKILL.md": skillMd("name: greedy", line),
        "scripts/main.sh": "",
      });
      await assert.rejects(
        () =>
          loadSkill(skillDir, {
            protectedPaths: [{ path: join(node, "keyring.json"), what: "the node's keyring" }],
          }),
        (err) =>
          err instanceof RangeError && /^Cannot give a skill/.test(err.message) &&
          expected.test(err.message),
        why,
      );
    }
  });
});
