/** Tests of `swarm skills` (lib/cli/skills.ts). */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  formatSkillsReport,
  parseSkillsArgs,
  runSkills,
  SKILLS_HELP,
  type SkillsArgs,
  skillsReport,
} from "../../lib/cli/skills.ts";
import { UsageError } from "../../lib/cli/_usage.ts";
import { loadSkillCatalog } from "../../lib/skills/load_skill_catalog.ts";
import { FIXTURES } from "./_helpers.ts";

const base: SkillsArgs = { skillsDirs: [], json: false, allowUnsandboxed: false, help: false };

const good: [argv: string[], expected: SkillsArgs][] = [
  [[], base],
  [["--json"], { ...base, json: true }],
  [["--allow-unsandboxed"], { ...base, allowUnsandboxed: true }],
  [["-h"], { ...base, help: true }],
  [["--help"], { ...base, help: true }],
  [["--skills-dir", "a"], { ...base, skillsDirs: ["a"] }],
  [["--skills-dir=a", "--skills-dir", "b", "--json"], {
    ...base,
    skillsDirs: ["a", "b"],
    json: true,
  }],
];

for (const [argv, expected] of good) {
  Deno.test(`parseSkillsArgs() parses ${JSON.stringify(argv)}`, () => {
    assert.deepEqual(parseSkillsArgs(argv), expected);
  });
}

const bad: [argv: string[], message: RegExp][] = [
  [["--nope"], /Unknown option '--nope'/],
  [["extra"], /Unexpected argument 'extra'/],
  [["--skills-dir"], /--skills-dir/],
  [["--skills-dir="], /needs a directory/],
  [["--json=yes"], /--json/],
];

for (const [argv, message] of bad) {
  Deno.test(`parseSkillsArgs() refuses ${JSON.stringify(argv)} with a UsageError`, () => {
    assert.throws(() => parseSkillsArgs(argv), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.match(err.message, message);
      return true;
    });
  });
}

Deno.test("SKILLS_HELP documents every option", () => {
  for (const option of ["--skills-dir", "--json", "--allow-unsandboxed", "--help"]) {
    assert.ok(SKILLS_HELP.includes(option), option);
  }
});

Deno.test("skillsReport() builds the stable JSON object from the fixtures", async () => {
  const catalog = await loadSkillCatalog([FIXTURES, join(FIXTURES, "missing")]);
  const report = skillsReport(catalog, { bwrap: "/usr/bin/bwrap", deno: "/bin/deno" }, false);
  assert.deepEqual(Object.keys(report), ["skills", "capabilities", "starter", "problems"]);
  assert.equal(report.starter, false);
  assert.deepEqual(report.capabilities, [
    "calc",
    "download",
    "echo",
    "fetch",
    "hostprobe",
    "netprobe",
    "sleep",
    "web",
  ]);
  assert.deepEqual(report.problems, [
    { dir: join(FIXTURES, "missing"), message: "Skills directory not found" },
  ]);
  const calc = report.skills.find((s) => s.name === "calculator")!;
  assert.deepEqual(Object.keys(calc), [
    "name",
    "version",
    "description",
    "dir",
    "kind",
    "entry_point",
    "language",
    "capabilities",
    "capability_source",
    "permissions",
    "sandbox",
    "cannot_run",
    "fingerprint",
  ]);
  assert.equal(calc.cannot_run, null);
  assert.equal(calc.version, "1.0.0");
  assert.equal(calc.dir, await Deno.realPath(join(FIXTURES, "calculator")));
  assert.equal(calc.entry_point, "scripts/main.py");
  assert.equal(calc.language, "python");
  assert.deepEqual(calc.capabilities, ["calc"]);
  assert.equal(calc.capability_source, "declared");
  assert.deepEqual(calc.permissions, { net: false, read: [], write: [], env: [] });
  assert.equal(calc.sandbox, "bwrap");
  assert.match(calc.fingerprint, /^[0-9a-f]{64}$/);
  const doc = report.skills.find((s) => s.name === "reference-doc")!;
  assert.equal(doc.version, null);
  assert.equal(doc.entry_point, null);
  assert.equal(doc.language, null);
  assert.equal(doc.capability_source, "inferred");
  assert.equal(doc.sandbox, "unavailable");
  // The report is plain JSON: it survives a round trip unchanged.
  assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
});

const sandboxCases: [
  title: string,
  found: { bwrap: string | null; deno: string | null },
  allow: boolean,
  expected: Record<string, string>,
][] = [
  ["both sandboxes", { bwrap: "/b", deno: "/d" }, false, {
    calculator: "bwrap",
    "echo-deno": "deno",
  }],
  ["no bwrap (Deno skills do not run unsandboxed silently)", { bwrap: null, deno: "/d" }, false, {
    calculator: "unavailable",
    "echo-deno": "unavailable",
  }],
  ["no bwrap, unsandboxed allowed", { bwrap: null, deno: "/d" }, true, {
    calculator: "none",
    "echo-deno": "none",
  }],
  ["no Deno", { bwrap: "/b", deno: null }, true, {
    calculator: "bwrap",
    "echo-deno": "unavailable",
  }],
];

for (const [title, found, allow, expected] of sandboxCases) {
  Deno.test(`skillsReport() shows the sandbox with ${title}`, async () => {
    const catalog = await loadSkillCatalog([
      join(FIXTURES, "calculator"),
      join(FIXTURES, "echo-deno"),
    ]);
    const report = skillsReport(catalog, found, allow);
    assert.deepEqual(Object.fromEntries(report.skills.map((s) => [s.name, s.sandbox])), expected);
  });
}

Deno.test("formatSkillsReport() lists skills, node capabilities and problems", async () => {
  const catalog = await loadSkillCatalog([join(FIXTURES, "web-fetch-deno"), "/nonexistent-dir"]);
  const report = skillsReport(catalog, { bwrap: "/b", deno: "/d" }, false);
  const text = formatSkillsReport(report);
  const lines = text.split("\n");
  assert.equal(lines[0], "web-fetch-deno 1.0.0 (script)");
  assert.ok(lines.includes("  capabilities: fetch (declared)"));
  assert.ok(lines.includes("  entry point:  scripts/main.ts (deno)"));
  assert.ok(lines.includes("  sandbox:      deno"));
  assert.ok(lines.includes("  net:          127.0.0.1"));
  assert.ok(lines.includes("  read:         none"));
  assert.ok(lines.includes("  write:        none"));
  assert.ok(lines.includes("  env:          none"));
  assert.ok(lines.includes(`  fingerprint:  ${report.skills[0].fingerprint}`));
  assert.ok(lines.includes("Node capabilities: fetch"));
  assert.ok(lines.includes("Problems:"));
  assert.ok(lines.includes("  /nonexistent-dir: Skills directory not found"));
});

/** Runs `runSkills` with console.log and console.error collected instead of printed. */
async function captured(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...args: unknown[]) => out.push(args.join(" "));
  console.error = (...args: unknown[]) => err.push(args.join(" "));
  try {
    const code = await runSkills(argv);
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

Deno.test("runSkills() prints the JSON report and exits 0 when all skills load", async () => {
  // --allow-unsandboxed: every fixture can run even where bubblewrap is missing (nothing runs).
  const { code, out } = await captured(["--skills-dir", FIXTURES, "--json", "--allow-unsandboxed"]);
  assert.equal(code, 0);
  const report = JSON.parse(out);
  assert.equal(report.skills.length, 8);
  assert.deepEqual(report.problems, []);
});

Deno.test("skillsReport() flags a script skill that cannot run here and leaves out its tags", async () => {
  const catalog = await loadSkillCatalog([
    join(FIXTURES, "calculator"),
    join(FIXTURES, "echo-deno"),
  ]);
  const report = skillsReport(catalog, { bwrap: null, deno: "/d" }, false);
  const calc = report.skills.find((s) => s.name === "calculator")!;
  assert.match(calc.cannot_run ?? "", /^bubblewrap is not installed or does not work here/);
  assert.deepEqual(report.capabilities, []);
  const text = formatSkillsReport(report);
  assert.ok(
    text.split("\n").includes(`  cannot run:   ${calc.cannot_run} (not advertised)`),
    text,
  );
  const able = skillsReport(catalog, { bwrap: "/b", deno: "/d" }, false);
  assert.deepEqual(able.capabilities, ["calc", "echo"]);
  assert.ok(able.skills.every((s) => s.cannot_run === null));
});

Deno.test("runSkills() lists the starter skills where no skills directory is found", async () => {
  const cwd = Deno.cwd();
  const empty = await Deno.makeTempDir();
  Deno.chdir(empty);
  try {
    const { code, out } = await captured(["--json", "--allow-unsandboxed"]);
    const report = JSON.parse(out);
    assert.equal(report.starter, true);
    assert.deepEqual(report.skills.map((s: { name: string }) => s.name), [
      "calculator",
      "text-tools",
      "time-tools",
    ]);
    assert.equal(code, 0);
    const text = await captured([]);
    assert.match(text.out, /^Starter skills \(no skills directory given or found/);
  } finally {
    Deno.chdir(cwd);
    await Deno.remove(empty, { recursive: true });
  }
});

Deno.test("runSkills() exits 1 when a script skill cannot run here", async () => {
  // An empty PATH: no bubblewrap to find, so the fixture's Python skill cannot run.
  const path = Deno.env.get("PATH") ?? "";
  Deno.env.set("PATH", "");
  try {
    const { code, out } = await captured(["--skills-dir", join(FIXTURES, "calculator")]);
    assert.match(out, /cannot run: {3}bubblewrap is not installed/);
    assert.equal(code, 1);
    const allowed = await captured([
      "--skills-dir",
      join(FIXTURES, "calculator"),
      "--allow-unsandboxed",
    ]);
    assert.equal(allowed.code, 0, allowed.out);
  } finally {
    Deno.env.set("PATH", path);
  }
});

Deno.test("runSkills() exits 1 when a problem is found", async () => {
  const { code, out } = await captured(["--skills-dir", "/nonexistent-dir"]);
  assert.equal(code, 1);
  assert.match(out, /\/nonexistent-dir: Skills directory not found/);
});

Deno.test("runSkills() prints help and exits 0", async () => {
  const { code, out } = await captured(["--help"]);
  assert.equal(code, 0);
  assert.equal(out, SKILLS_HELP);
});

Deno.test("runSkills() reports a usage mistake and exits 2", async () => {
  const { code, out, err } = await captured(["--bogus"]);
  assert.equal(code, 2);
  assert.equal(out, "");
  assert.match(
    err,
    /^swarm skills: invalid_argument: Unknown option '--bogus'.*\(see 'swarm skills --help'\)$/,
  );
});

Deno.test("formatSkillsReport() prints every declared permission", () => {
  const text = formatSkillsReport({
    skills: [{
      name: "reader",
      version: null,
      description: "",
      dir: "/skills/reader",
      kind: "script",
      entry_point: "scripts/main.py",
      language: "python",
      capabilities: ["read"],
      capability_source: "declared",
      permissions: { net: false, read: ["/data/in", "models"], write: ["/data/out"], env: ["TZ"] },
      sandbox: "bwrap",
      cannot_run: null,
      fingerprint: "0".repeat(64),
    }],
    capabilities: ["read"],
    starter: false,
    problems: [],
  });
  const lines = text.split("\n");
  for (
    const line of [
      "  net:          none",
      "  read:         /data/in, models",
      "  write:        /data/out",
      "  env:          TZ",
    ]
  ) {
    assert.ok(lines.includes(line), `${line} in:\n${text}`);
  }
});
