import assert from "node:assert/strict";
import { basename, join } from "node:path";
import {
  chooseSandbox,
  detectSandboxes,
  type SandboxEnv,
} from "../../lib/skills/sandbox_choice.ts";
import type { SandboxKind, Skill } from "../../lib/skills/types.ts";
import { withTempDir } from "./_helpers.ts";

type S = Pick<Skill, "kind" | "language">;
const py: S = { kind: "script", language: "python" };
const sh: S = { kind: "script", language: "shell" };
const ts: S = { kind: "script", language: "deno" };
const ref: S = { kind: "reference" };
const tool: S = { kind: "bash-tool" };
const env = (bwrap: boolean, deno: boolean, allowUnsandboxed: boolean): SandboxEnv => ({
  bwrap,
  deno,
  allowUnsandboxed,
});

const cases: [title: string, skill: S, env: SandboxEnv, expected: SandboxKind][] = [
  ["a reference skill never runs", ref, env(true, true, true), "unavailable"],
  ["a bash-tool skill never runs", tool, env(true, true, true), "unavailable"],
  ["a Deno skill runs under Deno inside bwrap", ts, env(true, true, false), "deno"],
  [
    "a Deno skill without bwrap does not run unsandboxed silently",
    ts,
    env(false, true, false),
    "unavailable",
  ],
  [
    "a Deno skill without bwrap runs under its Deno flags only when allowed",
    ts,
    env(false, true, true),
    "none",
  ],
  [
    "a Deno skill without Deno cannot run, even unsandboxed",
    ts,
    env(true, false, true),
    "unavailable",
  ],
  ["a Python skill runs in bwrap", py, env(true, true, false), "bwrap"],
  [
    "a shell skill prefers bwrap even when unsandboxed is allowed",
    sh,
    env(true, false, true),
    "bwrap",
  ],
  [
    "a Python skill without bwrap runs unsandboxed only when allowed",
    py,
    env(false, true, true),
    "none",
  ],
  [
    "a Python skill without bwrap or permission cannot run",
    py,
    env(false, true, false),
    "unavailable",
  ],
];

for (const [title, skill, e, expected] of cases) {
  Deno.test(`chooseSandbox(): ${title}`, () => {
    assert.equal(chooseSandbox(skill, e), expected);
  });
}

Deno.test("detectSandboxes() finds a working bwrap and this Deno", async () => {
  const probe = await new Deno.Command("sh", {
    args: ["-c", "command -v bwrap && bwrap --ro-bind / / true"],
    stdout: "piped",
    stderr: "null",
  }).output();
  const expectedBwrap = probe.success
    ? new TextDecoder().decode(probe.stdout).trim().split("\n")[0]
    : null;
  const found = await detectSandboxes();
  assert.equal(found.bwrap, expectedBwrap);
  assert.equal(basename(Deno.execPath()), "deno");
  assert.equal(found.deno, Deno.execPath());
});

Deno.test("detectSandboxes() finds nothing for bwrap on an empty search path", async () => {
  const found = await detectSandboxes({ path: "" });
  assert.equal(found.bwrap, null);
});

Deno.test("detectSandboxes() drops a bwrap whose trial run fails", async () => {
  await withTempDir(async (dir) => {
    const fake = join(dir, "bwrap");
    await Deno.writeTextFile(fake, "#!/bin/sh\nexit 1\n");
    await Deno.chmod(fake, 0o755);
    assert.equal((await detectSandboxes({ path: dir })).bwrap, null);
    await Deno.writeTextFile(fake, "#!/bin/sh\nexit 0\n");
    assert.equal((await detectSandboxes({ path: dir })).bwrap, fake);
  });
});

Deno.test("detectSandboxes() skips a bwrap that is not executable", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "bwrap"), "#!/bin/sh\nexit 0\n");
    await Deno.chmod(join(dir, "bwrap"), 0o644);
    assert.equal((await detectSandboxes({ path: dir })).bwrap, null);
  });
});
