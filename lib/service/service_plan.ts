/**
 * The node's command line in a service definition, independent of the service manager:
 * which words, which of them are secret files (systemd credentials), where the data
 * directory goes, and the drain timeout the stop timeout is derived from.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import {
  attachNegativeValues,
  ConfigError,
  DEFAULT_CONFIG,
  formatHostPort,
  LAN_CONFIG,
  loadConfig,
  onLan,
  OPTIONS,
  type OptionSpec,
  parseListenAddress,
  parseNetAllowance,
} from "../config/mod.ts";
import { refuseControl } from "./_quote.ts";

/**
 * One word of the node's command line: a literal, the path of a credential (a secret
 * file), or the service's data directory. Each service manager spells the last two its
 * own way: systemd as `%d/ID` and `%S/NAME`, launchd as real paths.
 */
export type ServiceArg =
  /** A literal word. */
  | { kind: "word"; value: string }
  /** The path the node reads the secret `id` from (see {@link ServiceCredential}). */
  | { kind: "credential"; id: string }
  /** The node's data directory. */
  | { kind: "dataDir" };

/** A secret file the node reads, handed over by the service manager. */
export interface ServiceCredential {
  /** Credential name (systemd `LoadCredential=ID:…`, the file name under `%d`). */
  id: string;
  /** The node option that names the file (`token-file`), without dashes. */
  flag: string;
  /** Absolute path of the secret on this machine. */
  source: string;
}

/** What {@link servicePlan} decided. */
export interface ServicePlan {
  /** The node's arguments, after the executable (they start with `serve`). */
  args: ServiceArg[];
  /** The secret files among them, in order. */
  credentials: ServiceCredential[];
  /** The node's drain timeout with these arguments, in milliseconds. */
  drainTimeoutMs: number;
  /** The address the node serves, as on its command line (`127.0.0.1:7700`). */
  listen: string;
  /** Whether the node is on the LAN (a non-loopback bind after the `--allow-net` opt-in). */
  onLan: boolean;
}

/** Options of {@link servicePlan}. */
export interface ServicePlanOptions {
  /**
   * Serve the LAN: listen on every interface and let the node reach any host
   * (`--listen 0.0.0.0:7700 --allow-net=0.0.0.0`), unless `listen`/`allowNet` narrow it.
   *
   * @default {false}
   */
  lan?: boolean;
  /**
   * The node's `--listen`. Default: the loopback preset's address, or the LAN preset's
   * with `lan` or `allowNet`.
   */
  listen?: string;
  /**
   * The node's `--allow-net` (hosts, CIDRs); implies `lan`. Default with `lan`:
   * `0.0.0.0`, any host.
   */
  allowNet?: string;
  /** The node's bearer token file (`--token-file`), on this machine. */
  tokenFile?: string;
  /**
   * The token file used on the LAN when neither `tokenFile` nor another authentication
   * (`--keyring`, `--tls-client-ca`) nor `--insecure-no-auth` is given: a node refuses a
   * non-loopback bind without one.
   */
  defaultTokenFile: string;
  /**
   * Further node options (`--skills-dir DIR`, `--peer URL`, …). Paths of `FILE` and
   * `DIR` options are made absolute against `cwd` (a service does not start in the
   * current directory); secret files become credentials.
   *
   * @default {[]}
   */
  nodeArgs?: string[];
  /** The data directory the service will give the node, for the validation only. */
  dataDir: string;
  /** Directory relative paths are resolved against. */
  cwd: string;
  /**
   * Reads a `--config` file while the arguments are validated (secret files are never
   * read). @default {Deno.readTextFileSync}
   */
  readTextFile?: (path: string) => string;
}

/** Node options naming a secret file, and the credential each becomes. */
const SECRET_FLAGS: Readonly<Record<string, string>> = {
  "token-file": "token",
  "node-token-file": "node-token",
  "tls-key": "tls-key",
  "publisher-key": "publisher-key",
};

/** Node options `swarm service` sets itself, with what to do instead. */
const SERVICE_OWNED: Readonly<Record<string, string>> = {
  listen: "give 'swarm service --listen ADDR' before '--'",
  "allow-net": "give 'swarm service --allow-net HOSTS' (or --lan) before '--'",
  "token-file": "give 'swarm service --token-file FILE' before '--'",
  "data-dir":
    "the service keeps the node's data in its own directory (systemd StateDirectory=, launchd ~/Library/Application Support/LABEL)",
};

/** Node options that authenticate callers, so a LAN node needs no token file. */
const AUTHENTICATING = ["keyring", "tls-client-ca", "insecure-no-auth"];

/** Placeholder content for secret files while the arguments are validated. */
const CHECK_SECRET = "swarm-service-check";

/**
 * Decides the node's command line in a service: `serve`, the listen address, the
 * `--allow-net` opt-in on the LAN, the data directory, the token file, then the further
 * node options. The result is validated exactly as the node will validate it at start
 * (so a LAN node without a token or mTLS is refused here, not at boot), without reading
 * any secret.
 *
 * @param options What the operator asked for.
 * @returns The plan the service managers' writers turn into a unit or a plist.
 * @throws {RangeError} On a node option `swarm service` sets itself, a repeated secret
 * file, `--help`, or a control character in a value.
 * @throws {ConfigError} On anything the node itself would refuse (`config_invalid`): an
 * unknown option, a bad value, a LAN bind without authentication.
 * @example
 * ```ts
 * import { servicePlan } from "./service_plan.ts";
 * const plan = servicePlan({
 *   lan: true,
 *   tokenFile: "/etc/credstore/swarm-token",
 *   defaultTokenFile: "/etc/credstore/swarm-token",
 *   nodeArgs: ["--skills-dir", "/srv/swarm/skills"],
 *   dataDir: "/var/lib/swarm",
 *   cwd: "/",
 * });
 * console.assert(plan.onLan && plan.listen === "0.0.0.0:7700");
 * console.assert(plan.credentials[0].id === "token" && plan.drainTimeoutMs === 30000);
 * ```
 */
export function servicePlan(options: ServicePlanOptions): ServicePlan {
  const { cwd, nodeArgs = [], readTextFile = Deno.readTextFileSync } = options;
  const lan = options.lan === true || options.allowNet !== undefined;
  const preset = lan ? LAN_CONFIG : DEFAULT_CONFIG;
  const listen = refuseControl(
    options.listen ?? formatHostPort(preset.listen.host, preset.listen.port),
    "--listen",
  );
  const allowNet = lan ? refuseControl(options.allowNet ?? "0.0.0.0", "--allow-net") : undefined;

  const credentials: ServiceCredential[] = [];
  const credential = (flag: string, path: string): ServiceArg[] => {
    const id = SECRET_FLAGS[flag];
    if (credentials.some((c) => c.id === id)) {
      throw new RangeError(`Option '--${flag}' is given twice`);
    }
    if (path === "") throw new RangeError(`Option '--${flag}' needs a file`);
    credentials.push({ id, flag, source: resolve(cwd, refuseControl(path, `--${flag}`)) });
    return [word(`--${flag}`), { kind: "credential", id }];
  };

  const head: ServiceArg[] = [word("serve"), word("--listen"), word(listen)];
  if (allowNet !== undefined) head.push(word(`--allow-net=${allowNet}`));
  head.push(word("--data-dir"), { kind: "dataDir" });
  if (options.tokenFile !== undefined) head.push(...credential("token-file", options.tokenFile));
  const { words: tail, given } = nodeOptionWords(nodeArgs, cwd, credential);

  // A LAN node refuses to start without authentication: give it the default token file
  // unless the operator chose another way (or explicitly none).
  const authenticated = options.tokenFile !== undefined ||
    AUTHENTICATING.some((flag) => given.has(flag));
  if (!authenticated && willBeOnLan(listen, allowNet)) {
    head.push(...credential("token-file", options.defaultTokenFile));
  }
  const result = loadConfig({
    args: [...head, ...tail].slice(1).map((arg) => checkWord(arg, options.dataDir, credentials)),
    env: {},
    cwd,
    readTextFile: (path) =>
      credentials.some((c) => c.source === path) ? CHECK_SECRET : readTextFile(path),
  });
  if (result.help) throw new RangeError("Option '--help' cannot go into a service");
  const config = result.config;
  const args = [...head, ...tail];
  return {
    args,
    // In the order the command line names them.
    credentials: args.flatMap((arg) =>
      arg.kind === "credential" ? credentials.filter((c) => c.id === arg.id) : []
    ),
    drainTimeoutMs: config.drainTimeoutMs,
    listen,
    onLan: onLan(config.allowNet, config.listen.host),
  };
}

/** Whether the node will be on the LAN; a bad value is left for `loadConfig` to refuse. */
function willBeOnLan(listen: string, allowNet: string | undefined): boolean {
  try {
    const allowance = allowNet === undefined
      ? DEFAULT_CONFIG.allowNet
      : parseNetAllowance(allowNet);
    return onLan(allowance, parseListenAddress(listen).host);
  } catch {
    return false;
  }
}

function word(value: string): ServiceArg {
  return { kind: "word", value };
}

/** A word as the node will see it, for the validation. */
function checkWord(arg: ServiceArg, dataDir: string, credentials: ServiceCredential[]): string {
  if (arg.kind === "word") return arg.value;
  if (arg.kind === "dataDir") return dataDir;
  return credentials.find((c) => c.id === arg.id)!.source;
}

/** Options whose value is a path on this machine. */
function isPathOption(spec: OptionSpec): boolean {
  return spec.arg === "FILE" || spec.arg === "DIR";
}

/**
 * The further node options as words: one `--flag` (and its value) per option, paths
 * absolute, secret files as credentials. Also says which options were given.
 */
function nodeOptionWords(
  nodeArgs: string[],
  cwd: string,
  credential: (flag: string, path: string) => ServiceArg[],
): { words: ServiceArg[]; given: Set<string> } {
  nodeArgs.forEach((arg, i) => refuseControl(arg, `node option ${i + 1}`));
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean }> = {
    help: { type: "boolean" },
  };
  for (const o of OPTIONS) {
    options[o.flag] = o.type === "boolean"
      ? { type: "boolean" }
      : { type: "string", multiple: o.type === "list" };
  }
  const valueFlags = OPTIONS.filter((o) => o.type !== "boolean").map((o) => `--${o.flag}`);
  let tokens;
  try {
    ({ tokens } = parseArgs({
      args: attachNegativeValues(nodeArgs, valueFlags),
      options,
      strict: true,
      allowPositionals: false,
      tokens: true,
    }));
  } catch (err) {
    throw new ConfigError(`Node option: ${(err as Error).message.split("\n")[0]}`);
  }
  const words: ServiceArg[] = [];
  const given = new Set<string>();
  for (const token of tokens) {
    if (token.kind !== "option") continue;
    const flag = token.name;
    if (flag === "help") throw new RangeError("Option '--help' cannot go into a service");
    if (flag in SERVICE_OWNED) {
      throw new RangeError(
        `Option '--${flag}' cannot be a node option here: ${SERVICE_OWNED[flag]}`,
      );
    }
    given.add(flag);
    const spec = OPTIONS.find((o) => o.flag === flag)!;
    if (flag in SECRET_FLAGS) {
      words.push(...credential(flag, token.value ?? ""));
    } else if (spec.type === "boolean") {
      words.push(word(`--${flag}`));
    } else {
      const value = token.value ?? "";
      words.push(
        word(`--${flag}`),
        word(isPathOption(spec) && value !== "" ? resolve(cwd, value) : value),
      );
    }
  }
  return { words, given };
}
