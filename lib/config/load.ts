/**
 * Builds the {@link Config} from a preset (loopback or LAN), an optional JSON file, the
 * environment and flags (later wins), and validates it once.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { llmConfigFromEnv } from "./llm_config.ts";
import {
  type Config,
  DEFAULT_CONFIG,
  onLan,
  OPTIONS,
  type OptionSpec,
  presetFor,
} from "./config.ts";
import { isLoopbackHost, parseListenAddress } from "./listen_address.ts";
import { type NetAllowance, parseNetAllowance } from "./net_allowance.ts";
import { ConfigError } from "./config_error.ts";

export { ConfigError };

/** Where `loadConfig` reads from. Everything is injectable so the function is testable. */
export interface ConfigSources {
  /** Command-line arguments of the node (without the subcommand). */
  args: string[];
  /** Environment variables. */
  env: Record<string, string | undefined>;
  /** Reads a text file (config file, token file). */
  readTextFile?: (path: string) => string;
  /** Directory relative paths are resolved against. */
  cwd?: string;
}

/** Flags that may appear without a value, and the value they then mean. */
const BARE_VALUES: Record<string, string> = { "--listen": "", "--allow-net": "0.0.0.0" };

/** Rewrites `--listen` / `--allow-net` given without a value to their `=value` form. */
function normaliseBareFlags(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const next = args[i + 1];
    if (arg in BARE_VALUES && (next === undefined || next.startsWith("-"))) {
      out.push(`${arg}=${BARE_VALUES[arg]}`);
    } else {
      out.push(arg);
    }
  }
  return out;
}

/**
 * Rewrites `--flag -1` to `--flag=-1` for the flags that take a value, so a negative
 * number reaches the flag's own range check: `node:util` `parseArgs` takes any word
 * starting with `-` for a flag and calls `--flag -1` ambiguous. Only words that read as
 * a number (`-1`, `-0.5`) are joined; `--flag --other` stays a missing value.
 *
 * @param args Command-line words.
 * @param valueFlags The flags that take a value, as typed (`--max-hops`, `-n`).
 * @returns The words, with negative values joined to their flag.
 *
 * @example
 * ```ts
 * import { attachNegativeValues } from "./load.ts";
 * const args = attachNegativeValues(["--max-hops", "-1", "--json"], ["--max-hops"]);
 * console.assert(args.join(" ") === "--max-hops=-1 --json");
 * ```
 */
export function attachNegativeValues(args: string[], valueFlags: Iterable<string>): string[] {
  const flags = new Set(valueFlags);
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      out.push(...args.slice(i));
      break;
    }
    const next = args[i + 1];
    if (flags.has(arg) && next !== undefined && /^-\.?\d/.test(next)) {
      out.push(arg.startsWith("--") ? `${arg}=${next}` : `${arg}${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

type Raw = Record<string, unknown>;

function fromFlags(args: string[]): { raw: Raw; help: boolean } {
  const options: Record<
    string,
    { type: "string" | "boolean"; multiple?: boolean; short?: string }
  > = {
    help: { type: "boolean", short: "h" },
  };
  for (const o of OPTIONS) {
    options[o.flag] = o.type === "boolean"
      ? { type: "boolean" }
      : { type: "string", multiple: o.type === "list" };
  }
  let values: Record<string, unknown>;
  const valueFlags = OPTIONS.filter((o) => o.type !== "boolean").map((o) => `--${o.flag}`);
  try {
    ({ values } = parseArgs({
      args: attachNegativeValues(normaliseBareFlags(args), valueFlags),
      options,
      strict: true,
    }));
  } catch (err) {
    throw new ConfigError((err as Error).message.split("\n")[0]);
  }
  const raw: Raw = {};
  for (const o of OPTIONS) {
    if (values[o.flag] !== undefined) raw[o.key] = values[o.flag];
  }
  return { raw, help: values.help === true };
}

function fromEnv(env: ConfigSources["env"]): Raw {
  const raw: Raw = {};
  for (const o of OPTIONS) {
    const value = o.env ? env[o.env] : undefined;
    if (value === undefined || value === "") continue;
    raw[o.key] = o.type === "list"
      ? value.split(",").map((s) => s.trim()).filter(Boolean)
      : o.type === "boolean"
      ? !["0", "false", "no", "off"].includes(value.toLowerCase())
      : value;
  }
  return raw;
}

function fromFile(path: string, read: (p: string) => string): Raw {
  let parsed: unknown;
  try {
    parsed = JSON.parse(read(path));
  } catch (err) {
    throw new ConfigError(`Cannot read config file '${path}': ${(err as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`Config file '${path}' must hold a JSON object`);
  }
  const known = new Set(OPTIONS.map((o) => o.key));
  for (const key of Object.keys(parsed)) {
    if (!known.has(key) || key === "config") {
      throw new ConfigError(`Config file '${path}' has an unknown key '${key}'`);
    }
  }
  return parsed as Raw;
}

/**
 * Where a setting came from, as an error message names it: `subject` opens a sentence
 * (`Option --max-hops`, `Environment variable SWARM_MAX_HOPS`, `Key maxHops in config
 * file '/etc/swarm.json'`), `name` sits inside one (`--max-hops`, `SWARM_MAX_HOPS`,
 * `maxHops in config file '/etc/swarm.json'`).
 */
interface Origin {
  subject: string;
  name: string;
  /** The flag, variable or key alone (`--max-hops`, `SWARM_MAX_HOPS`, `maxHops`). */
  short: string;
  /** The config file, when the value came from there. */
  file?: string;
}

/** Each setting's {@link Origin}: the flag, variable or file key its value came from. */
type Origins = (key: string) => Origin;

/**
 * Lays the file, the environment and the flags over each other (later wins) and
 * remembers where each value came from; a setting given nowhere is named by its flag.
 */
function layered(
  file: { raw: Raw; path?: string },
  env: Raw,
  flags: Raw,
): { merged: Raw; origin: Origins } {
  const merged: Raw = { ...file.raw, ...env, ...flags };
  const origin = (key: string): Origin => {
    const spec = OPTIONS.find((o) => o.key === key);
    const flag = `--${spec?.flag ?? key}`;
    const byFlag = { subject: `Option ${flag}`, name: flag, short: flag };
    if (key in flags || spec === undefined) return byFlag;
    if (key in env && spec.env) {
      return { subject: `Environment variable ${spec.env}`, name: spec.env, short: spec.env };
    }
    if (key in file.raw && file.path !== undefined) {
      const name = `${key} in config file '${file.path}'`;
      return { subject: `Key ${name}`, name, short: key, file: file.path };
    }
    return byFlag;
  };
  return { merged, origin };
}

/**
 * A parse error's message naming where the value came from: `--flag` in it replaced
 * by the variable or file key, or that name added when the message names no flag.
 */
function named(message: string, spec: OptionSpec, origin: Origin): string {
  const flag = `--${spec.flag}`;
  if (origin.name === flag) return message;
  if (!message.includes(flag)) return `${message} (${origin.name})`;
  const renamed = message.replaceAll(flag, origin.short);
  return origin.file === undefined ? renamed : `${renamed} (config file '${origin.file}')`;
}

function typed(spec: OptionSpec, value: unknown, origin: Origin): unknown {
  const where = origin.subject;
  switch (spec.type) {
    case "boolean":
      if (typeof value !== "boolean") {
        throw new ConfigError(`${where} must be true or false`);
      }
      return value;
    case "list":
      if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
        throw new ConfigError(`${where} must be a list of strings`);
      }
      return value;
    case "integer": {
      const text = typeof value === "string" ? value.trim() : "";
      const n = typeof value === "number" ? value : /^\d+$/.test(text) ? Number(text) : NaN;
      if (!Number.isSafeInteger(n) || n < 0) {
        throw new ConfigError(
          `${where} must be a non-negative integer: current value is ${value}`,
        );
      }
      return n;
    }
    default:
      if (typeof value !== "string") throw new ConfigError(`${where} must be a string`);
      return value;
  }
}

/**
 * Normalises a `--peer` seed to a base URL; a seed without a scheme gets `defaultScheme`.
 *
 * @example
 * ```ts
 * import { normalisePeerSeed } from "./load.ts";
 * console.assert(normalisePeerSeed("127.0.0.1:7701") === "http://127.0.0.1:7701");
 * ```
 */
export function normalisePeerSeed(seed: string, defaultScheme: "http" | "https" = "http"): string {
  const text = seed.trim();
  const withScheme = /^https?:\/\//i.test(text) ? text : `${defaultScheme}://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ConfigError(`Cannot parse --peer '${seed}': expected HOST:PORT`);
  }
  // The URL parser drops a port equal to the scheme's default, so look at the text.
  const explicitPort = /:\d{1,5}\/?$/.test(text);
  if (!explicitPort || url.pathname !== "/" || url.search || url.username) {
    throw new ConfigError(
      `Cannot parse --peer '${seed}': expected HOST:PORT with an explicit port`,
    );
  }
  return `${url.protocol}//${url.host}`;
}

function defaultDataDir(env: ConfigSources["env"], port: number): string {
  const base = env.XDG_DATA_HOME || join(env.HOME ?? ".", ".local", "share");
  return join(base, "swarm", String(port));
}

/**
 * The data directory from the typed `dataDir` setting, else the default for `port`;
 * `:memory:` stays as it is, anything else is made absolute against `cwd`.
 */
function chooseDataDir(
  dataDir: string | undefined,
  port: number,
  env: ConfigSources["env"],
  cwd: string,
): string {
  if (dataDir === undefined) return resolve(cwd, defaultDataDir(env, port));
  return dataDir === ":memory:" ? ":memory:" : resolve(cwd, dataDir);
}

/** What {@link nodeDataDir} reads: the few node settings that place the data directory. */
export interface DataDirSources {
  /** `--data-dir` as given on the command line, if it was. */
  dataDir?: string;
  /** `--listen` as given on the command line, if it was: its port names the default. */
  listen?: string;
  /** `--config` as given on the command line, if it was. */
  config?: string;
  /** Environment variables (`SWARM_DATA_DIR`, `SWARM_LISTEN`, `SWARM_CONFIG`, `XDG_DATA_HOME`, `HOME`). */
  env: Record<string, string | undefined>;
  /** Reads the config file. @default {Deno.readTextFileSync} */
  readTextFile?: (path: string) => string;
  /** Directory relative paths are resolved against. @default {Deno.cwd()} */
  cwd?: string;
}

/**
 * The data directory a node started with these settings uses, chosen exactly as
 * {@link loadConfig} chooses it: `--data-dir`, else `SWARM_DATA_DIR`, else `dataDir` of
 * the `--config`/`SWARM_CONFIG` file, else `$XDG_DATA_HOME/swarm/PORT` (or
 * `$HOME/.local/share/swarm/PORT`) with the port of `--listen`/`SWARM_LISTEN`/the file
 * (default 7700). For commands that edit a node's files without running it.
 *
 * @param sources The flags given, the environment, and how to read the config file.
 * @returns An absolute path, or `:memory:`.
 * @throws {ConfigError} When the config file cannot be read or is invalid, or a
 * listen address cannot be parsed.
 * @example
 * ```ts
 * import { nodeDataDir } from "./load.ts";
 * const dir = nodeDataDir({ listen: "7701", env: { XDG_DATA_HOME: "/xdg" } });
 * console.assert(dir === "/xdg/swarm/7701");
 * ```
 */
export function nodeDataDir(sources: DataDirSources): string {
  const read = sources.readTextFile ?? Deno.readTextFileSync;
  const cwd = sources.cwd ?? Deno.cwd();
  const env = fromEnv(sources.env);
  const flags: Raw = {};
  if (sources.dataDir !== undefined) flags.dataDir = sources.dataDir;
  if (sources.listen !== undefined) flags.listen = sources.listen;
  const configPath = sources.config ?? (env.config as string | undefined);
  const filePath = configPath ? resolve(cwd, configPath) : undefined;
  const file = filePath ? fromFile(filePath, read) : {};
  const { merged, origin } = layered({ raw: file, path: filePath }, env, flags);
  const spec = (key: string) => OPTIONS.find((o) => o.key === key)!;
  const setting = (key: "dataDir" | "listen") =>
    merged[key] === undefined ? undefined : typed(spec(key), merged[key], origin(key)) as string;
  let port: number;
  try {
    port = parseListenAddress(setting("listen") ?? "").port;
  } catch (err) {
    throw new ConfigError(named((err as Error).message, spec("listen"), origin("listen")));
  }
  return chooseDataDir(setting("dataDir"), port, sources.env, cwd);
}

/** Result of parsing the node's arguments: either help was asked for, or a config. */
export type LoadResult = { help: true } | { help: false; config: Config };

/** Options whose typed value is the `Config` field of the same key, as is. */
const AS_IS: ReadonlySet<string> = new Set(
  OPTIONS.filter((o) => (o.type === "integer" || o.type === "boolean") && o.key in DEFAULT_CONFIG)
    .map((o) => o.key),
);

/**
 * Builds and validates the node configuration: the preset {@link presetFor} picks (the
 * LAN preset once `--allow-net` and a non-loopback bind opt into the LAN, else the
 * loopback one), then the `--config` file, the environment and the flags over it, later
 * winning, validated once.
 *
 * @throws {ConfigError} On any invalid flag, variable, file or combination.
 * @example
 * ```ts
 * import { loadConfig } from "./load.ts";
 * const r = loadConfig({ args: ["--listen", "7701", "--data-dir", ":memory:"], env: {} });
 * console.assert(!r.help && r.config.listen.port === 7701);
 * ```
 */
export function loadConfig(sources: ConfigSources): LoadResult {
  const read = sources.readTextFile ?? Deno.readTextFileSync;
  const cwd = sources.cwd ?? Deno.cwd();
  const flags = fromFlags(sources.args);
  if (flags.help) return { help: true };
  const env = fromEnv(sources.env);
  const configPath = (flags.raw.config ?? env.config) as string | undefined;
  const filePath = configPath ? resolve(cwd, configPath) : undefined;
  const file = filePath ? fromFile(filePath, read) : {};
  const { merged, origin } = layered({ raw: file, path: filePath }, env, flags.raw);
  const value: Raw = {};
  for (const spec of OPTIONS) {
    if (merged[spec.key] !== undefined) {
      value[spec.key] = typed(spec, merged[spec.key], origin(spec.key));
    }
  }
  /** Runs `parse` on the setting `key`, its error naming where the value came from. */
  const parsed = <T>(key: string, parse: () => T): T => {
    try {
      return parse();
    } catch (err) {
      const spec = OPTIONS.find((o) => o.key === key)!;
      throw new ConfigError(named((err as Error).message, spec, origin(key)));
    }
  };

  const listen = parsed(
    "listen",
    () => parseListenAddress((value.listen as string | undefined) ?? ""),
  );
  const allowNet = value.allowNet === undefined
    ? DEFAULT_CONFIG.allowNet
    : parsed("allowNet", () => parseNetAllowance(value.allowNet as string));
  const preset = presetFor(allowNet, listen.host);

  /** A token from `file` when given (trimmed, not empty), else from the environment. */
  const secret = (file: unknown, fromEnv: string | undefined, what: string) => {
    if (file === undefined) return fromEnv?.trim() || undefined;
    const where = resolve(cwd, file as string);
    let text: string;
    try {
      text = read(where).trim();
    } catch (err) {
      throw new ConfigError(`Cannot read ${what} file '${where}': ${(err as Error).message}`);
    }
    if (!text) {
      throw new ConfigError(`${what[0].toUpperCase()}${what.slice(1)} file '${where}' is empty`);
    }
    return text;
  };
  const token = secret(value.tokenFile, sources.env.SKILLLITE_SWARM_TOKEN, "token");
  const nodeToken = secret(value.nodeTokenFile, sources.env.SWARM_NODE_TOKEN, "node token");
  const path = (key: string) =>
    typeof value[key] === "string" && value[key] !== ""
      ? resolve(cwd, value[key] as string)
      : undefined;
  const list = (key: "peers" | "skillsDirs" | "allowedHosts") =>
    (value[key] as string[] | undefined) ?? preset[key];

  const logLevel = (value.logLevel as string | undefined) ?? preset.logLevel;
  if (!["debug", "info", "warning", "error"].includes(logLevel)) {
    throw new ConfigError(
      `${
        origin("logLevel").subject
      } must be debug, info, warning or error: current value is ${logLevel}`,
    );
  }
  const logFormat = (value.logFormat as string | undefined) ?? preset.logFormat;
  if (!["auto", "json", "pretty"].includes(logFormat)) {
    throw new ConfigError(
      `${origin("logFormat").subject} must be auto, json or pretty: current value is ${logFormat}`,
    );
  }
  const dataDir = chooseDataDir(
    value.dataDir as string | undefined,
    listen.port,
    sources.env,
    cwd,
  );
  const asIs = Object.fromEntries(Object.entries(value).filter(([key]) => AS_IS.has(key)));

  const config: Config = {
    ...preset,
    ...asIs,
    listen,
    allowNet,
    token,
    keyringFile: path("keyringFile"),
    publisherKeyFile: path("publisherKeyFile"),
    nodeToken: nodeToken ?? token,
    tlsCertFile: path("tlsCertFile"),
    tlsKeyFile: path("tlsKeyFile"),
    tlsClientCaFile: path("tlsClientCaFile"),
    tlsCaFile: path("tlsCaFile"),
    dataDir,
    // A TLS node reaches seeds given without a scheme over https.
    peers: list("peers").map((seed) =>
      parsed("peers", () => normalisePeerSeed(seed, path("tlsCertFile") ? "https" : "http"))
    ),
    skillsDirs: list("skillsDirs").map((d) => resolve(cwd, d)),
    starterSkills: value.noStarterSkills !== true,
    executorCmd: (value.executorCmd as string | undefined)?.trim() || undefined,
    allowedHosts: list("allowedHosts").map((h) => h.trim()).filter((h) => h !== ""),
    tokenFile: path("tokenFile"),
    nodeTokenFile: path("nodeTokenFile"),
    logLevel: logLevel as Config["logLevel"],
    logFormat: logFormat as Config["logFormat"],
    mdnsEnabled: mdnsActive(allowNet, listen.host, value.noMdns === true),
    mdnsInterface: (value.mdnsInterface as string | undefined)?.trim() || undefined,
    llm: llmConfigFromEnv(sources.env),
  };
  validate(config, origin);
  return { help: false, config };
}

/**
 * Whether mDNS runs: only after the LAN opt-in (`--allow-net` and a non-loopback bind,
 * see {@link onLan}), and not with `--no-mdns`.
 *
 * @example
 * ```ts
 * import { mdnsActive } from "./load.ts";
 * console.assert(!mdnsActive({ kind: "loopback" }, "127.0.0.1", false));
 * console.assert(mdnsActive({ kind: "any" }, "0.0.0.0", false));
 * ```
 */
export function mdnsActive(allowNet: NetAllowance, bindHost: string, noMdns: boolean): boolean {
  return onLan(allowNet, bindHost) && !noMdns;
}

function validate(config: Config, origin: Origins): void {
  for (const spec of OPTIONS) {
    const value = (config as unknown as Record<string, unknown>)[spec.key];
    if (spec.min === undefined || typeof value !== "number" || value >= spec.min) continue;
    const rule = spec.min === 1 ? "positive" : `at least ${spec.min}`;
    throw new ConfigError(`${origin(spec.key).subject} must be ${rule}: current value is ${value}`);
  }
  if (config.retryMaxDelayMs < config.retryBaseDelayMs) {
    throw new ConfigError(
      `${origin("retryMaxDelayMs").subject} must be at least ${
        origin("retryBaseDelayMs").name
      } (${config.retryBaseDelayMs}): current value is ${config.retryMaxDelayMs}`,
    );
  }
  const host = config.listen.host;
  if (!isLoopbackHost(host) && config.allowNet.kind === "loopback") {
    throw new ConfigError(
      `Refusing to listen on ${host}: the node is loopback-only unless you opt into the LAN with --allow-net (e.g. --allow-net=0.0.0.0)`,
    );
  }
  if (Boolean(config.tlsCertFile) !== Boolean(config.tlsKeyFile)) {
    throw new ConfigError("Options --tls-cert and --tls-key go together: give both or neither");
  }
  if (config.tlsClientCaFile && !config.tlsCertFile) {
    throw new ConfigError(
      "Option --tls-client-ca (mTLS) needs the node's own --tls-cert and --tls-key",
    );
  }
  const plain = config.peers.find((p) => p.startsWith("http://"));
  if (config.tlsCertFile && plain && !config.allowPlainPeers) {
    throw new ConfigError(
      `Peer ${plain} is plain HTTP but this node serves TLS: use https:// (or pass --allow-plain-peers)`,
    );
  }
  if (config.publishNewSkills && !config.publisherKeyFile) {
    throw new ConfigError(
      "Option --publish-new-skills needs --publisher-key FILE (make one with 'swarm key gen')",
    );
  }
  if (config.publishNewSkills && config.dataDir === ":memory:") {
    throw new ConfigError(
      "Option --publish-new-skills needs a data directory: skill sync keeps releases there",
    );
  }
  const authenticated = config.token || config.keyringFile || config.tlsClientCaFile;
  if (!isLoopbackHost(host) && !authenticated && !config.insecureNoAuth) {
    throw new ConfigError(
      `Refusing to listen on ${host} without authentication: set SKILLLITE_SWARM_TOKEN, --token-file, --keyring or --tls-client-ca (or pass --insecure-no-auth to accept the risk)`,
    );
  }
}
