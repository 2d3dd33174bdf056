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

/** The option pairs/triples of an argv, as strings like "--ro-bind /usr /usr". */
function options(argv: string[]): string[] {
  const arity: Record<string, number> = {
    "--ro-bind": 2,
    "--bind": 2,
    "--symlink": 2,
    "--size": 1,
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
        skill: skill("s", { language: "deno", entryPoint: "/skills/s/scripts/main.ts" }),
        workDir: "/w",
        host,
      }),
    (err) => err instanceof SwarmError && /Deno was not found/.test(err.message),
  );
  assert.throws(
    () =>
      bwrapArgs({
        bwrap: "bwrap",
        skill: skill("s", { kind: "reference", entryPoint: undefined }),
        workDir: "/w",
        host,
      }),
    TypeError,
  );
});

Deno.test("bwrapArgs() never puts the environment on the command line", () => {
  for (const language of ["python", "shell", "deno"] as const) {
    const argv = bwrapArgs({
      bwrap: "bwrap",
      skill: skill("s", {
        language,
        entryPoint: `/skills/s/scripts/main.${language === "deno" ? "ts" : "py"}`,
        permissions: perms({ env: ["API_TOKEN"] }),
      }),
      workDir: "/w",
      host,
      deno: "/opt/deno/bin/deno",
    });
    assert.ok(!argv.includes("--setenv") && !argv.includes("--clearenv"), language);
    // A Deno skill's --allow-env names the variable, never its value.
    if (language === "deno") assert.ok(argv.includes("--allow-env=API_TOKEN"));
  }
});

Deno.test("bwrapArgs() runs a Deno skill under its Deno flags inside the sandbox", () => {
  const cases: Array<[string, string, string[]]> = [
    ["a binary outside the system paths is bound alone", "/opt/deno/bin/deno", [
      "--ro-bind /opt/deno/bin/deno /opt/deno/bin/deno",
    ]],
    ["a binary under /tmp is bound after the private /tmp", "/tmp/x/deno", [
      "--tmpfs /tmp",
      "--ro-bind /tmp/x/deno /tmp/x/deno",
    ]],
    ["a binary under /usr needs no extra bind", "/usr/bin/deno", []],
  ];
  for (const [why, deno, expected] of cases) {
    const argv = bwrapArgs({
      bwrap: "bwrap",
      skill: skill("d", {
        language: "deno",
        entryPoint: "/skills/d/scripts/main.ts",
        permissions: perms({ net: ["127.0.0.1:9"] }),
      }),
      workDir: "/w",
      host,
      deno,
      denoHeapMiB: 64,
    });
    const opts = options(argv);
    const at = expected.length > 0 ? opts.indexOf(expected[0]) : 0;
    assert.ok(at >= 0, `${why}: ${opts.join(" | ")}`);
    assert.deepEqual(opts.slice(at, at + expected.length), expected, why);
    if (expected.length === 0) assert.ok(!opts.includes(`--ro-bind ${deno} ${deno}`), why);
    const inner = argv.slice(argv.indexOf("--") + 1);
    assert.deepEqual(inner.slice(0, 2), [deno, "run"], why);
    assert.ok(inner.includes("--allow-read=/skills/d,/w"), why);
    assert.ok(inner.includes("--allow-net=127.0.0.1:9"), why);
    assert.ok(inner.includes("--v8-flags=--max-old-space-size=64"), why);
    assert.equal(inner.at(-1), "/skills/d/scripts/main.ts", why);
    // Deno filters hosts; bubblewrap can only share the whole network.
    assert.ok(argv.includes("--share-net"), why);
    // Nothing of the host besides the system paths, the skill and its work dir.
    assert.ok(!opts.some((o) => o.startsWith("--bind /") && o !== "--bind /w /w"), why);
  }
});

Deno.test("bwrapArgs() caps /tmp and the working directory with sized tmpfs mounts", () => {
  const cases: Array<[string, number, string[], string[]]> = [
    ["no cap: host work dir, unsized /tmp", 0, ["--tmpfs /tmp", "--bind /w /w"], [
      "--size",
    ]],
    ["a cap: both are sized tmpfs", 4096, [
      "--size 4096",
      "--tmpfs /tmp",
      "--size 4096",
      "--tmpfs /w",
    ], ["--bind /w /w"]],
  ];
  for (const [why, diskBytes, present, absent] of cases) {
    const argv = bwrapArgs({ bwrap: "bwrap", skill: skill("s"), workDir: "/w", host, diskBytes });
    const opts = options(argv);
    let last = -1;
    for (const option of present) {
      const at = opts.indexOf(option, last + 1);
      assert.ok(at > last, `${why}: ${option} in order in ${opts.join(" | ")}`);
      last = at;
    }
    for (const option of absent) {
      assert.ok(!opts.some((o) => o.startsWith(option)), `${why}: no ${option}`);
    }
    assert.ok(opts.includes("--chdir /w"), why);
  }
});
