import assert from "node:assert/strict";
import { SwarmError } from "../../lib/protocol/errors.ts";
import { denoArgs, denoEnv } from "../../lib/execution/deno_args.ts";
import type { SkillPermissions } from "../../lib/skills/types.ts";
import { skill } from "./_helpers.ts";

const base = [
  "/opt/deno",
  "run",
  "--no-prompt",
  "--no-config",
  "--no-lock",
  "--no-remote",
  "--no-npm",
  "--v8-flags=--max-old-space-size=256",
];

Deno.test("denoArgs() grants exactly the declared permissions", () => {
  const cases: Array<[string, Partial<SkillPermissions>, string[]]> = [
    ["nothing declared", {}, []],
    ["any network", { net: true }, ["--allow-net"]],
    ["host list", { net: ["127.0.0.1", "api.example.com:443"] }, [
      "--allow-net=127.0.0.1,api.example.com:443",
    ]],
    ["empty host list", { net: [] }, []],
    ["env names", { env: ["A", "B"] }, ["--allow-env=A,B"]],
  ];
  for (const [why, declared, extra] of cases) {
    const argv = denoArgs({
      deno: "/opt/deno",
      skill: skill("s", {
        language: "deno",
        entryPoint: "/skills/s/scripts/main.ts",
        permissions: { net: false, read: [], write: [], env: [], ...declared },
      }),
      workDir: "/w/task-1",
    });
    assert.deepEqual(argv, [
      ...base,
      "--allow-read=/skills/s,/w/task-1",
      "--allow-write=/w/task-1",
      ...extra,
      "/skills/s/scripts/main.ts",
    ], why);
    assert.ok(!argv.some((a) => /^--allow-(run|ffi|sys|all)|^-A$/.test(a)), why);
  }
});

Deno.test("denoArgs() adds declared read and write paths", () => {
  const argv = denoArgs({
    deno: "deno",
    skill: skill("s", {
      language: "deno",
      permissions: { net: false, read: ["/data/in", "assets"], write: ["/data/out"], env: [] },
    }),
    workDir: "/w",
  });
  assert.ok(argv.includes("--allow-read=/skills/s,/w,/data/in,/skills/s/assets"));
  assert.ok(argv.includes("--allow-write=/w,/data/out"));
});

Deno.test("denoArgs() refuses a permission it cannot express", () => {
  assert.throws(
    () =>
      denoArgs({
        deno: "deno",
        skill: skill("s", { permissions: { net: false, read: ["/a,b"], write: [], env: [] } }),
        workDir: "/w",
      }),
    (err) =>
      err instanceof SwarmError && err.code === "execution_failed" &&
      /comma: \/a,b$/.test(err.message),
  );
  assert.throws(
    () => denoArgs({ deno: "deno", skill: skill("s", { entryPoint: undefined }), workDir: "/w" }),
    TypeError,
  );
});

Deno.test("denoEnv() keeps Deno's caches in the working directory", () => {
  assert.deepEqual(denoEnv({ LANG: "C.UTF-8" }, "/w/task-1/"), {
    LANG: "C.UTF-8",
    DENO_DIR: "/w/task-1/.deno",
    NO_COLOR: "1",
    DENO_NO_UPDATE_CHECK: "1",
  });
});
