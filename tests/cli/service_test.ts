import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../../lib/cli/_usage.ts";
import { runCli } from "../../lib/cli/mod.ts";
import {
  parseServiceArgs,
  runService,
  SERVICE_HELP,
  type ServiceArgs,
  type ServiceContext,
} from "../../lib/cli/service.ts";
import { hasServiceMarker, LAUNCHER_ENV } from "../../lib/service/mod.ts";
import { installedSwarm, swarmCommand } from "../e2e/_launcher.ts";
import { entries, withTempDir } from "../_helpers/temp_dir.ts";
import {
  systemdAnalyzeMissing,
  validatePlist,
  verifyUnit,
  xmllintMissing,
} from "../service/_tools.ts";
import { fakeExecutable, valuesOf } from "../service/_unit.ts";
import { capture } from "./_capture.ts";

/** A real executable outside the directories the unit hides (so no warning is printed). */
const TRUE = "/usr/bin/true";

const DEFAULTS: ServiceArgs = {
  help: false,
  command: "print",
  lan: false,
  encryptedToken: false,
  nodeArgs: [],
};

const PARSED: Array<[argv: string[], expected: ServiceArgs]> = [
  [["--help"], { ...DEFAULTS, help: true }],
  [["install", "-h"], { ...DEFAULTS, help: true }],
  [["help"], { ...DEFAULTS, help: true }],
  [["print"], DEFAULTS],
  [["print", "--lan"], { ...DEFAULTS, lan: true }],
  [["install", "--format", "launchd", "--name=org.example.swarm", "--dir", "/tmp/a"], {
    ...DEFAULTS,
    command: "install",
    format: "launchd",
    name: "org.example.swarm",
    dir: "/tmp/a",
  }],
  [[
    "print",
    "--allow-net",
    "10.0.0.0/8",
    "--listen",
    "10.0.0.5:7700",
    "--token-file",
    "t",
    "--encrypted-token",
    "--exec",
    "/usr/local/bin/swarm",
  ], {
    ...DEFAULTS,
    allowNet: "10.0.0.0/8",
    listen: "10.0.0.5:7700",
    tokenFile: "t",
    encryptedToken: true,
    exec: "/usr/local/bin/swarm",
  }],
  [["print", "--lan", "--", "--skills-dir", "/srv/skills", "--", "--no-mdns"], {
    ...DEFAULTS,
    lan: true,
    nodeArgs: ["--skills-dir", "/srv/skills", "--", "--no-mdns"],
  }],
  [["uninstall", "--name", "edge", "--dir", "/srv/units"], {
    ...DEFAULTS,
    command: "uninstall",
    name: "edge",
    dir: "/srv/units",
  }],
];

for (const [argv, expected] of PARSED) {
  Deno.test(`parseServiceArgs() parses ${JSON.stringify(argv)}`, () => {
    assert.deepEqual(parseServiceArgs(argv), expected);
  });
}

const REFUSED: Array<[argv: string[], message: RegExp]> = [
  [[], /^Missing command: print, install or uninstall$/],
  [["start"], /^Unknown command 'start': print, install or uninstall$/],
  [["print", "extra"], /^Unexpected argument 'extra'$/],
  [
    ["print", "--format", "upstart"],
    /'--format' must be systemd or launchd: current value is upstart/,
  ],
  [["print", "--name="], /^Option '--name' needs a value$/],
  [["print", "--exec", ""], /^Option '--exec' needs a value$/],
  [["print", "--dir", "/tmp"], /'--dir' is for install and uninstall/],
  [["print", "--bogus"], /Unknown option '--bogus'/],
  [["print", "--lan=yes"], /--lan/],
  [["uninstall", "--lan"], /^Option '--lan' has no effect on uninstall/],
  [["uninstall", "--exec", "/x"], /^Option '--exec' has no effect on uninstall/],
  [["uninstall", "--", "--no-mdns"], /^Node options have no effect on uninstall$/],
];

for (const [argv, message] of REFUSED) {
  Deno.test(`parseServiceArgs() refuses ${JSON.stringify(argv)}`, () => {
    assert.throws(() => parseServiceArgs(argv), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.equal(err.code, "invalid_argument");
      assert.match(err.message, message);
      return true;
    });
  });
}

/** A Linux machine run as root, with no launcher: tests pass --exec. */
function linux(extra: Partial<ServiceContext> = {}): Partial<ServiceContext> {
  return { os: "linux", uid: 0, env: { HOME: "/root" }, standalone: false, ...extra };
}

function service(argv: string[], context: Partial<ServiceContext> = linux()) {
  return capture(() => runService(argv, context));
}

Deno.test("swarm service --help prints the help, also as swarm help service", async () => {
  const out = await service(["--help"]);
  assert.equal(out.code, 0);
  assert.equal(out.stdout, SERVICE_HELP);
  assert.match(SERVICE_HELP, /^Usage: swarm service print\|install\|uninstall/);
  assert.equal((await capture(() => runCli(["help", "service"]))).stdout, SERVICE_HELP);
  // Every option the help lists is one the parser knows.
  const listed = [...SERVICE_HELP.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]);
  assert.equal(listed.length, 9, listed.join(" "));
  for (const flag of listed) {
    if (flag === "--help") continue;
    const argv = ["print", flag, ...(["--lan", "--encrypted-token"].includes(flag) ? [] : ["x"])];
    const parsed = await service([...argv, "--help"]);
    assert.equal(parsed.code, 0, `${flag}: ${parsed.stderr}`);
  }
});

Deno.test("swarm service print writes only the unit on stdout, with the exact --exec", async () => {
  const out = await service(["print", "--exec", TRUE]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stderr, "");
  assert.ok(out.stdout.startsWith("# Written by 'swarm service install'"), out.stdout);
  assert.deepEqual(valuesOf(out.stdout, "ExecStart"), [
    `${TRUE} serve --listen 127.0.0.1:7700 --data-dir %S/swarm`,
  ]);
});

Deno.test("swarm service print picks launchd on macOS, systemd on Linux, --format either", async () => {
  const exec = TRUE;
  const mac = { os: "darwin", uid: 501, env: { HOME: "/Users/ada" }, standalone: false };
  const plist = await service(["print", "--exec", exec], mac);
  assert.equal(plist.code, 0, plist.stderr);
  assert.match(plist.stdout, /^<\?xml version="1\.0"/);
  assert.ok(
    plist.stdout.includes(
      "<string>/Users/ada/Library/Application Support/local.swarm/data</string>",
    ),
  );
  const forced = await service(["print", "--exec", exec, "--format", "systemd"], mac);
  assert.match(forced.stdout, /^# Written by/);
  const other = await service(["print", "--exec", exec], { ...mac, os: "windows" });
  assert.equal(other.code, 2);
  assert.match(
    other.stderr,
    /^swarm service: invalid_argument: No service manager known for windows: pass --format/,
  );
});

Deno.test("swarm service print finds the launcher from SWARM_LAUNCHER and a compiled binary by itself", async () => {
  await withTempDir(async (dir) => {
    const launcher = await fakeExecutable(dir, "launcher");
    const binary = await fakeExecutable(dir, "binary");
    const viaLauncher = await service(["print"], linux({ env: { [LAUNCHER_ENV]: launcher } }));
    assert.equal(viaLauncher.code, 0, viaLauncher.stderr);
    assert.match(valuesOf(viaLauncher.stdout, "ExecStart")[0], new RegExp(`^${launcher} serve `));
    const compiled = await service(["print"], linux({ standalone: true, execPath: binary }));
    assert.match(valuesOf(compiled.stdout, "ExecStart")[0], new RegExp(`^${binary} serve `));
    const neither = await service(["print"], linux({ env: {} }));
    assert.equal(neither.code, 2);
    assert.match(
      neither.stderr,
      /^swarm service: invalid_argument: Cannot tell which swarm executable .*pass --exec PATH \(see 'swarm service --help'\)$/,
    );
  });
});

Deno.test("swarm service refuses what the node would refuse, with the node's code (exit 2)", async () => {
  await withTempDir(async (dir) => {
    const exec = TRUE;
    const cases: Array<[argv: string[], line: RegExp]> = [
      [
        ["print", "--exec", exec, "--listen", "0.0.0.0:7700"],
        /^swarm service: config_invalid: Refusing to listen on 0\.0\.0\.0: the node is loopback-only .*\(see 'swarm serve --help'\)$/,
      ],
      [
        ["print", "--exec", exec, "--", "--frobnicate"],
        /^swarm service: config_invalid: Node option: .*'--frobnicate'/,
      ],
      [
        ["print", "--exec", exec, "--", "--listen", "7701"],
        /^swarm service: invalid_argument: Option '--listen' cannot be a node option here: give 'swarm service --listen ADDR' before '--' \(see 'swarm service --help'\)$/,
      ],
      [
        ["print", "--exec", exec, "--name", "../etc"],
        /^swarm service: invalid_argument: Cannot use '\.\.\/etc' as a service name/,
      ],
      [
        ["print", "--exec", exec, "--format", "launchd", "--encrypted-token"],
        /^swarm service: invalid_argument: Option '--encrypted-token' is for systemd units/,
      ],
    ];
    for (const [argv, line] of cases) {
      const out = await service(argv);
      assert.equal(out.code, 2, JSON.stringify(argv));
      assert.equal(out.stdout, "");
      assert.match(out.stderr, line);
    }
    const missing = await service(["print", "--exec", join(dir, "nope")]);
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /^swarm service: invalid_argument: Cannot use .*\/nope as the swarm executable: /,
    );
    await Deno.writeTextFile(join(dir, "plain"), "not executable", { mode: 0o644 });
    const plain = await service(["print", "--exec", join(dir, "plain")]);
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, /it is not an executable file$/);
  });
});

Deno.test("swarm service print warns about paths the unit's sandbox hides, on stderr", async () => {
  const out = await service([
    "print",
    "--exec",
    "/usr/bin/true",
    "--",
    "--skills-dir",
    "/root/skills",
  ]);
  assert.equal(out.code, 0, out.stderr);
  assert.ok(out.stdout.startsWith("# Written by"));
  assert.equal(
    out.stderr,
    "Warning: the service cannot see /root/skills: ProtectHome=yes hides /home, /root and /run/user from the service. Move it elsewhere (for swarm itself: install.sh with SWARM_INSTALL_DIR=/usr/local/bin, from a checkout outside those directories)",
  );
  const launched = await service(
    ["print"],
    linux({
      env: { [LAUNCHER_ENV]: "/usr/bin/true" },
      runtimePaths: ["/tmp/checkout/.deno/bin/deno", "/srv/checkout"],
    }),
  );
  assert.equal(launched.code, 0, launched.stderr);
  assert.match(
    launched.stderr,
    /^Warning: the service cannot see \/tmp\/checkout\/\.deno\/bin\/deno: PrivateTmp=yes/,
  );
  assert.equal(launched.stderr.split("\n").length, 1, "the checkout in /srv is fine");
  const mac = await service([
    "print",
    "--format",
    "launchd",
    "--exec",
    "/usr/bin/true",
    "--",
    "--skills-dir",
    "/tmp/s",
  ]);
  assert.equal(mac.stderr, "", "launchd agents see the user's files");
});

Deno.test("swarm service install and uninstall round-trip in a --dir", async () => {
  await withTempDir(async (dir) => {
    const exec = TRUE;
    const units = join(dir, "units");
    const tokenFile = join(dir, "token");
    await Deno.writeTextFile(tokenFile, "t0k3n\n", { mode: 0o600 });
    const argv = ["--exec", exec, "--lan", "--token-file", tokenFile];
    const printed = await service(["print", ...argv]);
    const file = join(units, "swarm.service");

    const first = await service(["install", ...argv, "--dir", units]);
    assert.equal(first.code, 0, first.stderr);
    const lines = first.stdout.split("\n");
    assert.equal(lines[0], `Installed ${file}.`);
    assert.ok(lines.includes(`  systemctl link ${file}`), first.stdout);
    assert.ok(lines.includes("  systemctl enable --now swarm.service"), first.stdout);
    assert.ok(!first.stdout.includes("SKILLLITE_SWARM_TOKEN"), "the token file exists already");
    assert.ok(!first.stdout.includes("t0k3n"));
    assert.equal(await Deno.readTextFile(file), `${printed.stdout}\n`);
    assert.deepEqual(valuesOf(printed.stdout, "LoadCredential"), [`token:${tokenFile}`]);

    const again = await service(["install", ...argv, "--dir", units]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout.split("\n")[0], `Installed ${file} (replacing the earlier one).`);

    const removed = await service(["uninstall", "--dir", units]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(removed.stdout.split("\n")[0], `Removed ${file}.`);
    assert.ok(removed.stdout.includes("  systemctl daemon-reload"));
    assert.deepEqual(await entries(units), []);

    const twice = await service(["uninstall", "--dir", units]);
    assert.equal(twice.code, 1);
    assert.equal(
      twice.stderr,
      `swarm service: invalid_argument: Nothing to remove: there is no ${file}`,
    );
  });
});

Deno.test("swarm service install and uninstall refuse a file they did not write", async () => {
  await withTempDir(async (dir) => {
    const exec = TRUE;
    const file = join(dir, "swarm.service");
    const foreign =
      "[Unit]\nDescription=the operator's own swarm\n\n[Service]\nExecStart=/bin/true\n";
    await Deno.writeTextFile(file, foreign);
    const install = await service(["install", "--exec", exec, "--dir", dir]);
    assert.equal(install.code, 1);
    assert.equal(install.stdout, "");
    assert.match(
      install.stderr,
      new RegExp(
        `^swarm service: invalid_argument: Refusing to replace ${file}: it was not written by 'swarm service install'`,
      ),
    );
    const uninstall = await service(["uninstall", "--dir", dir]);
    assert.equal(uninstall.code, 1);
    assert.match(
      uninstall.stderr,
      new RegExp(
        `^swarm service: invalid_argument: Refusing to remove ${file}: it was not written by 'swarm service install'`,
      ),
    );
    assert.equal(await Deno.readTextFile(file), foreign, "left as it was");
  });
});

Deno.test("swarm service install needs root for the system directory, and private secrets", async () => {
  await withTempDir(async (dir) => {
    const exec = TRUE;
    const user = await service(["install", "--exec", exec], linux({ uid: 1000 }));
    assert.equal(user.code, 1);
    assert.match(
      user.stderr,
      /^swarm service: invalid_argument: Cannot install into \/etc\/systemd\/system as an unprivileged user: system units need root/,
    );
    const open = join(dir, "token");
    await Deno.writeTextFile(open, "t");
    await Deno.chmod(open, 0o644);
    const leaky = await service([
      "install",
      "--exec",
      exec,
      "--lan",
      "--token-file",
      open,
      "--dir",
      dir,
    ]);
    assert.equal(leaky.code, 1);
    assert.equal(
      leaky.stderr,
      `swarm service: invalid_argument: Refusing to use ${open} as a secret: its mode is 0644, so other users can read it (chmod 600 ${open})`,
    );
    assert.deepEqual(await entries(dir), ["token"], "nothing installed");
  });
});

Deno.test("swarm service install writes a launchd agent and says how to create its token", async () => {
  await withTempDir(async (home) => {
    const exec = TRUE;
    const mac = { os: "darwin", uid: 501, env: { HOME: home }, standalone: false };
    const out = await service(["install", "--exec", exec, "--lan"], mac);
    assert.equal(out.code, 0, out.stderr);
    const file = join(home, "Library", "LaunchAgents", "local.swarm.plist");
    assert.equal(out.stdout.split("\n")[0], `Installed ${file}.`);
    const token = join(home, "Library", "Application Support", "local.swarm", "token");
    assert.ok(
      out.stdout.includes(`  (umask 077; printf '%s\\n' "$SKILLLITE_SWARM_TOKEN" > '${token}')`),
      out.stdout,
    );
    assert.ok(out.stdout.includes(`  launchctl bootstrap gui/501 ${file}`), out.stdout);
    const plist = await Deno.readTextFile(file);
    assert.ok(hasServiceMarker(plist));
    assert.ok(plist.includes(`<string>${token}</string>`));
    if (xmllintMissing) {
      console.log(`service_test: plist DTD check skipped: ${xmllintMissing}`);
    } else {
      const verdict = await validatePlist(file, home);
      assert.ok(verdict.ok, verdict.output);
    }
    const removed = await service(["uninstall"], mac);
    assert.equal(removed.code, 0, removed.stderr);
    assert.ok(removed.stdout.includes("  launchctl bootout gui/501/local.swarm"));
    assert.deepEqual(await entries(join(home, "Library", "LaunchAgents")), []);
  });
});

if (systemdAnalyzeMissing) {
  console.log(`service_test: systemd-analyze verify skipped: ${systemdAnalyzeMissing}`);
}

Deno.test({
  name: "the installed launcher's swarm service print starts the launcher itself, and verifies",
  ignore: systemdAnalyzeMissing !== null,
  async fn() {
    const swarm = await installedSwarm();
    await withTempDir(async (dir) => {
      for (
        const argv of [["print"], ["print", "--lan"], ["print", "--allow-net", "192.168.7.0/24"]]
      ) {
        const { code, stdout, stderr } = await swarmCommand(["service", ...argv], {
          env: { [LAUNCHER_ENV]: "" }, // the launcher sets its own, whatever the caller's
        }).output();
        const text = new TextDecoder().decode(stdout);
        assert.equal(code, 0, new TextDecoder().decode(stderr));
        const exec = valuesOf(text, "ExecStart")[0];
        assert.ok(exec.startsWith(`${swarm} serve --listen `), exec);
        // The test install is in a temporary directory, which PrivateTmp= hides: it says so.
        if (swarm.startsWith("/tmp/")) {
          assert.match(
            new TextDecoder().decode(stderr),
            new RegExp(`^Warning: the service cannot see ${swarm}: PrivateTmp=yes`),
          );
        }
        const file = join(dir, "swarm.service");
        await Deno.writeTextFile(file, text);
        const verdict = await verifyUnit(file);
        assert.ok(verdict.ok, verdict.output);
      }
    });
  },
});
