/**
 * Every place that states a default agrees with the presets: the option table and
 * `swarm serve --help`, the table and the prose of the docs, the `@default` tags of
 * `Config` and of the policies, and the policy defaults themselves. A default changed in
 * `DEFAULT_CONFIG` or `LAN_CONFIG` fails here until every statement of it follows.
 */
import assert from "node:assert/strict";
import {
  type Config,
  type ConfigPreset,
  DEAD_PROBE_INTERVAL_MS,
  DEFAULT_CONFIG,
  executionPolicyOf,
  healthPolicyOf,
  LAN_CONFIG,
  LATENCY_EWMA_ALPHA,
  loadConfig,
  OPTIONS,
  type OptionSpec,
  presetFor,
  RETRY_JITTER,
  retryPolicyOf,
  serveHelp,
} from "../../lib/config/mod.ts";
import { DEFAULT_RETRY_POLICY } from "../../lib/routing/mod.ts";
import { DEFAULT_HEALTH_POLICY, detectionTimeBoundMs } from "../../lib/peers/mod.ts";
import { DEFAULT_EXECUTION_POLICY, DEFAULT_SKILL_LIMITS } from "../../lib/execution/mod.ts";

const ROOT = new URL("../../", import.meta.url);
const read = (path: string) => Deno.readTextFileSync(new URL(path, ROOT));

/** The fields the LAN preset changes, and only those. */
const LAN_CHANGES = ["listen", "allowNet", "mdnsEnabled", "healthTimeoutMs"];

const preset = (config: Readonly<ConfigPreset>, key: string): unknown =>
  (config as unknown as Record<string, unknown>)[key];

/** Options whose default is a preset value (the others are computed at load time). */
const PRESET_OPTIONS = OPTIONS.filter((o) => {
  const value = preset(DEFAULT_CONFIG, o.key);
  return ["number", "boolean", "string"].includes(typeof value) || o.key === "listen";
});

/** A preset value as text: `host:port` for the listen address, else `String()`. */
function text(key: string, value: unknown): string {
  if (key === "listen") {
    const { host, port } = value as Config["listen"];
    return `${host}:${port}`;
  }
  return String(value);
}

/**
 * Why `shown`, a default as some text states it, disagrees with the presets for
 * `option`; undefined when it agrees: it starts with the loopback value and names the LAN
 * value, when that differs, as `(LAN: value)`.
 */
function disagreement(option: OptionSpec, shown: string): string | undefined {
  const base = text(option.key, preset(DEFAULT_CONFIG, option.key));
  const lan = text(option.key, preset(LAN_CONFIG, option.key));
  if (!(shown === base || shown.startsWith(`${base} `))) {
    return `--${option.flag}: '${shown}' does not start with the preset's ${base}`;
  }
  const lanNote = /\(LAN: ([^)]*)\)/.exec(shown)?.[1];
  if (option.key !== "listen" && lan !== base && lanNote !== lan) {
    return `--${option.flag}: '${shown}' does not give the LAN preset's ${lan} as '(LAN: ${lan})'`;
  }
  if (lan === base && lanNote !== undefined) {
    return `--${option.flag}: '${shown}' names a LAN value but the LAN preset keeps ${base}`;
  }
  return undefined;
}

function assertAgrees(option: OptionSpec, shown: string, where: string): void {
  const why = disagreement(option, shown);
  assert.equal(why, undefined, `${where}: ${why}`);
}

Deno.test("consistency: the option table's defaults are the presets'", () => {
  assert.ok(PRESET_OPTIONS.length >= 40, "most options take their default from a preset");
  for (const option of PRESET_OPTIONS) assertAgrees(option, option.defaultText, "OPTIONS");
});

Deno.test("consistency: swarm serve --help shows every preset default", () => {
  const lines = serveHelp().split("\n");
  for (const option of PRESET_OPTIONS) {
    const at = lines.findIndex((l) => l.startsWith(`  --${option.flag} `));
    assert.ok(at >= 0, `--${option.flag} is in the help`);
    const shown = /default: (.*?)(?: \[env [A-Z_]+\])?$/.exec(lines[at + 1])?.[1];
    assert.ok(shown !== undefined, `--${option.flag} has a default line in the help`);
    assertAgrees(option, shown, "swarm serve --help");
  }
});

Deno.test("consistency: docs/configuration.md's table gives every option's default", () => {
  const rows = read("docs/configuration.md").split("\n");
  for (const option of OPTIONS) {
    const row = rows.find((l) => l.startsWith(`| \`--${option.flag}${option.arg ? " " : "`"}`));
    assert.ok(row, `--${option.flag} has a row in docs/configuration.md`);
    const shown = row.split("|")[4].trim();
    assert.equal(shown, option.defaultText, `docs/configuration.md: default of --${option.flag}`);
    if (PRESET_OPTIONS.includes(option)) assertAgrees(option, shown, "docs/configuration.md");
  }
});

/** Factors of the units the docs write defaults in, by the unit of the option. */
const UNITS: Record<string, Record<string, number>> = {
  ms: { "": 1, ms: 1, s: 1000, h: 3_600_000, day: 86_400_000, days: 86_400_000 },
  s: { "": 1, s: 1 },
  bytes: { "": 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 },
  count: { "": 1 },
};

function unitOf(option: OptionSpec): Record<string, number> {
  if (option.key.endsWith("Ms")) return UNITS.ms;
  if (option.key.endsWith("S")) return UNITS.s;
  if (option.key.endsWith("Bytes")) return UNITS.bytes;
  return UNITS.count;
}

/**
 * `--flag` followed by a default in prose: `(100)`, `(8 MiB)`, `(default 120 s)`,
 * `, default 3`; with the LAN value after it when that differs: `(500; LAN: 1000)`.
 */
const AMOUNT = String.raw`(\d[\d ,]*?)\s*(ms|s|h|days?|KiB|MiB|GiB)?(?=[\s),;.])`;
const PROSE_DEFAULT = new RegExp(
  String.raw`\`--([a-z][a-z-]*)\`(?:\s*\(|,)\s*(?:default:?\s+)?${AMOUNT}(;\s*LAN:\s*${AMOUNT})?`,
  "g",
);

/** Every default the docs state in prose that disagrees with the presets. */
function proseDisagreements(files: string[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    const source = read(file);
    for (const m of source.matchAll(PROSE_DEFAULT)) {
      const option = OPTIONS.find((o) => o.flag === m[1]);
      const line = source.slice(0, m.index).split("\n").length;
      const where = `${file}:${line}: '${m[0].replaceAll("\n", " ")}'`;
      if (option === undefined || !PRESET_OPTIONS.includes(option)) {
        found.push(`${where}: --${m[1]} has no preset default`);
        continue;
      }
      const units = unitOf(option);
      const value = (n: string, unit = "") =>
        unit in units ? Number(n.replace(/[ ,]/g, "")) * units[unit] : NaN;
      const base = preset(DEFAULT_CONFIG, option.key);
      const lan = preset(LAN_CONFIG, option.key);
      if (value(m[2], m[3]) !== base) found.push(`${where}: the loopback preset says ${base}`);
      if (lan !== base && (m[5] === undefined || value(m[5], m[6]) !== lan)) {
        found.push(`${where}: the LAN preset says ${lan} (write '; LAN: ${lan}')`);
      }
      if (lan === base && m[5] !== undefined) {
        found.push(`${where}: the LAN preset keeps ${base}`);
      }
    }
  }
  return found;
}

const DOCS = [
  "README.md",
  ...[...Deno.readDirSync(new URL("docs/", ROOT))]
    .filter((e) => e.isFile && e.name.endsWith(".md"))
    .map((e) => `docs/${e.name}`)
    .sort(),
];

Deno.test("consistency: defaults stated in the docs' prose are the presets'", () => {
  assert.deepEqual(proseDisagreements(DOCS), []);
  // The docs do state defaults this way; a pattern that finds none checks nothing.
  const stated = DOCS.flatMap((f) => [...read(f).matchAll(PROSE_DEFAULT)]).length;
  assert.ok(stated >= 20, `only ${stated} defaults found in the docs' prose`);
});

Deno.test("consistency: the docs' health and retry figures follow from the policies", () => {
  const doc = read("docs/reliability.md").replaceAll("\n", " ");
  const seconds = (config: Readonly<ConfigPreset>) =>
    `${detectionTimeBoundMs(healthPolicyOf(config)) / 1000} s`;
  assert.ok(
    doc.includes(
      `= ${seconds(DEFAULT_CONFIG)} with the defaults (${seconds(LAN_CONFIG)} with the LAN preset)`,
    ),
    `docs/reliability.md gives the bounds ${seconds(DEFAULT_CONFIG)} and ${seconds(LAN_CONFIG)}`,
  );
  // The fixed parts of the policies, as the docs state them.
  assert.ok(doc.includes(`probed every ${DEAD_PROBE_INTERVAL_MS / 1000} s`), "dead-probe interval");
  assert.ok(doc.includes(`α ${LATENCY_EWMA_ALPHA}`), "latency EWMA weight");
  assert.ok(doc.includes(`${RETRY_JITTER * 100} % jitter`), "retry jitter");
});

/** The `@default {…}` of each documented field of `interface name` in `source`. */
function documentedDefaults(source: string, name: string): Map<string, string | undefined> {
  const start = source.indexOf(`export interface ${name} {`);
  assert.ok(start >= 0, `interface ${name} found`);
  const body = source.slice(start, source.indexOf("\n}", start));
  const out = new Map<string, string | undefined>();
  for (const m of body.matchAll(/\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*(\w+)\??:/g)) {
    out.set(m[2], /@default \{([^}]*)\}/.exec(m[1])?.[1]);
  }
  return out;
}

/** A `@default {…}` value as a JavaScript value (numbers may have `_` separators). */
function parseDefault(raw: string): unknown {
  return JSON.parse(/^[\d_.]+$/.test(raw) ? raw.replaceAll("_", "") : raw);
}

Deno.test("consistency: every Config field's @default is the loopback preset's value", () => {
  const defaults = documentedDefaults(read("lib/config/config.ts"), "Config");
  for (const key of Object.keys(DEFAULT_CONFIG)) {
    const value = preset(DEFAULT_CONFIG, key);
    const raw = defaults.get(key);
    if (key === "llm") continue; // its fields are documented in LlmConfig, checked below
    assert.ok(raw !== undefined, `Config.${key} documents its @default`);
    const expected = key === "listen"
      ? text(key, value)
      : key === "allowNet"
      ? OPTIONS.find((o) => o.key === key)?.defaultText
      : value;
    assert.deepEqual(parseDefault(raw), expected, `@default of Config.${key}`);
  }
  // Every documented default belongs to a preset field (none is left over from a
  // removed default); the fields left out are computed at load time.
  for (const [key, raw] of defaults) {
    if (raw !== undefined) assert.ok(key in DEFAULT_CONFIG, `Config.${key} is in the presets`);
  }
  const llm = documentedDefaults(read("lib/config/llm_config.ts"), "LlmConfig");
  for (const [key, value] of Object.entries(DEFAULT_CONFIG.llm)) {
    const raw = llm.get(key);
    assert.ok(raw !== undefined, `LlmConfig.${key} documents its @default`);
    assert.deepEqual(parseDefault(raw), value, `@default of LlmConfig.${key}`);
  }
});

Deno.test("consistency: the policy defaults are the policies of the loopback preset", () => {
  assert.deepEqual(DEFAULT_RETRY_POLICY, retryPolicyOf(DEFAULT_CONFIG));
  assert.deepEqual(DEFAULT_HEALTH_POLICY, healthPolicyOf(DEFAULT_CONFIG));
  assert.deepEqual(DEFAULT_EXECUTION_POLICY, executionPolicyOf(DEFAULT_CONFIG));
  assert.deepEqual(DEFAULT_SKILL_LIMITS, executionPolicyOf(DEFAULT_CONFIG).limits);
  const documented: Array<[file: string, name: string, values: object]> = [
    ["lib/routing/retry_policy.ts", "RetryPolicy", DEFAULT_RETRY_POLICY],
    ["lib/peers/health_state.ts", "HealthPolicy", DEFAULT_HEALTH_POLICY],
    ["lib/execution/skill_limits.ts", "SkillLimits", DEFAULT_SKILL_LIMITS],
  ];
  for (const [file, name, values] of documented) {
    const defaults = documentedDefaults(read(file), name);
    for (const [key, value] of Object.entries(values)) {
      const raw = defaults.get(key);
      assert.ok(raw !== undefined, `${name}.${key} documents its @default`);
      assert.deepEqual(parseDefault(raw), value, `@default of ${name}.${key} (${file})`);
    }
  }
});

Deno.test("consistency: CommandExecutor's own defaults are the execution policy's", () => {
  // CommandExecutor still spells its defaults out (lib/execution/command_executor.ts);
  // they must stay those of executionPolicyOf(DEFAULT_CONFIG).
  const source = read("lib/execution/command_executor.ts");
  const documented = documentedDefaults(source, "CommandExecutorOptions");
  for (const key of ["timeoutMs", "maxOutputBytes"] as const) {
    const expected = DEFAULT_EXECUTION_POLICY[key];
    assert.equal(parseDefault(documented.get(key) ?? "null"), expected, `@default of ${key}`);
    const coded = new RegExp(`\\b${key} = ([\\w_.]+),`).exec(source)?.[1];
    assert.ok(coded !== undefined, `the default of ${key} is found in the constructor`);
    if (!coded.startsWith("DEFAULT_")) {
      assert.equal(Number(coded.replaceAll("_", "")), expected, `default of ${key} in code`);
    }
  }
});

Deno.test("consistency: the LAN preset changes only its documented fields", () => {
  const changed = Object.keys(DEFAULT_CONFIG).filter((key) =>
    JSON.stringify(preset(DEFAULT_CONFIG, key)) !== JSON.stringify(preset(LAN_CONFIG, key))
  );
  assert.deepEqual(changed.sort(), [...LAN_CHANGES].sort());
  assert.deepEqual(Object.keys(LAN_CONFIG).sort(), Object.keys(DEFAULT_CONFIG).sort());
  assert.ok(Object.isFrozen(DEFAULT_CONFIG) && Object.isFrozen(LAN_CONFIG.listen));
  // Hung-peer detection on the LAN stays within the 3 s the reliability suite expects.
  assert.ok(detectionTimeBoundMs(healthPolicyOf(LAN_CONFIG)) <= 3_000);
});

const LAN_ARGS = ["--listen", "0.0.0.0:7700", "--allow-net", "--data-dir", ":memory:"];
const TOKEN_ENV = { SKILLLITE_SWARM_TOKEN: "t" };

function loaded(args: string[], env: Record<string, string> = {}): Config {
  const result = loadConfig({ args, env, cwd: "/srv/node" });
  if (result.help) throw new Error("unexpected help");
  return result.config;
}

Deno.test("loadConfig() starts from the loopback preset, and from the LAN preset on the LAN", () => {
  const local = loaded(["--data-dir", ":memory:"]);
  const lan = loaded(LAN_ARGS, TOKEN_ENV);
  for (const key of Object.keys(DEFAULT_CONFIG)) {
    if (["listen", "allowNet", "mdnsEnabled", "llm"].includes(key)) continue;
    assert.deepEqual(preset(local, key), preset(DEFAULT_CONFIG, key), `loopback ${key}`);
    assert.deepEqual(preset(lan, key), preset(LAN_CONFIG, key), `LAN ${key}`);
  }
  assert.equal(lan.healthTimeoutMs, 1_000);
  assert.equal(local.healthTimeoutMs, 500);
});

Deno.test("loadConfig() keeps the loopback preset with --allow-net on a loopback bind", () => {
  const config = loaded(["--allow-net", "--data-dir", ":memory:"]);
  assert.equal(config.healthTimeoutMs, DEFAULT_CONFIG.healthTimeoutMs);
  assert.equal(presetFor(config.allowNet, config.listen.host), DEFAULT_CONFIG);
});

Deno.test("loadConfig() lets the file, the environment and the flags override the LAN preset", () => {
  assert.equal(loaded([...LAN_ARGS, "--health-timeout-ms", "700"], TOKEN_ENV).healthTimeoutMs, 700);
  assert.equal(
    loaded(LAN_ARGS, { ...TOKEN_ENV, SWARM_HEALTH_TIMEOUT_MS: "800" }).healthTimeoutMs,
    800,
  );
  const result = loadConfig({
    args: [...LAN_ARGS, "--config", "c.json"],
    env: TOKEN_ENV,
    cwd: "/srv/node",
    readTextFile: () => JSON.stringify({ healthTimeoutMs: 900 }),
  });
  assert.ok(!result.help && result.config.healthTimeoutMs === 900);
});

Deno.test("loadConfig() refuses every option below its minimum, naming it", () => {
  const bounded = OPTIONS.filter((o) => o.min !== undefined && o.min > 0);
  assert.ok(bounded.length >= 20);
  for (const option of bounded) {
    const below = option.min! - 1;
    assert.throws(
      () => loaded([`--${option.flag}`, String(below)]),
      {
        name: "ConfigError",
        message: option.min === 1
          ? `Option --${option.flag} must be positive: current value is 0`
          : `Option --${option.flag} must be at least ${option.min}: current value is ${below}`,
      },
    );
  }
});

Deno.test("loadConfig() refuses a retry delay cap below the first delay", () => {
  assert.throws(() => loaded(["--retry-base-delay-ms", "500", "--retry-max-delay-ms", "400"]), {
    name: "ConfigError",
    message:
      "Option --retry-max-delay-ms must be at least --retry-base-delay-ms (500): current value is 400",
  });
  assert.equal(
    loaded(["--retry-base-delay-ms", "400", "--retry-max-delay-ms", "400"]).retryMaxDelayMs,
    400,
  );
});
