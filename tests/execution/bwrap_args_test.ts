import assert from "node:assert/strict";
import { SwarmError } from "../../lib/protocol/errors.ts";
import { bwrapArgs, bwrapSharesNet } from "../../lib/execution/bwrap_args.ts";
import type { SandboxHost } from "../../lib/execution/sandbox_host.ts";
import type { SkillPermissions } from "../../lib/skills/types.ts";
import { skill } from "./_helpers.ts";

const host: SandboxHost = {
  systemPaths: [
    { path: "/usr" },
    { path: "/bin", link: "usr/bin" },
    { path: "/lib", link: "usr/lib" },
    { path: "/lib64", link: "usr/lib64" },
    { path: "/etc/alternatives" },
    { path: "/etc/resolv.conf", link: "../run/systemd/resolve/stub-resolv.conf" },
    { path: "/etc/ssl" },
  ],
  python: {
    executable: "/root/.pyenv/versions/3.11.7/bin/python3",
    prefixes: ["/root/.pyenv/versions/3.11.7", "/usr"],
  },
};
const perms = (p: Partial<SkillPermissions>): SkillPermissions => ({
  net: false,
  read: [],
  write: [],
  env: [],
  ...p,
});
const env = { PATH: "/usr/bin:/bin", HOME: "/w/task-1", LANG: "C.UTF-8" };

/** The option pairs/triples of an argv, as strings like "--ro-bind /usr /usr". */
function options(argv: string[]): string[] {
  const arity: Record<string, number> = {
    "--ro-bind": 2,
    "--bind": 2,
    "--symlink": 2,
    "--setenv": 2,
    "--proc": 1,
    "--dev": 1,
    "--tmpfs": 1,
    "--chdir": 1,
    "--cap-drop": 1,
  };
  const out: string[] = [];
  for (let i = 1; i < argv.length && argv[i] !== "--"; i++) {
    const n = arity[argv[i]] ?? 0;
    out.push(argv.slice(i, i + n + 1).join(" "));
    i += n;
  }
  return out;
}

Deno.test("bwrapArgs() isolates a python skill with no network", () => {
  const argv = bwrapArgs({
    bwrap: "/usr/bin/bwrap",
    skill: skill("calc"),
    workDir: "/w/task-1",
    env,
    host,
  });
  assert.equal(argv[0], "/usr/bin/bwrap");
  assert.deepEqual(argv.slice(argv.indexOf("--")), [
    "--",
    "/root/.pyenv/versions/3.11.7/bin/python3",
    "/skills/calc/scripts/main.py",
  ]);
  assert.deepEqual(options(argv), [
    "--unshare-all",
    "--die-with-parent",
    "--new-session",
    "--cap-drop ALL",
    "--ro-bind /usr /usr",
    "--symlink usr/bin /bin",
    "--symlink usr/lib /lib",
    "--symlink usr/lib64 /lib64",
    "--ro-bind /etc/alternatives /etc/alternatives",
    "--ro-bind /root/.pyenv/versions/3.11.7 /root/.pyenv/versions/3.11.7",
    "--proc /proc",
    "--dev /dev",
    "--tmpfs /tmp",
    "--ro-bind /skills/calc /skills/calc",
    "--bind /w/task-1 /w/task-1",
    "--chdir /w/task-1",
    "--clearenv",
    "--setenv PATH /usr/bin:/bin",
    "--setenv HOME /w/task-1",
    "--setenv LANG C.UTF-8",
  ]);
});

Deno.test("bwrapArgs() shares the network and name resolution only when declared", () => {
  const cases: Array<[string, SkillPermissions["net"], boolean]> = [
    ["false", false, false],
    ["empty list", [], false],
    ["true", true, true],
    ["host list (bwrap cannot filter hosts)", ["127.0.0.1"], true],
  ];
  for (const [why, net, shared] of cases) {
    const argv = bwrapArgs({
      bwrap: "bwrap",
      skill: skill("s", { permissions: perms({ net }) }),
      workDir: "/w",
      env,
      host,
    });
    assert.equal(argv.includes("--share-net"), shared, why);
    assert.equal(bwrapSharesNet(perms({ net })), shared, why);
    assert.equal(
      options(argv).includes("--ro-bind /etc/resolv.conf /etc/resolv.conf"),
      shared,
      why,
    );
    assert.equal(options(argv).includes("--ro-bind /etc/ssl /etc/ssl"), shared, why);
  }
});

Deno.test("bwrapArgs() binds declared paths, read-only or writable, after the private /tmp", () => {
  const argv = bwrapArgs({
    bwrap: "bwrap",
    skill: skill("s", {
      permissions: perms({ read: ["/data/in", "models"], write: ["/data/out"] }),
    }),
    workDir: "/w",
    env: {},
    host,
  });
  const opts = options(argv);
  const tmp = opts.indexOf("--tmpfs /tmp");
  for (
    const expected of [
      "--ro-bind /data/in /data/in",
      "--ro-bind /skills/s/models /skills/s/models",
      "--bind /data/out /data/out",
    ]
  ) {
    assert.ok(opts.indexOf(expected) > tmp, expected);
  }
});

Deno.test("bwrapArgs() picks the interpreter by language", () => {
  const cases: Array<[string, Parameters<typeof skill>[1], string[]]> = [
    ["shell", { language: "shell", entryPoint: "/skills/s/scripts/main.sh" }, [
      "/bin/sh",
      "/skills/s/scripts/main.sh",
    ]],
    ["unknown runs the entry itself", { language: undefined, entryPoint: "/skills/s/run" }, [
      "/skills/s/run",
    ]],
  ];
  for (const [why, overrides, tail] of cases) {
    const argv = bwrapArgs({
      bwrap: "bwrap",
      skill: skill("s", overrides),
      workDir: "/w",
      env: {},
      host,
    });
    assert.deepEqual(argv.slice(argv.indexOf("--") + 1), tail, why);
    assert.ok(!argv.some((a) => a.includes(".pyenv")), `${why}: no python mount`);
  }
});

Deno.test("bwrapArgs() refuses skills it cannot run", () => {
  assert.throws(
    () =>
      bwrapArgs({
        bwrap: "bwrap",
        skill: skill("s"),
        workDir: "/w",
        env: {},
        host: { ...host, python: null },
      }),
    (err) =>
      err instanceof SwarmError && err.code === "execution_failed" &&
      /python3 was not found/.test(err.message),
  );
  assert.throws(
    () =>
      bwrapArgs({
        bwrap: "bwrap",
        skill: skill("s", { language: "deno" }),
        workDir: "/w",
        env: {},
        host,
      }),
    (err) => err instanceof SwarmError && /needs Deno/.test(err.message),
  );
  assert.throws(
    () =>
      bwrapArgs({
        bwrap: "bwrap",
        skill: skill("s", { kind: "reference", entryPoint: undefined }),
        workDir: "/w",
        env: {},
        host,
      }),
    TypeError,
  );
});
