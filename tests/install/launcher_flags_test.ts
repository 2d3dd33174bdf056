import assert from "node:assert/strict";
import { join } from "node:path";
import { launcherFlags, splitTask } from "../../scripts/launcher_flags.ts";
import { DENO_JSON, permissionFlags, ROOT } from "./_run.ts";
import { outputWithin } from "../_helpers/with_timeout.ts";

Deno.test("splitTask() splits words and honours quotes", () => {
  const cases: [string, string[]][] = [
    ["deno compile main.ts", ["deno", "compile", "main.ts"]],
    ["  deno\tcompile  main.ts ", ["deno", "compile", "main.ts"]],
    [`deno compile --output "dist/my swarm" main.ts`, [
      "deno",
      "compile",
      "--output",
      "dist/my swarm",
      "main.ts",
    ]],
    [`deno compile --allow-read='a b' main.ts`, ["deno", "compile", "--allow-read=a b", "main.ts"]],
    [`deno compile "" main.ts`, ["deno", "compile", "", "main.ts"]],
  ];
  for (const [command, words] of cases) assert.deepEqual(splitTask(command), words, command);
});

Deno.test("splitTask() refuses shell operators and open quotes", () => {
  for (
    const command of ["deno compile a.ts && rm -rf /", "deno compile $X", `deno compile "a.ts`]
  ) {
    assert.throws(() => splitTask(command), SyntaxError, command);
  }
});

Deno.test("launcherFlags() keeps permission and unstable flags in order", () => {
  const cases: [string, string[]][] = [
    ["deno compile main.ts", []],
    ["deno compile -A main.ts", ["-A"]],
    [
      "deno compile --allow-net=127.0.0.1,10.0.0.0/8 --deny-env=HOME --unstable-kv -o out main.ts",
      ["--allow-net=127.0.0.1,10.0.0.0/8", "--deny-env=HOME", "--unstable-kv"],
    ],
    [
      "deno compile --include lib/w.ts --include=lib/x.ts --output dist/swarm --target x86_64-unknown-linux-gnu --allow-read --no-terminal --unstable main.ts",
      ["--allow-read", "--unstable"],
    ],
  ];
  for (const [task, flags] of cases) assert.deepEqual(launcherFlags(task), flags, task);
});

Deno.test("launcherFlags() refuses what a launcher could not match", () => {
  const cases: [string, ErrorConstructor][] = [
    ["deno run --allow-read main.ts", SyntaxError],
    ["deno compile --allow-read", SyntaxError],
    ["deno compile main.ts serve", SyntaxError],
    ["deno compile --v8-flags=--max-old-space-size=64 main.ts", RangeError],
  ];
  for (const [task, error] of cases) assert.throws(() => launcherFlags(task), error, task);
});

Deno.test("launcherFlags() of deno.json matches the start task's flags", async () => {
  const fromScript = launcherFlags(DENO_JSON.tasks.compile);
  assert.deepEqual(fromScript, permissionFlags(DENO_JSON.tasks.compile));
  assert.deepEqual([...fromScript].sort(), permissionFlags(DENO_JSON.tasks.start).sort());
  const { code, stdout, stderr } = await outputWithin(Deno.execPath(), {
    args: [
      "run",
      "--no-config",
      "--allow-read",
      join(ROOT, "scripts", "launcher_flags.ts"),
      join(ROOT, "deno.json"),
    ],
    ms: 60_000,
  });
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  assert.equal(new TextDecoder().decode(stdout), `${fromScript.join("\n")}\n`);
});
