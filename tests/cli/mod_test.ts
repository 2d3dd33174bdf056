import assert from "node:assert/strict";
import { COMMANDS, MAIN_HELP, runCli } from "../../lib/cli/mod.ts";
import { VERSION_HELP } from "../../lib/cli/version.ts";
import { collect, spawnSwarm } from "./_main_process.ts";
import { exitWithin } from "../_helpers/with_timeout.ts";
import { serveHelp } from "../../lib/config/help.ts";
import { VERSION } from "../../lib/version.ts";
import { capture } from "./_capture.ts";

Deno.test("runCli() prints the version and returns 0 for --version, -V and version", async () => {
  for (const argv of [["--version"], ["-V"], ["version"]]) {
    const { code, stdout, stderr } = await capture(() => runCli(argv));
    assert.equal(code, 0);
    assert.equal(stdout, `swarm ${VERSION}`);
    assert.equal(stderr, "");
  }
  assert.match(VERSION, /^\d+\.\d+\.\d+/);
});

Deno.test("runCli() prints the main help and returns 0 with no arguments, -h, --help and help", async () => {
  for (const argv of [[], ["-h"], ["--help"], ["help"], ["help", "help"]]) {
    const { code, stdout } = await capture(() => runCli(argv, {}));
    assert.equal(code, 0, JSON.stringify(argv));
    assert.equal(stdout, MAIN_HELP);
  }
  for (const command of ["serve", "status", "skills", "task", "help", "--version"]) {
    assert.ok(MAIN_HELP.includes(`swarm ${command}`), command);
  }
});

Deno.test("runCli() returns 2 and names an unknown command", async () => {
  const { code, stdout, stderr } = await capture(() => runCli(["nope"]));
  assert.equal(code, 2);
  assert.equal(stdout, "");
  assert.equal(stderr, "swarm: invalid_argument: Unknown command 'nope' (see 'swarm --help')");
});

Deno.test("runCli() returns 2 for help on an unknown command", async () => {
  const { code, stderr } = await capture(() => runCli(["help", "nope"]));
  assert.equal(code, 2);
  assert.match(stderr, /Unknown command 'nope'/);
});

Deno.test("runCli() prints a subcommand's help for help COMMAND and COMMAND --help", async () => {
  const viaHelp = await capture(() => runCli(["help", "task"]));
  const viaFlag = await capture(() => runCli(["task", "--help"]));
  assert.equal(viaHelp.code, 0);
  assert.equal(viaFlag.code, 0);
  assert.match(viaHelp.stdout, /^Usage: swarm task/);
  assert.equal(viaHelp.stdout, viaFlag.stdout);
  const status = await capture(() => runCli(["help", "status"]));
  assert.equal(status.code, 0);
  assert.match(status.stdout, /^Usage: swarm status/);
});

Deno.test("runCli() prints the node's help for serve --help and a bare --help after node flags", async () => {
  for (const argv of [["serve", "--help"], ["help", "serve"], ["--listen", "7701", "--help"]]) {
    const { code, stdout } = await capture(() => runCli(argv));
    assert.equal(code, 0, JSON.stringify(argv));
    assert.equal(stdout, serveHelp());
  }
});

Deno.test("runCli() returns 2 for a usage mistake in a subcommand", async () => {
  for (
    const argv of [["task"], ["task", "--bogus", "x"], ["status", "extra"], ["status", "--nope"]]
  ) {
    const { code, stderr } = await capture(() => runCli(argv));
    assert.equal(code, 2, JSON.stringify(argv));
    assert.match(
      stderr,
      /^swarm (task|status): invalid_argument: .*\(see 'swarm (task|status) --help'\)$/,
    );
  }
});

Deno.test("runCli() returns 2 for a bad node flag without starting a node", async () => {
  for (const argv of [["--bogus"], ["serve", "--listen", "70000"], ["--listen", "0.0.0.0:7700"]]) {
    const { code, stderr } = await capture(() => runCli(argv));
    assert.equal(code, 2, JSON.stringify(argv));
    assert.match(stderr, /^swarm: config_invalid: [^\n]+$/);
  }
});

Deno.test("runCli() returns 1 when the node cannot be reached", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  const { code, stderr } = await capture(() =>
    runCli(["status", "--url", `http://127.0.0.1:${port}`])
  );
  assert.equal(code, 1);
  assert.match(
    stderr,
    new RegExp(
      `^swarm status: peer_unreachable: Cannot reach http://127\\.0\\.0\\.1:${port}: [^\\n]+$`,
    ),
  );
});

Deno.test("runCli(): every command prints the same help for 'help COMMAND' and 'COMMAND --help'", async () => {
  const names = Object.keys(COMMANDS);
  assert.ok(names.length >= 12, names.join(" "));
  for (const name of names) {
    const viaHelp = await capture(() => runCli(["help", name], {}));
    const viaFlag = await capture(() => runCli([name, "--help"], {}));
    assert.equal(viaHelp.code, 0, `swarm help ${name}: ${viaHelp.stderr}`);
    assert.equal(viaFlag.code, 0, `swarm ${name} --help: ${viaFlag.stderr}`);
    assert.ok(viaHelp.stdout.length > 0, `swarm help ${name} prints something`);
    assert.equal(viaHelp.stdout, viaFlag.stdout, name);
    assert.equal(viaHelp.stderr, "");
  }
});

Deno.test("runCli(): 'help COMMAND SUB' is 'COMMAND SUB --help'", async () => {
  for (const argv of [["skill", "publish"], ["skill", "list"], ["token", "issue"]]) {
    const viaHelp = await capture(() => runCli(["help", ...argv], {}));
    const viaFlag = await capture(() => runCli([...argv, "--help"], {}));
    assert.equal(viaHelp.code, 0);
    assert.equal(viaHelp.stdout, viaFlag.stdout, argv.join(" "));
  }
  const publish = await capture(() => runCli(["help", "skill", "publish"], {}));
  assert.match(publish.stdout, /^Usage: swarm skill publish/);
});

Deno.test("MAIN_HELP lists every command of the table, version and completions among them", () => {
  for (const name of [...Object.keys(COMMANDS), "help", "version", "completions"]) {
    assert.match(MAIN_HELP, new RegExp(`^  swarm ${name}\\b`, "m"), name);
  }
});

Deno.test("runCli() prints the version command's help for version --help and help version", async () => {
  for (const argv of [["version", "--help"], ["help", "version"]]) {
    const { code, stdout } = await capture(() => runCli(argv, {}));
    assert.equal(code, 0);
    assert.equal(stdout, VERSION_HELP);
  }
  const extra = await capture(() => runCli(["version", "now"], {}));
  assert.equal(extra.code, 2);
  assert.match(extra.stderr, /^swarm version: invalid_argument: Unexpected argument 'now'/);
});

const MISTYPED: Array<[argv: string[], stderr: string]> = [
  [
    ["stauts"],
    "swarm: invalid_argument: Unknown command 'stauts': did you mean 'status'? (see 'swarm --help')",
  ],
  [
    ["help", "tokne"],
    "swarm: invalid_argument: Unknown command 'tokne': did you mean 'token'? (see 'swarm --help')",
  ],
  [
    ["completion"],
    "swarm: invalid_argument: Unknown command 'completion': did you mean 'completions'? (see 'swarm --help')",
  ],
  [
    ["--listne"],
    "swarm: config_invalid: Unknown option '--listne': did you mean '--listen'?",
  ],
  [
    ["serve", "--max-hosp", "2"],
    "swarm: config_invalid: Unknown option '--max-hosp': did you mean '--max-hops'?",
  ],
  [
    ["status", "--mehs"],
    "swarm status: invalid_argument: Unknown option '--mehs': did you mean '--mesh'? (see 'swarm status --help')",
  ],
  [
    ["task", "x", "--requier", "calc"],
    "swarm task: invalid_argument: Unknown option '--requier': did you mean '--require'? (see 'swarm task --help')",
  ],
];

for (const [argv, stderr] of MISTYPED) {
  Deno.test(`runCli() suggests what ${JSON.stringify(argv)} meant, exit 2`, async () => {
    const out = await capture(() => runCli(argv, {}));
    assert.equal(out.code, 2);
    assert.equal(out.stdout, "");
    assert.equal(out.stderr, stderr);
  });
}

// Issue 14: `--max-hops -1` said "argument is ambiguous" instead of the range error.
Deno.test("runCli() gives a negative node flag its range error, exit 2", async () => {
  const out = await capture(() => runCli(["--max-hops", "-1"], {}));
  assert.equal(out.code, 2);
  assert.equal(
    out.stderr,
    "swarm: config_invalid: Option --max-hops must be a non-negative integer: current value is -1",
  );
});

// Issue 14: `SWARM_LISTEN=… swarm` printed the help and exited 0, which a service
// manager takes for a clean exit.
Deno.test("runCli() without arguments runs the node when the environment configures one", async () => {
  const cases: Array<[env: Record<string, string>, stderr: RegExp]> = [
    [{ SWARM_LISTEN: "0.0.0.0:7700" }, /^swarm: config_invalid: Refusing to listen on 0\.0\.0\.0/],
    [
      { SWARM_CONFIG: "/nonexistent/swarm.json" },
      /^swarm: config_invalid: Cannot read config file/,
    ],
    [{ SWARM_MAX_HOPS: "-1" }, /^swarm: config_invalid: Environment variable SWARM_MAX_HOPS /],
  ];
  for (const [env, stderr] of cases) {
    const out = await capture(() => runCli([], env));
    assert.equal(out.code, 2, JSON.stringify(env));
    assert.equal(out.stdout, "", "no help printed");
    assert.match(out.stderr, stderr);
  }
});

Deno.test("runCli() without arguments prints the help when only client settings are set", async () => {
  const env = {
    SKILLLITE_SWARM_TOKEN: "t",
    SKILLLITE_SWARM_URL: "http://127.0.0.1:7701",
    SWARM_TLS_CA: "/etc/swarm/ca.crt",
    SWARM_LISTEN: "",
  };
  const out = await capture(() => runCli([], env));
  assert.equal(out.code, 0);
  assert.equal(out.stdout, MAIN_HELP);
});

Deno.test("swarm with only SWARM_LISTEN in its environment starts a node, and SIGTERM stops it with 0", async () => {
  const child = spawnSwarm([], {
    SWARM_LISTEN: "127.0.0.1:0",
    SWARM_DATA_DIR: ":memory:",
    SWARM_LOG_FORMAT: "json",
  });
  const out = collect(child.stdout);
  const err = collect(child.stderr);
  try {
    await err.until((t) => t.includes('"swarm_started"'), "the node's swarm_started log line");
  } catch (e) {
    child.kill("SIGKILL");
    throw e;
  }
  child.kill("SIGTERM");
  const status = await exitWithin(child, {
    ms: 45_000,
    what: "swarm (env only)",
    after: "SIGTERM",
  });
  await Promise.all([out.done, err.done]);
  assert.equal(status.code, 0, err.text);
  assert.ok(!out.text.includes("Usage:"), "no help printed");
  const started = err.text.split("\n").find((l) => l.includes('"swarm_started"'))!;
  assert.match(JSON.parse(started).url, /^http:\/\/127\.0\.0\.1:\d+$/);
});

Deno.test("runCli() suggests the config-file key meant, and names a bad value's key", async () => {
  const dir = await Deno.makeTempDir({ prefix: "swarm-cli-config-" });
  try {
    const path = `${dir}/node.json`;
    await Deno.writeTextFile(path, JSON.stringify({ maxHosp: 2 }));
    const typo = await capture(() => runCli(["--config", path], {}));
    assert.equal(typo.code, 2);
    assert.equal(
      typo.stderr,
      `swarm: config_invalid: Config file '${path}' has an unknown key 'maxHosp': did you mean 'maxHops'?`,
    );
    await Deno.writeTextFile(path, JSON.stringify({ maxHops: -1 }));
    const bad = await capture(() => runCli([], { SWARM_CONFIG: path }));
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr,
      `swarm: config_invalid: Key maxHops in config file '${path}' must be a non-negative integer: current value is -1`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
