import assert from "node:assert/strict";
import { basename, join } from "node:path";
import {
  chooseSandbox,
  detectSandboxes,
  type SandboxEnv,
} from "../../lib/skills/sandbox_choice.ts";
import type { SandboxKind, Skill } from "../../lib/skills/types.ts";
import { withTempDir } from "./_helpers.ts";
import { bwrapUsable } from "../_helpers/bwrap.ts";
import { outputWithin } from "../_helpers/with_timeout.ts";

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

// What this machine has, told apart from detectSandboxes(): the suite's own bwrap probe,
// and the shell's lookup of the program on PATH.
const bwrapHere = await bwrapUsable();
const bwrapOnPath = (await outputWithin("sh", { args: ["-c", "command -v bwrap"], ms: 10_000 }))
  .stdout;
console.log(
  `sandbox_choice_test: detectSandboxes() on this machine expects ${
    bwrapHere ? "a working bwrap" : "no bwrap (bubblewrap is not usable here)"
  }`,
);

Deno.test("detectSandboxes() finds this machine's bwrap when it works here, and this Deno", async () => {
  const found = await detectSandboxes();
  assert.equal(
    found.bwrap,
    bwrapHere ? new TextDecoder().decode(bwrapOnPath).trim().split("\n")[0] : null,
  );
  assert.equal(basename(Deno.execPath()), "deno");
  assert.equal(found.deno, Deno.execPath());
});

Deno.test("detectSandboxes() takes the first bwrap on the search path, and only one that works", async () => {
  await withTempDir(async (dir) => {
    const fake = async (name: string, exit: number) => {
      await Deno.mkdir(join(dir, name));
      await Deno.writeTextFile(join(dir, name, "bwrap"), `#!/bin/sh\nexit ${exit}\n`);
      await Deno.chmod(join(dir, name, "bwrap"), 0o755);
      return join(dir, name);
    };
    const [works, alsoWorks, fails] = [await fake("a", 0), await fake("b", 0), await fake("c", 1)];
    const empty = join(dir, "empty");
    await Deno.mkdir(empty);
    const cases: Array<[path: string[], expected: string | null]> = [
      [[works], join(works, "bwrap")],
      [[empty, works], join(works, "bwrap")],
      [[works, alsoWorks], join(works, "bwrap")],
      [[alsoWorks, works], join(alsoWorks, "bwrap")],
      // The first one found is the one tried: a broken bwrap first means none.
      [[fails, works], null],
      [[empty], null],
    ];
    for (const [path, expected] of cases) {
      const found = await detectSandboxes({ path: path.join(":") });
      assert.equal(found.bwrap, expected, path.map((p) => basename(p)).join(":"));
    }
  });
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

Deno.test("detectSandboxes() skips a PATH directory it may not search instead of failing", async () => {
  // Deno's permissions stand in for another user's directory: reading /root-only is refused
  // (NotCapable), as a node of another user is refused /root/.cargo/bin.
  const repo = new URL("../../", import.meta.url).pathname;
  await withTempDir(async (dir) => {
    const script = join(dir, "probe.ts");
    await Deno.writeTextFile(
      script,
      `import { detectSandboxes } from "${repo}lib/skills/mod.ts";
const found = await detectSandboxes({ path: "/root-only/bin:/usr/bin:/bin" });
console.log(JSON.stringify({ ok: true, bwrap: found.bwrap }));`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        "--config",
        join(repo, "deno.json"),
        `--allow-read=${repo},${dir},/usr/bin,/bin,${Deno.execPath()}`,
        "--allow-run",
        "--allow-env",
        script,
      ],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const text = new TextDecoder();
    assert.equal(out.code, 0, text.decode(out.stderr));
    assert.equal(JSON.parse(text.decode(out.stdout)).ok, true);
  });
});
