import assert from "node:assert/strict";
import { join } from "node:path";
import type { Config } from "../../lib/config/config.ts";
import {
  ConfigError,
  type ConfigSources,
  loadConfig,
  normalisePeerSeed,
} from "../../lib/config/load.ts";
import { DEFAULT_LLM_BASE_URL, DEFAULT_LLM_MODEL } from "../../lib/config/llm_config.ts";
import { withTempDir } from "../_helpers/temp_dir.ts";

type Env = Record<string, string | undefined>;

/** Files a test's fake `readTextFile` knows, by absolute path. */
type Files = Record<string, string>;

function fakeReader(files: Files): (path: string) => string {
  return (path) => {
    if (!(path in files)) throw new Deno.errors.NotFound(`No such file: ${path}`);
    return files[path];
  };
}

const CWD = "/srv/node";

function load(args: string[], env: Env = {}, files: Files = {}): Config {
  const result = loadConfig({
    args,
    env: { HOME: "/home/u", ...env },
    cwd: CWD,
    readTextFile: fakeReader(files),
  });
  assert.equal(result.help, false);
  if (result.help) throw new Error("unreachable");
  return result.config;
}

function loadFails(args: string[], env: Env = {}, files: Files = {}): ConfigError {
  try {
    load(args, env, files);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    assert.equal(err.name, "ConfigError");
    return err;
  }
  assert.fail(`expected loadConfig(${JSON.stringify(args)}) to throw a ConfigError`);
}

Deno.test("loadConfig() gives the documented defaults", () => {
  const config = load([]);
  assert.deepEqual(
    config,
    {
      listen: { host: "127.0.0.1", port: 7700 },
      allowNet: { kind: "loopback" },
      insecureNoAuth: false,
      token: undefined,
      keyringFile: undefined,
      nodeToken: undefined,
      tlsCertFile: undefined,
      tlsKeyFile: undefined,
      tlsClientCaFile: undefined,
      tlsCaFile: undefined,
      allowPlainPeers: false,
      forwardScopedToSkilllite: false,
      allowSkillLitePeers: false,
      dataDir: "/home/u/.local/share/swarm/7700",
      peers: [],
      skillsDirs: [],
      starterSkills: true,
      executorCmd: undefined,
      allowUnsandboxed: false,
      maxHops: 4,
      taskTimeoutMs: 120_000,
      execTimeoutMs: 60_000,
      maxConcurrentTasks: 4,
      maxQueuedTasks: 32,
      drainTimeoutMs: 30_000,
      healthIntervalMs: 1_000,
      healthTimeoutMs: 500,
      deadAfterFailures: 2,
      maxForwardAttempts: 3,
      retryBaseDelayMs: 100,
      retryMaxDelayMs: 2_000,
      taskRetentionMs: 86_400_000,
      forwardTimeoutMs: 120_000,
      maxPeerResultBytes: 8_388_608,
      canDoTimeoutMs: 3_000,
      peerProbeIntervalMs: 5_000,
      maxBodyBytes: 1_048_576,
      maxHeaderBytes: 16_384,
      maxHeaders: 100,
      taskRatePerSecond: 20,
      taskRateBurst: 40,
      authFailureRatePerSecond: 5,
      authFailureBurst: 50,
      headerTimeoutMs: 10_000,
      bodyTimeoutMs: 10_000,
      allowedHosts: [],
      maxTokenLifetimeMs: 31_622_400_000,
      securityReloadIntervalMs: 5_000,
      maxOutputBytes: 1_048_576,
      skillMemoryBytes: 536_870_912,
      skillMaxProcesses: 256,
      skillDiskBytes: 67_108_864,
      tokenFile: undefined,
      nodeTokenFile: undefined,
      logLevel: "info",
      logFormat: "auto",
      mdnsEnabled: false,
      mdnsInterface: undefined,
      mdnsTtlS: 120,
      acceptSkills: false,
      syncIntervalMs: 2_000,
      syncFanout: 3,
      publishNewSkills: false,
      publisherKeyFile: undefined,
      llm: {
        enabled: false,
        baseUrl: DEFAULT_LLM_BASE_URL,
        model: DEFAULT_LLM_MODEL,
        timeoutMs: 15_000,
      },
    } satisfies Config,
  );
});

Deno.test("loadConfig() returns help for --help and -h, whatever else is given", () => {
  for (const args of [["--help"], ["-h"], ["--listen", "7701", "--help"], ["-h", "--peer", "x"]]) {
    assert.deepEqual(loadConfig({ args, env: {} }), { help: true });
  }
});

Deno.test("loadConfig() takes every knob from its flag", () => {
  const config = load([
    "--listen=0.0.0.0:7711",
    "--allow-net=10.0.0.0/8",
    "--insecure-no-auth",
    "--data-dir",
    "data",
    "--peer",
    "10.0.0.2:7700",
    "--peer=https://10.0.0.3:7443",
    "--skills-dir",
    "a",
    "--skills-dir",
    "/abs/b",
    "--executor-cmd",
    "  agent --json  ",
    "--allow-unsandboxed",
    "--max-hops",
    "0",
    "--task-timeout-ms",
    "1000",
    "--forward-timeout-ms",
    "2000",
    "--can-do-timeout-ms",
    "300",
    "--peer-probe-interval-ms",
    "400",
    "--max-body-bytes",
    "500",
    "--max-output-bytes",
    "600",
    "--log-level",
    "debug",
  ]);
  assert.deepEqual(config.listen, { host: "0.0.0.0", port: 7711 });
  assert.deepEqual(config.allowNet, { kind: "list", hosts: ["10.0.0.0/8"] });
  assert.equal(config.insecureNoAuth, true);
  assert.equal(config.dataDir, "/srv/node/data");
  assert.deepEqual(config.peers, ["http://10.0.0.2:7700", "https://10.0.0.3:7443"]);
  assert.deepEqual(config.skillsDirs, ["/srv/node/a", "/abs/b"]);
  assert.equal(config.executorCmd, "agent --json");
  assert.equal(config.allowUnsandboxed, true);
  assert.equal(config.maxHops, 0);
  assert.equal(config.taskTimeoutMs, 1000);
  assert.equal(config.forwardTimeoutMs, 2000);
  assert.equal(config.canDoTimeoutMs, 300);
  assert.equal(config.peerProbeIntervalMs, 400);
  assert.equal(config.maxBodyBytes, 500);
  assert.equal(config.maxOutputBytes, 600);
  assert.equal(config.logLevel, "debug");
});

Deno.test("loadConfig() takes every knob from its environment variable", () => {
  const config = load([], {
    SWARM_LISTEN: "[::1]:7712",
    SWARM_ALLOW_NET: "192.168.1.0/24",
    SWARM_DATA_DIR: ":memory:",
    SWARM_PEERS: " 10.0.0.2:7700, ,http://10.0.0.3:7701,",
    SWARM_SKILLS_DIRS: "x,y",
    SWARM_EXECUTOR_CMD: "agent",
    SWARM_ALLOW_UNSANDBOXED: "yes",
    SWARM_MAX_HOPS: " 7 ",
    SWARM_TASK_TIMEOUT_MS: "1001",
    SWARM_FORWARD_TIMEOUT_MS: "2001",
    SWARM_CAN_DO_TIMEOUT_MS: "301",
    SWARM_PEER_PROBE_INTERVAL_MS: "401",
    SWARM_MAX_BODY_BYTES: "501",
    SWARM_MAX_OUTPUT_BYTES: "601",
    SWARM_LOG_LEVEL: "error",
  });
  assert.deepEqual(config.listen, { host: "::1", port: 7712 });
  assert.deepEqual(config.allowNet, { kind: "list", hosts: ["192.168.1.0/24"] });
  assert.equal(config.dataDir, ":memory:");
  assert.deepEqual(config.peers, ["http://10.0.0.2:7700", "http://10.0.0.3:7701"]);
  assert.deepEqual(config.skillsDirs, ["/srv/node/x", "/srv/node/y"]);
  assert.equal(config.executorCmd, "agent");
  assert.equal(config.allowUnsandboxed, true);
  assert.equal(config.maxHops, 7);
  assert.equal(config.taskTimeoutMs, 1001);
  assert.equal(config.forwardTimeoutMs, 2001);
  assert.equal(config.canDoTimeoutMs, 301);
  assert.equal(config.peerProbeIntervalMs, 401);
  assert.equal(config.maxBodyBytes, 501);
  assert.equal(config.maxOutputBytes, 601);
  assert.equal(config.logLevel, "error");
});

const ENV_BOOLEANS: Array<[value: string, expected: boolean]> = [
  ["1", true],
  ["true", true],
  ["yes", true],
  ["on", true],
  ["0", false],
  ["false", false],
  ["FALSE", false],
  ["no", false],
  ["Off", false],
];

for (const [value, expected] of ENV_BOOLEANS) {
  Deno.test(`loadConfig() reads SWARM_ALLOW_UNSANDBOXED=${value} as ${expected}`, () => {
    assert.equal(load([], { SWARM_ALLOW_UNSANDBOXED: value }).allowUnsandboxed, expected);
  });
}

Deno.test("loadConfig() ignores empty environment variables", () => {
  const config = load([], { SWARM_LISTEN: "", SWARM_MAX_HOPS: "", SWARM_ALLOW_NET: "" });
  assert.deepEqual(config.listen, { host: "127.0.0.1", port: 7700 });
  assert.equal(config.maxHops, 4);
  assert.deepEqual(config.allowNet, { kind: "loopback" });
});

Deno.test("loadConfig() lets flags override the environment, and the environment the config file", async () => {
  await withTempDir((dir) => {
    Deno.writeTextFileSync(
      join(dir, "swarm.json"),
      JSON.stringify({
        listen: "7801",
        maxHops: 1,
        canDoTimeoutMs: "1500",
        logLevel: "debug",
        peers: ["10.0.0.1:7700"],
        allowUnsandboxed: true,
      }),
    );
    const result = loadConfig({
      args: ["--listen", "7803", "--data-dir", ":memory:"],
      env: { SWARM_CONFIG: "swarm.json", SWARM_LISTEN: "7802", SWARM_MAX_HOPS: "2" },
      cwd: dir,
    });
    assert.equal(result.help, false);
    if (result.help) return;
    const { config } = result;
    assert.equal(config.listen.port, 7803, "flag beats env and file");
    assert.equal(config.maxHops, 2, "env beats file");
    assert.equal(config.canDoTimeoutMs, 1500, "file beats default (string integers allowed)");
    assert.equal(config.logLevel, "debug");
    assert.deepEqual(config.peers, ["http://10.0.0.1:7700"]);
    assert.equal(config.allowUnsandboxed, true);
  });
});

Deno.test("loadConfig() prefers --config over SWARM_CONFIG", () => {
  const config = load(["--config", "b.json"], { SWARM_CONFIG: "a.json" }, {
    "/srv/node/a.json": JSON.stringify({ maxHops: 1 }),
    "/srv/node/b.json": JSON.stringify({ maxHops: 2 }),
  });
  assert.equal(config.maxHops, 2);
});

Deno.test("loadConfig() replaces a list from the environment with the flags' list", () => {
  const config = load(["--peer", "10.0.0.3:7700"], { SWARM_PEERS: "10.0.0.1:7700,10.0.0.2:7700" });
  assert.deepEqual(config.peers, ["http://10.0.0.3:7700"]);
});

Deno.test("loadConfig() reads --listen with no value before another flag as the default address", () => {
  const config = load(["--listen", "--data-dir", ":memory:"]);
  assert.deepEqual(config.listen, { host: "127.0.0.1", port: 7700 });
  assert.equal(config.dataDir, ":memory:");
});

Deno.test("loadConfig() reads --listen with no value at the end as the default address", () => {
  assert.deepEqual(load(["--data-dir", ":memory:", "--listen"]).listen, {
    host: "127.0.0.1",
    port: 7700,
  });
});

Deno.test("loadConfig() reads --allow-net with no value as any host", () => {
  assert.deepEqual(load(["--allow-net"]).allowNet, { kind: "any" });
  const config = load(["--allow-net", "--listen", "0.0.0.0:7700", "--insecure-no-auth"]);
  assert.deepEqual(config.allowNet, { kind: "any" });
  assert.deepEqual(config.listen, { host: "0.0.0.0", port: 7700 });
});

Deno.test("loadConfig() reads --allow-net=0.0.0.0 as any host", () => {
  assert.deepEqual(load(["--allow-net=0.0.0.0"]).allowNet, { kind: "any" });
});

Deno.test("loadConfig() refuses a 0.0.0.0 bind without --allow-net, naming --allow-net", () => {
  const err = loadFails(["--listen", "0.0.0.0:7700"], { SKILLLITE_SWARM_TOKEN: "t" });
  assert.match(err.message, /--allow-net/);
  assert.match(err.message, /^Refusing to listen on 0\.0\.0\.0/);
});

Deno.test("loadConfig() refuses an IPv6 wildcard or LAN bind without --allow-net", () => {
  for (const listen of ["[::]:7700", "192.168.1.5:7700", "node.lan:7700"]) {
    const err = loadFails(["--listen", listen, "--insecure-no-auth"]);
    assert.match(err.message, /--allow-net/);
  }
});

Deno.test("loadConfig() refuses a non-loopback bind without a token unless --insecure-no-auth", () => {
  const err = loadFails(["--listen", "0.0.0.0:7700", "--allow-net"]);
  assert.match(err.message, /without authentication/);
  assert.match(err.message, /SKILLLITE_SWARM_TOKEN/);
  assert.match(err.message, /--insecure-no-auth/);
  // A blank token is no token.
  loadFails(["--listen", "0.0.0.0:7700", "--allow-net"], { SKILLLITE_SWARM_TOKEN: "  \n" });
});

Deno.test("loadConfig() accepts a non-loopback bind with --allow-net and a token or the insecure flag", () => {
  const withToken = load(["--listen", "0.0.0.0:7700", "--allow-net"], {
    SKILLLITE_SWARM_TOKEN: "s3cret",
  });
  assert.equal(withToken.token, "s3cret");
  const insecure = load(["--listen", "0.0.0.0:7700", "--allow-net", "--insecure-no-auth"]);
  assert.equal(insecure.token, undefined);
  assert.equal(insecure.insecureNoAuth, true);
  const listed = load(["--listen", "192.168.1.5:7700", "--allow-net=192.168.1.0/24"], {
    SKILLLITE_SWARM_TOKEN: "s3cret",
  });
  assert.deepEqual(listed.allowNet, { kind: "list", hosts: ["192.168.1.0/24"] });
});

Deno.test("loadConfig() accepts loopback binds without --allow-net or a token", () => {
  for (const listen of ["127.0.0.1:7700", "127.0.0.2:7700", "localhost:7700", "[::1]:7700"]) {
    assert.equal(load(["--listen", listen]).token, undefined, listen);
  }
});

const TOKENS: Array<[raw: string | undefined, expected: string | undefined]> = [
  ["s3cret", "s3cret"],
  ["  s3cret \n", "s3cret"],
  ["", undefined],
  ["   ", undefined],
  [undefined, undefined],
];

for (const [raw, expected] of TOKENS) {
  Deno.test(`loadConfig() reads SKILLLITE_SWARM_TOKEN=${JSON.stringify(raw)} as ${JSON.stringify(expected)}`, () => {
    assert.equal(load([], { SKILLLITE_SWARM_TOKEN: raw }).token, expected);
  });
}

Deno.test("loadConfig() reads --token-file relative to cwd, trimmed, over the environment", () => {
  const config = load(["--token-file", "secrets/token"], { SKILLLITE_SWARM_TOKEN: "from-env" }, {
    "/srv/node/secrets/token": "  from-file\n",
  });
  assert.equal(config.token, "from-file");
});

Deno.test("loadConfig() reads the token file named by SWARM_TOKEN_FILE", () => {
  const config = load([], { SWARM_TOKEN_FILE: "/etc/swarm/token" }, {
    "/etc/swarm/token": "abc\n",
  });
  assert.equal(config.token, "abc");
});

Deno.test("loadConfig() reads --token-file from a real file", async () => {
  await withTempDir((dir) => {
    Deno.writeTextFileSync(join(dir, "token"), "real-secret\n");
    const result = loadConfig({ args: ["--token-file", "token"], env: {}, cwd: dir });
    assert.ok(!result.help && result.config.token === "real-secret");
  });
});

Deno.test("loadConfig() refuses an empty or missing token file", () => {
  const empty = loadFails(["--token-file", "t"], {}, { "/srv/node/t": " \n" });
  assert.match(empty.message, /Token file '\/srv\/node\/t' is empty/);
  const missing = loadFails(["--token-file", "nope"], { SKILLLITE_SWARM_TOKEN: "env" });
  assert.match(missing.message, /^Cannot read token file '\/srv\/node\/nope': /);
});

const BAD_FLAGS: Array<[args: string[], messagePart: RegExp]> = [
  [["--bogus"], /Unknown option '--bogus'/],
  [["-x"], /Unknown option '-x'/],
  [["serve-me"], /Unexpected argument 'serve-me'/],
  [["--insecure-no-auth=false"], /does not take an argument/],
  [["--max-hops"], /--max-hops/],
  [["--listen", "70000"], /port must be 0-65535/],
  [["--listen", "::1:7700"], /Cannot parse listen address '::1:7700'/],
  [["--allow-net=bad!"], /Cannot parse --allow-net entry 'bad!'/],
  [["--log-level", "verbose"], /--log-level must be debug, info, warning or error/],
  [["--peer", "10.0.0.1"], /Cannot parse --peer '10.0.0.1'/],
];

for (const [args, messagePart] of BAD_FLAGS) {
  Deno.test(`loadConfig() refuses ${JSON.stringify(args)} with a ConfigError`, () => {
    const err = loadFails(args);
    assert.match(err.message, messagePart);
    assert.ok(!err.message.includes("\n"), "one line");
  });
}

const BAD_INTEGERS: Array<[text: string, why: string]> = [
  ["abc", "not a number"],
  ["-1", "negative"],
  ["1.5", "fractional"],
  ["9007199254740993", "beyond a safe integer"],
  ["", "empty (would silently become 0)"],
  [" ", "blank (would silently become 0)"],
  ["0x10", "hexadecimal"],
  ["1e3", "exponent notation"],
];

for (const [text, why] of BAD_INTEGERS) {
  Deno.test(`loadConfig() refuses --max-hops ${JSON.stringify(text)} (${why})`, () => {
    const err = loadFails([`--max-hops=${text}`]);
    assert.match(
      err.message,
      /^Option --max-hops must be a non-negative integer: current value is /,
    );
  });
}

Deno.test("loadConfig() refuses a non-integer from the environment, naming the variable", () => {
  const err = loadFails([], { SWARM_TASK_TIMEOUT_MS: "soon" });
  assert.equal(
    err.message,
    "Environment variable SWARM_TASK_TIMEOUT_MS must be a non-negative integer: current value is soon",
  );
});

// Issue 14: `--max-hops -1` said "argument is ambiguous" (parseArgs reads -1 as a flag).
for (const args of [["--max-hops", "-1"], ["--task-timeout-ms", "-250"], ["--max-hops", "-0.5"]]) {
  Deno.test(`loadConfig() gives ${args.join(" ")} the flag's range error`, () => {
    const err = loadFails(args);
    assert.equal(
      err.message,
      `Option ${args[0]} must be a non-negative integer: current value is ${args[1]}`,
    );
  });
}

Deno.test("loadConfig() still calls a flag followed by another flag a missing value", () => {
  const err = loadFails(["--max-hops", "--no-mdns"]);
  assert.match(err.message, /^Option '--max-hops' argument is ambiguous/);
});

// Issue 14: errors of values from the environment or the config file named the flag.
const NAMED_SOURCES: Array<[name: string, env: Env, file: unknown, message: string]> = [
  [
    "a negative SWARM_MAX_HOPS",
    { SWARM_MAX_HOPS: "-1" },
    undefined,
    "Environment variable SWARM_MAX_HOPS must be a non-negative integer: current value is -1",
  ],
  [
    "maxHops -1 in the config file",
    {},
    { maxHops: -1 },
    "Key maxHops in config file '/c.json' must be a non-negative integer: current value is -1",
  ],
  [
    "SWARM_TASK_TIMEOUT_MS=0 (below the minimum)",
    { SWARM_TASK_TIMEOUT_MS: "0" },
    undefined,
    "Environment variable SWARM_TASK_TIMEOUT_MS must be positive: current value is 0",
  ],
  [
    "taskTimeoutMs 0 in the config file (below the minimum)",
    {},
    { taskTimeoutMs: 0 },
    "Key taskTimeoutMs in config file '/c.json' must be positive: current value is 0",
  ],
  [
    "a bad SWARM_LOG_LEVEL",
    { SWARM_LOG_LEVEL: "loud" },
    undefined,
    "Environment variable SWARM_LOG_LEVEL must be debug, info, warning or error: current value is loud",
  ],
  [
    "a bad SWARM_ALLOW_NET entry",
    { SWARM_ALLOW_NET: "bad!" },
    undefined,
    "Cannot parse SWARM_ALLOW_NET entry 'bad!': expected a host, host:port or CIDR range",
  ],
  [
    "a bad peer seed in the config file",
    {},
    { peers: ["10.0.0.1"] },
    "Cannot parse peers '10.0.0.1': expected HOST:PORT with an explicit port (config file '/c.json')",
  ],
  [
    "a bad SWARM_LISTEN",
    { SWARM_LISTEN: "70000" },
    undefined,
    "Cannot parse listen address '70000': port must be 0-65535 (SWARM_LISTEN)",
  ],
  [
    "a retry cap in the file below the base delay from the environment",
    { SWARM_RETRY_BASE_DELAY_MS: "500" },
    { retryMaxDelayMs: 400 },
    "Key retryMaxDelayMs in config file '/c.json' must be at least SWARM_RETRY_BASE_DELAY_MS (500): current value is 400",
  ],
];

for (const [name, env, file, message] of NAMED_SOURCES) {
  Deno.test(`loadConfig() names where ${name} came from`, () => {
    const args = file === undefined ? [] : ["--config", "/c.json"];
    const files: Files = file === undefined ? {} : { "/c.json": JSON.stringify(file) };
    assert.equal(loadFails(args, env, files).message, message);
  });
}

Deno.test("loadConfig() names the flag when a flag overrides a bad environment value", () => {
  const err = loadFails(["--max-hops", "x"], { SWARM_MAX_HOPS: "-1" });
  assert.equal(err.message, "Option --max-hops must be a non-negative integer: current value is x");
});

const BAD_FILE_INTEGERS: unknown[] = [true, null, [], [5], {}, 1.5, -3, "x"];

for (const value of BAD_FILE_INTEGERS) {
  Deno.test(`loadConfig() refuses maxHops ${JSON.stringify(value)} in the config file`, () => {
    const err = loadFails(["--config", "/c.json"], {}, {
      "/c.json": JSON.stringify({ maxHops: value }),
    });
    assert.match(
      err.message,
      /^Key maxHops in config file '\/c\.json' must be a non-negative integer/,
    );
  });
}

const ZERO_REFUSED = [
  "task-timeout-ms",
  "forward-timeout-ms",
  "can-do-timeout-ms",
  "peer-probe-interval-ms",
  "max-body-bytes",
  "max-output-bytes",
];

for (const flag of ZERO_REFUSED) {
  Deno.test(`loadConfig() refuses --${flag} 0`, () => {
    const err = loadFails([`--${flag}`, "0"]);
    assert.match(err.message, /^Option --[a-z-]+ must be positive: current value is 0$/);
  });
}

Deno.test("loadConfig() accepts --max-hops 0 (never forward)", () => {
  assert.equal(load(["--max-hops", "0"]).maxHops, 0);
});

const BAD_FILES: Array<[name: string, content: string, messagePart: RegExp]> = [
  ["an unknown key", JSON.stringify({ listne: "7701" }), /has an unknown key 'listne'/],
  ["the config key itself", JSON.stringify({ config: "other.json" }), /unknown key 'config'/],
  ["the flag spelling of a key", JSON.stringify({ "max-hops": 1 }), /unknown key 'max-hops'/],
  ["invalid JSON", "{ listen: 7701 }", /^Cannot read config file '\/c\.json': /],
  ["an array", "[]", /must hold a JSON object/],
  ["null", "null", /must hold a JSON object/],
  [
    "a mistyped boolean",
    JSON.stringify({ insecureNoAuth: "yes" }),
    /^Key insecureNoAuth in config file '\/c\.json' must be true or false$/,
  ],
  [
    "a mistyped list",
    JSON.stringify({ peers: "10.0.0.1:7700" }),
    /^Key peers in config file '\/c\.json' must be a list of strings$/,
  ],
  [
    "a list with a non-string",
    JSON.stringify({ skillsDirs: ["a", 1] }),
    /^Key skillsDirs in config file '\/c\.json' must be a list of strings$/,
  ],
  [
    "a mistyped string",
    JSON.stringify({ listen: 7701 }),
    /^Key listen in config file '\/c\.json' must be a string$/,
  ],
];

for (const [name, content, messagePart] of BAD_FILES) {
  Deno.test(`loadConfig() refuses a config file with ${name}`, () => {
    const err = loadFails(["--config", "/c.json"], {}, { "/c.json": content });
    assert.match(err.message, messagePart);
  });
}

Deno.test("loadConfig() refuses a missing config file", () => {
  const err = loadFails(["--config", "missing.json"]);
  assert.match(err.message, /^Cannot read config file '\/srv\/node\/missing\.json': /);
});

const PEERS: Array<[seed: string, expected: string]> = [
  ["127.0.0.1:7701", "http://127.0.0.1:7701"],
  ["node.lan:7700", "http://node.lan:7700"],
  ["  10.0.0.5:7700  ", "http://10.0.0.5:7700"],
  ["http://10.0.0.5:7700", "http://10.0.0.5:7700"],
  ["http://10.0.0.5:7700/", "http://10.0.0.5:7700"],
  ["https://node.lan:7443", "https://node.lan:7443"],
  ["HTTP://Node.LAN:7700", "http://node.lan:7700"],
  ["[::1]:7701", "http://[::1]:7701"],
  ["https://[fe80::1]:7443", "https://[fe80::1]:7443"],
];

for (const [seed, expected] of PEERS) {
  Deno.test(`normalisePeerSeed() turns ${JSON.stringify(seed)} into ${expected}`, () => {
    assert.equal(normalisePeerSeed(seed), expected);
  });
}

const BAD_PEERS: string[] = [
  "10.0.0.5",
  "http://10.0.0.5",
  "node.lan",
  "10.0.0.5:7700/path",
  "10.0.0.5:7700?x=1",
  "user@10.0.0.5:7700",
  "10.0.0.5:99999",
  "ftp://10.0.0.5:21",
  "",
];

for (const seed of BAD_PEERS) {
  Deno.test(`normalisePeerSeed() refuses ${JSON.stringify(seed)}`, () => {
    assert.throws(() => normalisePeerSeed(seed), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, new RegExp(`^Cannot parse --peer '${RegExp.escape(seed)}': `));
      return true;
    });
  });
}

Deno.test("normalisePeerSeed() accepts a seed whose explicit port is the scheme's default", () => {
  // `10.0.0.5:80` names its port explicitly; the URL parser merely elides a default
  // port, which must not turn into "expected HOST:PORT with an explicit port".
  for (
    const [seed, base] of [["10.0.0.5:80", "http://10.0.0.5"], [
      "https://node.lan:443",
      "https://node.lan",
    ]]
  ) {
    let normalised: string | undefined;
    assert.doesNotThrow(() => normalised = normalisePeerSeed(seed), seed);
    assert.ok(
      normalised === base || normalised === `${base}:${seed.split(":").at(-1)}`,
      normalised,
    );
  }
});

Deno.test("loadConfig() puts the default data dir under $XDG_DATA_HOME/swarm/<port>", () => {
  assert.equal(
    load(["--listen", "7705"], { XDG_DATA_HOME: "/xdg/data" }).dataDir,
    "/xdg/data/swarm/7705",
  );
  assert.equal(load([], { XDG_DATA_HOME: "/xdg/data" }).dataDir, "/xdg/data/swarm/7700");
});

Deno.test("loadConfig() falls back to $HOME/.local/share/swarm/<port> without XDG_DATA_HOME", () => {
  assert.equal(
    load(["--listen", ":7706"], { XDG_DATA_HOME: "" }).dataDir,
    "/home/u/.local/share/swarm/7706",
  );
});

Deno.test("loadConfig() keeps --data-dir :memory: and resolves other data dirs against cwd", () => {
  assert.equal(load(["--data-dir", ":memory:"]).dataDir, ":memory:");
  assert.equal(load(["--data-dir", "state"]).dataDir, "/srv/node/state");
  assert.equal(load(["--data-dir", "/var/lib/swarm"]).dataDir, "/var/lib/swarm");
});

Deno.test("loadConfig() turns a blank --executor-cmd into none", () => {
  assert.equal(load(["--executor-cmd", "   "]).executorCmd, undefined);
});

Deno.test("loadConfig() reads the LLM inference settings from SkillLite's variables", () => {
  const config = load([], {
    OPENAI_API_KEY: "sk-test",
    OPENAI_BASE_URL: "http://127.0.0.1:9/v1",
    MODEL: "tiny",
  });
  assert.deepEqual(config.llm, {
    enabled: true,
    apiKey: "sk-test",
    baseUrl: "http://127.0.0.1:9/v1",
    model: "tiny",
    timeoutMs: 15_000,
  });
  assert.equal(
    load([], { OPENAI_API_KEY: "k", SKILLLITE_SWARM_LLM_ROUTING: "0" }).llm.enabled,
    false,
  );
});

Deno.test("loadConfig() uses the real cwd and file reader by default", async () => {
  await withTempDir((dir) => {
    const file = join(dir, "swarm.json");
    Deno.writeTextFileSync(file, JSON.stringify({ maxHops: 9 }));
    const sources: ConfigSources = { args: ["--config", file, "--data-dir", "rel"], env: {} };
    const result = loadConfig(sources);
    assert.ok(!result.help);
    if (result.help) return;
    assert.equal(result.config.maxHops, 9);
    assert.equal(result.config.dataDir, join(Deno.cwd(), "rel"));
  });
});

// ---- Security options (issue 6): TLS, mTLS, keyring, node token, rate limits ----

const TLS = ["--tls-cert", "tls/node.crt", "--tls-key", "tls/node.key"];
const LAN = ["--listen", "0.0.0.0:7700", "--allow-net"];

Deno.test("loadConfig() resolves the security file paths against cwd and keeps absolute ones", () => {
  const config = load([
    ...TLS,
    "--tls-client-ca",
    "tls/ca.crt",
    "--tls-ca",
    "/etc/swarm/peers-ca.crt",
    "--keyring",
    "keyring.json",
  ]);
  assert.equal(config.tlsCertFile, "/srv/node/tls/node.crt");
  assert.equal(config.tlsKeyFile, "/srv/node/tls/node.key");
  assert.equal(config.tlsClientCaFile, "/srv/node/tls/ca.crt");
  assert.equal(config.tlsCaFile, "/etc/swarm/peers-ca.crt");
  assert.equal(config.keyringFile, "/srv/node/keyring.json");
});

Deno.test("loadConfig() takes the security options from their environment variables", () => {
  const config = load([], {
    SWARM_TLS_CERT: "a.crt",
    SWARM_TLS_KEY: "a.key",
    SWARM_TLS_CLIENT_CA: "ca.crt",
    SWARM_TLS_CA: "peers.crt",
    SWARM_KEYRING: "../keyring.json",
    SWARM_ALLOW_PLAIN_PEERS: "1",
    SWARM_FORWARD_SCOPED_TO_SKILLLITE: "true",
    SWARM_TASK_RATE: "5",
    SWARM_TASK_BURST: "7",
    SWARM_MAX_HEADER_BYTES: "2048",
    SWARM_MAX_HEADERS: "12",
  });
  assert.equal(config.tlsCertFile, "/srv/node/a.crt");
  assert.equal(config.tlsKeyFile, "/srv/node/a.key");
  assert.equal(config.tlsClientCaFile, "/srv/node/ca.crt");
  assert.equal(config.tlsCaFile, "/srv/node/peers.crt");
  assert.equal(config.keyringFile, "/srv/keyring.json");
  assert.equal(config.allowPlainPeers, true);
  assert.equal(config.forwardScopedToSkilllite, true);
  assert.equal(config.taskRatePerSecond, 5);
  assert.equal(config.taskRateBurst, 7);
  assert.equal(config.maxHeaderBytes, 2048);
  assert.equal(config.maxHeaders, 12);
});

Deno.test("loadConfig() takes the security options from the config file, relative to cwd", () => {
  const config = load(["--config", "swarm.json"], {}, {
    "/srv/node/swarm.json": JSON.stringify({
      tlsCertFile: "n.crt",
      tlsKeyFile: "n.key",
      keyringFile: "kr.json",
      forwardScopedToSkilllite: true,
    }),
  });
  assert.equal(config.tlsCertFile, "/srv/node/n.crt");
  assert.equal(config.tlsKeyFile, "/srv/node/n.key");
  assert.equal(config.keyringFile, "/srv/node/kr.json");
  assert.equal(config.forwardScopedToSkilllite, true);
});

const TLS_PAIRS: Array<[name: string, args: string[]]> = [
  ["--tls-cert without --tls-key", ["--tls-cert", "n.crt"]],
  ["--tls-key without --tls-cert", ["--tls-key", "n.key"]],
  ["--tls-cert and --tls-client-ca without --tls-key", [
    "--tls-cert",
    "n.crt",
    "--tls-client-ca",
    "ca.crt",
  ]],
];

for (const [name, args] of TLS_PAIRS) {
  Deno.test(`loadConfig() refuses ${name}`, () => {
    const err = loadFails(args);
    assert.equal(
      err.message,
      "Options --tls-cert and --tls-key go together: give both or neither",
    );
  });
}

Deno.test("loadConfig() refuses --tls-client-ca without the node's own certificate", () => {
  const err = loadFails(["--tls-client-ca", "ca.crt"]);
  assert.match(err.message, /^Option --tls-client-ca \(mTLS\) needs the node's own --tls-cert/);
  assert.ok(!err.message.includes("\n"));
});

Deno.test("loadConfig() accepts TLS alone and mTLS on loopback", () => {
  assert.equal(load(TLS).tlsClientCaFile, undefined);
  assert.equal(load([...TLS, "--tls-client-ca", "ca.crt"]).tlsClientCaFile, "/srv/node/ca.crt");
});

const LAN_AUTH: Array<[name: string, args: string[], env: Env]> = [
  ["a shared token", [], { SKILLLITE_SWARM_TOKEN: "s3cret" }],
  ["--keyring alone", ["--keyring", "kr.json"], {}],
  ["SWARM_KEYRING alone", [], { SWARM_KEYRING: "kr.json" }],
  ["--tls-client-ca alone (no token)", [...TLS, "--tls-client-ca", "ca.crt"], {}],
  ["--insecure-no-auth", ["--insecure-no-auth"], {}],
];

for (const [name, args, env] of LAN_AUTH) {
  Deno.test(`loadConfig() accepts a non-loopback bind with ${name}`, () => {
    const config = load([...LAN, ...args], env);
    assert.deepEqual(config.listen, { host: "0.0.0.0", port: 7700 });
  });
}

const LAN_NO_AUTH: Array<[name: string, args: string[], env: Env]> = [
  ["nothing", [], {}],
  ["TLS without client certificates", TLS, {}],
  ["a peer CA only", ["--tls-ca", "ca.crt"], {}],
  ["only a node token", [], { SWARM_NODE_TOKEN: "node" }],
  ["an empty --keyring", ["--keyring="], {}],
];

for (const [name, args, env] of LAN_NO_AUTH) {
  Deno.test(`loadConfig() refuses a non-loopback bind with ${name} for authentication`, () => {
    const err = loadFails([...LAN, ...args], env);
    assert.match(err.message, /^Refusing to listen on 0\.0\.0\.0 without authentication: /);
    for (const way of ["SKILLLITE_SWARM_TOKEN", "--keyring", "--tls-client-ca"]) {
      assert.ok(err.message.includes(way), `the message names ${way}`);
    }
  });
}

Deno.test("loadConfig() refuses a plain http:// peer on a TLS node, naming it and the way out", () => {
  for (const peer of ["http://10.0.0.2:7700", "HTTP://10.0.0.2:7700"]) {
    const err = loadFails([...TLS, "--peer", "https://10.0.0.3:7443", "--peer", peer]);
    assert.equal(
      err.message,
      "Peer http://10.0.0.2:7700 is plain HTTP but this node serves TLS: use https:// (or pass --allow-plain-peers)",
    );
  }
  const fromEnv = loadFails(TLS, { SWARM_PEERS: "https://10.0.0.3:7443,http://10.0.0.4:7700" });
  assert.match(fromEnv.message, /^Peer http:\/\/10\.0\.0\.4:7700 is plain HTTP/);
});

Deno.test("loadConfig() lets a TLS node use http:// peers with --allow-plain-peers", () => {
  const config = load([...TLS, "--allow-plain-peers", "--peer", "http://10.0.0.2:7700"]);
  assert.equal(config.allowPlainPeers, true);
  assert.deepEqual(config.peers, ["http://10.0.0.2:7700"]);
});

Deno.test("loadConfig() lets a plain node use https:// and http:// peers", () => {
  const config = load(["--peer", "https://10.0.0.3:7443", "--peer", "http://10.0.0.2:7700"]);
  assert.deepEqual(config.peers, ["https://10.0.0.3:7443", "http://10.0.0.2:7700"]);
  assert.equal(config.allowPlainPeers, false);
});

const SEED_SCHEMES: Array<[name: string, args: string[], expected: string[]]> = [
  ["a plain node reaches a bare seed over http", ["--peer", "10.0.0.2:7700"], [
    "http://10.0.0.2:7700",
  ]],
  ["a TLS node reaches a bare seed over https", [...TLS, "--peer", "10.0.0.2:7443"], [
    "https://10.0.0.2:7443",
  ]],
  ["an mTLS node reaches a bare seed over https", [
    ...TLS,
    "--tls-client-ca",
    "ca.crt",
    "--peer",
    "node.lan:7443",
  ], ["https://node.lan:7443"]],
  ["a TLS node keeps an explicit scheme", [
    ...TLS,
    "--allow-plain-peers",
    "--peer",
    "[::1]:7443",
    "--peer",
    "http://10.0.0.2:7700",
  ], ["https://[::1]:7443", "http://10.0.0.2:7700"]],
  ["a node with only a peer CA reaches a bare seed over http", [
    "--tls-ca",
    "ca.crt",
    "--peer",
    "10.0.0.2:7700",
  ], ["http://10.0.0.2:7700"]],
];

for (const [name, args, expected] of SEED_SCHEMES) {
  Deno.test(`loadConfig(): ${name}`, () => {
    assert.deepEqual(load(args).peers, expected);
  });
}

Deno.test("normalisePeerSeed() gives a bare seed the default scheme asked for", () => {
  assert.equal(normalisePeerSeed("10.0.0.2:7443", "https"), "https://10.0.0.2:7443");
  assert.equal(normalisePeerSeed("http://10.0.0.2:7700", "https"), "http://10.0.0.2:7700");
  assert.equal(normalisePeerSeed("https://10.0.0.2:7443", "http"), "https://10.0.0.2:7443");
});

const NODE_TOKENS: Array<
  [name: string, args: string[], env: Env, files: Files, expected: string | undefined]
> = [
  ["no token at all", [], {}, {}, undefined],
  ["the shared token by default", [], { SKILLLITE_SWARM_TOKEN: "shared" }, {}, "shared"],
  [
    "the shared token file by default",
    ["--token-file", "t"],
    {},
    { "/srv/node/t": "file\n" },
    "file",
  ],
  [
    "SWARM_NODE_TOKEN over the shared token",
    [],
    {
      SKILLLITE_SWARM_TOKEN: "shared",
      SWARM_NODE_TOKEN: " node\n",
    },
    {},
    "node",
  ],
  ["SWARM_NODE_TOKEN without a shared token", [], { SWARM_NODE_TOKEN: "node" }, {}, "node"],
  [
    "a blank SWARM_NODE_TOKEN as none",
    [],
    {
      SKILLLITE_SWARM_TOKEN: "shared",
      SWARM_NODE_TOKEN: "  ",
    },
    {},
    "shared",
  ],
  [
    "--node-token-file over SWARM_NODE_TOKEN, trimmed",
    ["--node-token-file", "secrets/node"],
    {
      SWARM_NODE_TOKEN: "env",
      SKILLLITE_SWARM_TOKEN: "shared",
    },
    { "/srv/node/secrets/node": "  from-file\n" },
    "from-file",
  ],
  ["SWARM_NODE_TOKEN_FILE", [], { SWARM_NODE_TOKEN_FILE: "/etc/swarm/node-token" }, {
    "/etc/swarm/node-token": "abc",
  }, "abc"],
];

for (const [name, args, env, files, expected] of NODE_TOKENS) {
  Deno.test(`loadConfig() sets the node token from ${name}`, () => {
    const config = load(args, env, files);
    assert.equal(config.nodeToken, expected);
  });
}

Deno.test("loadConfig() keeps the node token apart from the shared token it accepts", () => {
  const config = load([], { SKILLLITE_SWARM_TOKEN: "shared", SWARM_NODE_TOKEN: "node" });
  assert.equal(config.token, "shared");
  assert.equal(config.nodeToken, "node");
});

Deno.test("loadConfig() refuses an empty or missing node token file", () => {
  const empty = loadFails(["--node-token-file", "nt"], { SKILLLITE_SWARM_TOKEN: "s" }, {
    "/srv/node/nt": " \n\t",
  });
  assert.equal(empty.message, "Node token file '/srv/node/nt' is empty");
  const missing = loadFails(["--node-token-file", "nope"], { SWARM_NODE_TOKEN: "env" });
  assert.match(missing.message, /^Cannot read node token file '\/srv\/node\/nope': /);
});

Deno.test("loadConfig() has the documented security defaults", () => {
  const config = load([]);
  assert.equal(config.taskRatePerSecond, 20);
  assert.equal(config.taskRateBurst, 40);
  assert.equal(config.maxHeaderBytes, 16_384);
  assert.equal(config.maxHeaders, 100);
  assert.equal(config.allowPlainPeers, false);
  assert.equal(config.forwardScopedToSkilllite, false);
});

for (const flag of ["task-burst", "max-header-bytes", "max-headers"]) {
  Deno.test(`loadConfig() refuses --${flag} 0`, () => {
    const err = loadFails([`--${flag}`, "0"]);
    assert.equal(err.message, `Option --${flag} must be positive: current value is 0`);
  });
}

Deno.test("loadConfig() accepts --task-rate 0 (no rate limit)", () => {
  assert.equal(load(["--task-rate", "0"]).taskRatePerSecond, 0);
});
