/**
 * The starter skills shipped in lib/skills/starter/: each loads as SkillLite reads a skill, runs
 * as its SKILL.md says with no more than the permissions it declares, and a node copies them out
 * whole.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  chooseSandbox,
  loadSkill,
  materializeStarterSkills,
  STARTER_SKILLS_SOURCE,
} from "../../lib/skills/mod.ts";
import { pythonUsable } from "../_helpers/bwrap.ts";
import { withTempDir } from "../_helpers/temp_dir.ts";

const SOURCE = fileURLToPath(STARTER_SKILLS_SOURCE);
const noPython = (await pythonUsable()) ? null : "python3 is not installed";
if (noPython) console.log(`starter_skills_test (text-tools runs) skipped: ${noPython}`);

/** Runs a starter skill's entry with exactly its declared Deno permissions (or python3). */
async function run(
  name: string,
  input: unknown,
  env: Record<string, string> = {},
): Promise<{ code: number; out: Record<string, unknown> }> {
  const skill = await loadSkill(join(SOURCE, name));
  const entry = skill.entryPoint!;
  const argv = skill.language === "deno"
    ? [
      Deno.execPath(),
      "run",
      "--no-prompt",
      "--no-config",
      ...(skill.permissions.env.length > 0 ? [`--allow-env=${skill.permissions.env}`] : []),
      entry,
    ]
    : ["python3", entry];
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    env,
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(input)));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const text = new TextDecoder().decode(stdout);
  assert.ok(text.trim() !== "", `no output; stderr: ${new TextDecoder().decode(stderr)}`);
  return { code, out: JSON.parse(text) };
}

Deno.test("the starter skills load as script skills with the capabilities they declare", async () => {
  const expected: Record<string, { language: string; capabilities: string[]; env: string[] }> = {
    calculator: { language: "deno", capabilities: ["calc"], env: [] },
    "text-tools": { language: "python", capabilities: ["text", "json"], env: [] },
    "time-tools": { language: "deno", capabilities: ["time"], env: ["TZ"] },
  };
  const names = [];
  for await (const entry of Deno.readDir(SOURCE)) names.push(entry.name);
  assert.deepEqual(names.sort(), Object.keys(expected));
  for (const [name, want] of Object.entries(expected)) {
    const skill = await loadSkill(join(SOURCE, name));
    assert.equal(skill.name, name);
    assert.equal(skill.kind, "script", name);
    assert.equal(skill.language, want.language, name);
    assert.deepEqual(skill.capabilities, want.capabilities, name);
    assert.equal(skill.capabilitySource, "declared", name);
    assert.deepEqual(skill.permissions, { net: false, read: [], write: [], env: want.env }, name);
    assert.ok(skill.version, `${name} has a version`);
  }
});

Deno.test("chooseSandbox() runs only a Deno starter skill on its Deno flags without bubblewrap", () => {
  const bare = { bwrap: false, deno: true, allowUnsandboxed: false };
  const withBwrap = { bwrap: true, deno: true, allowUnsandboxed: false };
  const cases: Array<[string, { language: "deno" | "python"; builtin?: boolean }, string, string]> =
    [
      [
        "starter Deno skill, no bubblewrap",
        { language: "deno", builtin: true },
        "bare",
        "deno-flags",
      ],
      ["starter Deno skill, bubblewrap", { language: "deno", builtin: true }, "bwrap", "deno"],
      [
        "starter Python skill, no bubblewrap",
        { language: "python", builtin: true },
        "bare",
        "unavailable",
      ],
      ["a directory's Deno skill, no bubblewrap", { language: "deno" }, "bare", "unavailable"],
      ["a directory's Deno skill, bubblewrap", { language: "deno" }, "bwrap", "deno"],
    ];
  for (const [what, skill, env, want] of cases) {
    const got = chooseSandbox({ kind: "script", ...skill }, env === "bare" ? bare : withBwrap);
    assert.equal(got, want, what);
  }
  const noDeno = { bwrap: false, deno: false, allowUnsandboxed: false };
  assert.equal(
    chooseSandbox({ kind: "script", language: "deno", builtin: true }, noDeno),
    "unavailable",
  );
});

Deno.test("calculator answers arithmetic, in a sentence too, exactly and without eval", async (t) => {
  const cases: Array<[unknown, unknown]> = [
    [{ description: "1+1等于几？" }, { result: 2, expression: "1+1" }],
    [{ expression: "2*(3+4)" }, { result: 14, expression: "2*(3+4)" }],
    [{ description: "what is 2 times (3 plus 4)?" }, { result: 14, expression: "2 * (3 + 4)" }],
    [{ expression: "0.1+0.2" }, { result: 0.3, expression: "0.1+0.2" }],
    [{ expression: "1/3" }, { result: 0.333333333333, fraction: "1/3", expression: "1/3" }],
    [{ expression: "2^10 % 7" }, { result: 2, expression: "2^10 % 7" }],
    [{ expression: "-7 % 3" }, { result: 2, expression: "-7 % 3" }],
    [{ description: "１０÷４" }, { result: 2.5, expression: "10 / 4" }],
    [{ description: "3 乘 5 加 1" }, { result: 16, expression: "3 * 5 + 1" }],
    [{ expression: "2^100" }, { result: "1267650600228229401496703205376", expression: "2^100" }],
    // Code is text like any other: only its arithmetic is read (run, it would exit 3).
    [{ expression: "Deno.exit(3)" }, { result: 3, expression: "(3)" }],
  ];
  for (const [input, want] of cases) {
    await t.step(JSON.stringify(input), async () => {
      const { code, out } = await run("calculator", input);
      assert.deepEqual(out, want);
      assert.equal(code, 0);
    });
  }
});

Deno.test("calculator refuses what is not arithmetic, and never runs it as code", async () => {
  const cases: Array<[unknown, string]> = [
    [{ expression: "1/0" }, "Division by zero"],
    [{ description: "hello" }, "No arithmetic expression found"],
    [{ expression: "(1+2" }, "Missing ')'"],
    [{ expression: "2^5000" }, "Exponent too large (at most 1000)"],
    [{}, "No arithmetic expression found"],
  ];
  for (const [input, error] of cases) {
    const { code, out } = await run("calculator", input);
    assert.deepEqual(out, { error }, JSON.stringify(input));
    assert.equal(code, 1);
  }
});

Deno.test("time-tools does date arithmetic and reads the time zone only from TZ", async () => {
  assert.deepEqual(
    (await run("time-tools", { op: "diff", from: "2026-01-01", to: "2026-12-08" })).out,
    {
      days: 341,
    },
  );
  assert.deepEqual(
    (await run("time-tools", { description: "2026-01-01 plus 30 days" })).out,
    { date: "2026-01-31" },
  );
  const bad = await run("time-tools", { op: "add", date: "2026-02-30", days: 1 });
  assert.deepEqual(bad.out, { error: "'date' is not a calendar date: 2026-02-30" });
  assert.equal(bad.code, 1);
  const now = await run("time-tools", { op: "now" }, { TZ: "Asia/Shanghai" });
  assert.equal(now.code, 0);
  assert.equal(now.out.timezone, "Asia/Shanghai");
  const utc = new Date(String(now.out.utc)).getTime();
  const local = Date.parse(`${String(now.out.local).replace(" ", "T")}Z`);
  // Shanghai is UTC+8 all year; the two readings are taken a moment apart.
  assert.ok(Math.abs(local - utc - 8 * 3_600_000) < 60_000, JSON.stringify(now.out));
});

Deno.test({
  name: "text-tools counts, changes case and validates, formats and queries JSON",
  ignore: noPython !== null,
  async fn() {
    const cases: Array<[unknown, unknown, number]> = [
      [{ text: "one two\nthree" }, { characters: 13, words: 3, lines: 2, bytes: 13 }, 0],
      [{ op: "upper", text: "héllo" }, { text: "HÉLLO" }, 0],
      [{ op: "reverse", text: "abc" }, { text: "cba" }, 0],
      [{ op: "json_minify", text: '{ "a": [1, 2] }' }, { text: '{"a":[1,2]}' }, 0],
      [{ op: "json_get", text: '{"a":{"b":[5,6]}}', path: "a.b[1]" }, { value: 6 }, 0],
      [
        { op: "json_validate", text: '{"a":' },
        { valid: false, error: "Expecting value", line: 1, column: 6 },
        0,
      ],
      [
        { description: 'format {"a":1} please' },
        { valid: true, text: '{\n  "a": 1\n}' },
        0,
      ],
      [
        { op: "json_get", text: "{}", path: "x" },
        { error: "No member 'x' at character 1 of x" },
        1,
      ],
      [{ op: "nope", text: "x" }, { error: "Unknown op 'nope'" }, 1],
    ];
    for (const [input, want, code] of cases) {
      const got = await run("text-tools", input);
      assert.deepEqual(got.out, want, JSON.stringify(input));
      assert.equal(got.code, code, JSON.stringify(input));
    }
  },
});

Deno.test("materializeStarterSkills() copies every file and drops what an older copy left", async () => {
  await withTempDir(async (dir) => {
    const target = join(dir, "starter");
    await Deno.mkdir(join(target, "old-skill"), { recursive: true });
    await Deno.writeTextFile(join(target, "old-skill", "SKILL.md"), "---\nname: old\n---\n");
    assert.equal(await materializeStarterSkills(target), target);
    const listing = async (root: string): Promise<string[]> => {
      const found: string[] = [];
      const walk = async (rel: string) => {
        for await (const e of Deno.readDir(join(root, rel))) {
          const path = rel ? `${rel}/${e.name}` : e.name;
          if (e.isDirectory) await walk(path);
          else found.push(path);
        }
      };
      await walk("");
      return found.sort();
    };
    assert.deepEqual(await listing(target), await listing(SOURCE));
    for (const file of await listing(SOURCE)) {
      assert.equal(
        await Deno.readTextFile(join(target, file)),
        await Deno.readTextFile(join(SOURCE, file)),
        file,
      );
    }
    const leftovers = [];
    for await (const e of Deno.readDir(dir)) leftovers.push(e.name);
    assert.deepEqual(leftovers, ["starter"], "no half-made copy left beside it");
  });
});
