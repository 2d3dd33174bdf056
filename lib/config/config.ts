/**
 * The node's configuration in one place, memberlist-style: the {@link Config} type with
 * every knob documented (meaning, unit, trade-off, what 0 means, default), the two
 * presets ({@link DEFAULT_CONFIG} for loopback, {@link LAN_CONFIG} for a LAN mesh) and
 * the option table that names each knob's flag, environment variable and file key.
 *
 * `loadConfig` starts from the preset {@link presetFor} picks (LAN once the node opts
 * into the LAN: `--allow-net` and a non-loopback bind), lays the config file, the
 * environment and the flags over it (later wins) and validates the result once. The
 * help text and the option table take their defaults from the presets, so no default
 * is written twice.
 *
 * @module
 */
import {
  DEFAULT_LISTEN,
  formatHostPort,
  isLoopbackHost,
  type ListenAddress,
} from "./listen_address.ts";
import { type LlmConfig, llmConfigFromEnv } from "./llm_config.ts";
import type { NetAllowance } from "./net_allowance.ts";

/** Every setting of a node. Built once at start-up by `loadConfig` and never mutated. */
export interface Config {
  /**
   * Address the HTTP API binds. A non-loopback host needs `allowNet` (the LAN opt-in);
   * port 0 lets the system pick a free port.
   *
   * @default {"127.0.0.1:7700"}
   */
  listen: ListenAddress;
  /**
   * How far the node's network side may reach; Deno's permission system enforces it.
   * Anything beyond loopback is the LAN opt-in (with a non-loopback bind it selects
   * {@link LAN_CONFIG}); narrower lists (a CIDR) limit which peers can be reached.
   *
   * @default {"loopback only"}
   */
  allowNet: NetAllowance;
  /**
   * Serve a non-loopback address without any authentication: anyone on the network can
   * then run tasks. Dangerous; only for a trusted, isolated network.
   *
   * @default {false}
   */
  insecureNoAuth: boolean;
  /** Shared bearer token (SKILLLITE_SWARM_TOKEN or `--token-file`); undefined = no auth. */
  token?: string;
  /**
   * Keyring file whose public keys verify scoped tokens (`swarm token`); reloaded live
   * when it changes, so rotation and revocation need no restart. Undefined = no scoped
   * tokens.
   */
  keyringFile?: string;
  /**
   * Credential this node presents on its own calls to peers (probes, who-can-do,
   * forwards of callers without a scoped token): a token from `swarm token issue`, read
   * from SWARM_NODE_TOKEN or `--node-token-file`. Defaults to the shared token.
   */
  nodeToken?: string;
  /** PEM certificate chain served over HTTPS; with `tlsKeyFile`, turns TLS on. */
  tlsCertFile?: string;
  /** PEM private key of `tlsCertFile`. */
  tlsKeyFile?: string;
  /**
   * PEM CA bundle that client certificates must chain to (mTLS): every caller must then
   * present one. Undefined = no client certificates asked for.
   */
  tlsClientCaFile?: string;
  /**
   * PEM CA bundle that https peers' certificates are verified against. Undefined = the
   * client CA when mTLS is on, else the system's roots.
   */
  tlsCaFile?: string;
  /**
   * Use plain-http peers although this node serves TLS: tasks and tokens then cross in
   * clear text to them. Off by default: a TLS node never sends a task or a token in
   * clear text.
   *
   * @default {false}
   */
  allowPlainPeers: boolean;
  /**
   * Forward tasks that came with a scoped token to SkillLite peers (which know only the
   * shared token and cannot enforce scopes) once this node has checked the scope. On
   * trades the scope's guarantee at the next hop for more peers to run such tasks.
   *
   * @default {false}
   */
  forwardScopedToSkilllite: boolean;
  /**
   * Send the node's token and tasks to peers that cannot prove mesh membership (SkillLite
   * nodes, which have no membership challenge). Off by default: that is SkillLite's own
   * trust model, where anyone on the LAN who announces a peer receives the token.
   *
   * @default {false}
   */
  allowSkillLitePeers: boolean;
  /**
   * Directory holding the node id and the Deno KV store; `:memory:` keeps nothing (a new
   * id and an empty routing table on every start). Computed when not given:
   * `$XDG_DATA_HOME/swarm/PORT` (else `$HOME/.local/share/swarm/PORT`).
   */
  dataDir: string;
  /**
   * Static peer seeds as base URLs (`http://host:port`), probed for identity and
   * capabilities every `peerProbeIntervalMs`. Empty = mDNS discovery only (on the LAN).
   *
   * @default {[]}
   */
  peers: string[];
  /**
   * Directories scanned for SKILL.md skills. Empty = `.skills` and `skills` in the
   * working directory, when present.
   *
   * @default {[]}
   */
  skillsDirs: string[];
  /**
   * Use the starter skills shipped with swarm (a calculator, text/JSON tools, time tools)
   * when no skills directory is given and none of the default ones exists, so a first
   * node does real work. Off (`--no-starter-skills`) leaves such a node without skills.
   * Never used when `skillsDirs` is given: an operator who names directories gets those.
   *
   * @default {true}
   */
  starterSkills: boolean;
  /**
   * External agent command that reads a NodeTask on stdin and prints a NodeResult;
   * takes the tasks no single skill matches. Undefined = none.
   */
  executorCmd?: string;
  /**
   * Run non-Deno skills without a sandbox when bubblewrap is missing. On lets such a
   * skill touch everything the node's user can; off refuses to run it.
   *
   * @default {false}
   */
  allowUnsandboxed: boolean;
  /**
   * Forwards a task may cross before it is refused (loop guard): a task is forwarded
   * only while its hop count stays within it. Higher reaches peers further away in a
   * partial mesh; lower bounds how far one task can travel. 0 = never forward (run here
   * or refuse).
   *
   * @default {4}
   */
  maxHops: number;
  /**
   * Time budget of a task, in milliseconds, from its arrival at the first node: the
   * default, and the most a caller may ask for (`timeout_ms`, `x-swarm-deadline-ms`). The
   * remaining budget travels with each forward; every hop answers 504 `timeout` when it
   * runs out and kills a local skill then. Higher lets long tasks finish; lower frees a
   * caller and the mesh sooner from a stuck task. 0 is refused.
   *
   * @default {120000}
   */
  taskTimeoutMs: number;
  /**
   * Wall-clock limit of one skill run or agent command, in milliseconds. Exceeding it
   * is a task failure (`task_completed: false`), not a timeout of the whole task. Higher
   * admits slower skills; lower kills runaway ones sooner. 0 is refused.
   *
   * @default {60000}
   */
  execTimeoutMs: number;
  /**
   * Local executions run at once; more wait in the queue. Higher uses more cores and
   * memory at once; lower keeps each run fast on a small machine. 0 is refused.
   *
   * @default {4}
   */
  maxConcurrentTasks: number;
  /**
   * Local executions that may wait for a slot. Beyond it a task is refused with 429
   * `overloaded` and `Retry-After` (peers retry elsewhere). Higher absorbs bursts at
   * the cost of waiting time; lower sends work elsewhere sooner. 0 = no waiting.
   *
   * @default {32}
   */
  maxQueuedTasks: number;
  /**
   * On SIGTERM/SIGINT, how long in-flight tasks may take to finish before they are
   * killed, in milliseconds. Higher loses fewer tasks on a restart; lower stops sooner.
   * 0 is refused.
   *
   * @default {30000}
   */
  drainTimeoutMs: number;
  /**
   * How often each peer's `/healthz` is probed, in milliseconds. Shorter detects a
   * crashed peer sooner at the cost of more requests: every node probes every peer, so
   * a mesh of n nodes sends n × (n − 1) probes per interval. 0 is refused.
   *
   * @default {1000}
   */
  healthIntervalMs: number;
  /**
   * Time a health probe may take before it counts as failed, in milliseconds. Shorter
   * detects a hung peer sooner but risks calling a slow yet working peer suspect (and
   * eventually dead) on a loaded machine or network: keep it well above the slowest
   * healthy answer. 0 is refused.
   *
   * @default {500}
   */
  healthTimeoutMs: number;
  /**
   * Consecutive failed probes after which a peer is dead (not routed to); after fewer it
   * is suspect. Worst-case detection time = healthIntervalMs + (deadAfterFailures − 1) ×
   * max(healthIntervalMs, healthTimeoutMs) + healthTimeoutMs. Higher rides out longer
   * hiccups; lower detects sooner. 1 = the first failed probe kills; 0 is refused.
   *
   * @default {2}
   */
  deadAfterFailures: number;
  /**
   * Forward attempts per task across candidates, the first included (retry budget).
   * More ride out more failed peers at the cost of load on a struggling mesh and a
   * longer wait for the caller. 1 = never retry; 0 is refused.
   *
   * @default {3}
   */
  maxForwardAttempts: number;
  /**
   * First retry delay, in milliseconds; doubles each retry (up to `retryMaxDelayMs`),
   * with jitter. Longer gives an overloaded peer time; shorter answers sooner. 0 = retry
   * at once.
   *
   * @default {100}
   */
  retryBaseDelayMs: number;
  /**
   * Largest retry delay, in milliseconds; also caps how long a peer's `Retry-After` is
   * waited for. At least `retryBaseDelayMs`; 0 is refused.
   *
   * @default {2000}
   */
  retryMaxDelayMs: number;
  /**
   * How long finished tasks are remembered for deduplication, in milliseconds: a task
   * resent with the same id within it gets the stored result instead of running again.
   * Longer protects slower retries at the cost of Deno KV space. 0 is refused.
   *
   * @default {86400000}
   */
  taskRetentionMs: number;
  /**
   * Limit of one forward attempt to a peer, in milliseconds (SkillLite: 120 s); the
   * task's deadline bounds it too. Lower gives up on a hung peer sooner but also on a
   * long task it is running. 0 is refused.
   *
   * @default {120000}
   */
  forwardTimeoutMs: number;
  /**
   * Largest task result a peer may send back, in bytes: a `POST /task` answer, or one
   * line of a task's progress stream. A longer answer is cut off (the node never holds
   * more) and the task fails with `bad_peer_response` naming this limit; it is not sent
   * elsewhere, since the peer may have run it. Higher admits peers that keep larger
   * outputs (`--max-output-bytes`: a result can be up to about six times its output
   * after JSON escaping); lower bounds what a hostile peer costs each forward.
   * `/status` (1 MiB), `/can-do`, `/healthz`, error bodies and progress events (64 KiB)
   * have fixed limits. 0 is refused.
   *
   * @default {8388608} (8 MiB)
   */
  maxPeerResultBytes: number;
  /**
   * Limit of one `/can-do` question during the who-can-do broadcast, in milliseconds
   * (SkillLite: 3 s). Lower answers `no_match` sooner; higher waits for slow peers.
   * 0 is refused.
   *
   * @default {3000}
   */
  canDoTimeoutMs: number;
  /**
   * How often static peers are probed for identity and capabilities, in milliseconds.
   * Shorter notices a new skill or a replaced node sooner, at the cost of requests.
   * 0 is refused.
   *
   * @default {5000}
   */
  peerProbeIntervalMs: number;
  /**
   * Largest accepted request body, in bytes (then 413). Higher admits larger tasks;
   * lower bounds what one request costs. 0 is refused.
   *
   * @default {1048576} (1 MiB)
   */
  maxBodyBytes: number;
  /**
   * Largest request header block (names, values and the request target), in bytes
   * (then 431). 0 is refused.
   *
   * @default {16384} (16 KiB)
   */
  maxHeaderBytes: number;
  /**
   * Most request headers accepted (then 431). 0 is refused.
   *
   * @default {100}
   */
  maxHeaders: number;
  /**
   * Tasks per second one client (token, certificate or address) may submit on average;
   * beyond it 429 `rate_limited`. Lower protects the mesh from one greedy client.
   * 0 = no limit.
   *
   * @default {20}
   */
  taskRatePerSecond: number;
  /**
   * Tasks one client may submit in a burst above `taskRatePerSecond`. 0 is refused.
   *
   * @default {40}
   */
  taskRateBurst: number;
  /**
   * Failed authentications per second one source address may cause on average; beyond
   * `authFailureBurst` its failures are answered 429 `rate_limited` with `Retry-After`
   * instead of 401. Valid credentials are never charged nor refused, so honest callers
   * sharing the address (every local process on a loopback node, everything behind a
   * reverse proxy) are not locked out. Lower = slower guessing and floods; 0 = no limit.
   *
   * @default {5}
   */
  authFailureRatePerSecond: number;
  /**
   * Failed authentications one source address may cause at once before the throttle.
   * 0 is refused.
   *
   * @default {50}
   */
  authFailureBurst: number;
  /**
   * Time a client has to send its request headers, in milliseconds, before its
   * connection is closed (slowloris). Enforced on mTLS nodes (`node:https`); `Deno.serve`
   * (plain HTTP and TLS without client certificates) has no such limit (see
   * docs/security.md). Too low refuses clients on slow links. 0 is refused.
   *
   * @default {10000}
   */
  headerTimeoutMs: number;
  /**
   * Time a request body may take to arrive, in milliseconds; then 400 `invalid_request`
   * (reason `body_timeout`) and `Connection: close`. At the 1 MiB default body limit,
   * 10 s allows about 100 KiB/s. 0 is refused.
   *
   * @default {10000}
   */
  bodyTimeoutMs: number;
  /**
   * Host names (without port) accepted in the `Host` header of a loopback-bound node
   * besides localhost, 127.x and [::1] (the DNS-rebinding guard answers others 421
   * `misdirected`). For a reverse proxy or tunnel that passes its own name; `*` turns
   * the guard off. Ignored on non-loopback binds.
   *
   * @default {[]}
   */
  allowedHosts: string[];
  /**
   * Longest lifetime (`exp - iat`) of a scoped token this node accepts, in ms, whatever
   * key signed it: `swarm token issue` never grants more than 366 days, so a longer one
   * was minted outside it (a stolen signing key). Lower it to force shorter tokens. At
   * least 1000.
   *
   * @default {31622400000} (366 days)
   */
  maxTokenLifetimeMs: number;
  /**
   * Period of the backstop re-read of the keyring and TLS files, in milliseconds,
   * besides file events and SIGHUP: bounds how long a revoked token may keep working
   * when an event is missed (symlinked files, network file systems). A re-read whose
   * content hash did not change does nothing. 0 = events and SIGHUP only.
   *
   * @default {5000}
   */
  securityReloadIntervalMs: number;
  /**
   * Largest stdout/stderr kept from a skill or executor command, in bytes; a run
   * printing more is killed. Higher admits chattier skills at the cost of memory and
   * larger results. 0 is refused.
   *
   * @default {1048576} (1 MiB)
   */
  maxOutputBytes: number;
  /**
   * Most memory one skill run may use with everything it starts, in bytes (a memory
   * cgroup kills it beyond; without one, RLIMIT_AS for non-Deno skills and the V8 heap
   * for Deno skills). Lower protects the node from a greedy skill; higher lets data
   * skills work. 0 = no limit.
   *
   * @default {536870912} (512 MiB)
   */
  skillMemoryBytes: number;
  /**
   * Most processes and threads one skill run may have at once (a pids cgroup; forks
   * beyond it fail, so a fork bomb stops there). Threads count: a Deno skill needs a
   * few dozen. 0 = no limit.
   *
   * @default {256}
   */
  skillMaxProcesses: number;
  /**
   * Most bytes one skill run may write: the size of the tmpfs on its working directory
   * and of the one on its `/tmp` (each), and the largest file it may grow anywhere,
   * declared write paths included (RLIMIT_FSIZE). 0 = no limit (the working directory
   * is then a host directory).
   *
   * @default {67108864} (64 MiB)
   */
  skillDiskBytes: number;
  /**
   * File the shared token was read from (`--token-file`), so skills can be kept away
   * from it. Undefined = the token came from SKILLLITE_SWARM_TOKEN, or there is none.
   */
  tokenFile?: string;
  /**
   * File the node token was read from (`--node-token-file`), so skills can be kept away
   * from it. Undefined = the node token came from SWARM_NODE_TOKEN or is the shared one.
   */
  nodeTokenFile?: string;
  /**
   * Minimum level of the log lines written to stderr. `debug` shows every decision;
   * `warning` and `error` keep quiet nodes quiet.
   *
   * @default {"info"}
   */
  logLevel: "debug" | "info" | "warning" | "error";
  /**
   * Log line format: JSON lines, text for people, or `auto` (text on a terminal, else
   * JSON).
   *
   * @default {"auto"}
   */
  logFormat: "auto" | "json" | "pretty";
  /**
   * Whether the node announces itself and browses on mDNS. Derived: only on the LAN
   * (`allowNet` given and a non-loopback bind) and unless `--no-mdns` was passed.
   *
   * @default {false}
   */
  mdnsEnabled: boolean;
  /** Network interface (name or IPv4 address) mDNS uses; undefined = every interface. */
  mdnsInterface?: string;
  /**
   * TTL of this node's mDNS records, in seconds. Peers forget a node that stops
   * answering within about this time; a shorter TTL notices dead nodes sooner at the
   * cost of more multicast queries (peers re-query at 40% of it). 0 is refused.
   *
   * @default {120}
   */
  mdnsTtlS: number;
  /**
   * Install the skills that arrive by skill sync: releases signed by a publisher of the
   * node's trust store (`swarm trust`) for that skill name. Off, the node still verifies,
   * keeps and passes on releases (so a mesh converges through it) but installs none.
   *
   * @default {false}
   */
  acceptSkills: boolean;
  /**
   * Pause between two anti-entropy rounds of skill sync, in milliseconds. Each round
   * re-reads the trust store and the pins and compares digest lists with `syncFanout`
   * random peers (a few bytes when nothing changed). Shorter heals a missed push (a node
   * that was down, a partition) sooner, at one small request per peer per round.
   * 0 is refused.
   *
   * @default {2000}
   */
  syncIntervalMs: number;
  /**
   * Peers a new skill release is pushed to at once, and peers exchanged with per round.
   * Higher spreads a release in fewer hops at more traffic per release; 0 turns gossip
   * off (the node still answers peers and publishers).
   *
   * @default {3}
   */
  syncFanout: number;
  /**
   * Publish the skill an `--executor-cmd` agent reports in a result's `new_skill`
   * (SkillLite's evolved skill): signed with `publisherKeyFile` and spread by skill sync.
   * Only a skill directory inside the task's own work directory is published; the field
   * is passed through either way. Needs `publisherKeyFile`.
   *
   * @default {false}
   */
  publishNewSkills: boolean;
  /**
   * Ed25519 publisher key (`swarm key gen`) this node signs the agent's new skills with,
   * for `publishNewSkills`; no skill may read it. Undefined = none.
   */
  publisherKeyFile?: string;
  /**
   * LLM capability inference, from SkillLite's environment variables (see
   * `llmConfigFromEnv`): off without an API key.
   */
  llm: LlmConfig;
}

/**
 * What a preset fixes: every {@link Config} field but those computed at load time from
 * the environment and the flags (`dataDir`, from the port and `$XDG_DATA_HOME`).
 */
export type ConfigPreset = Omit<Config, "dataDir">;

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * The loopback preset, and the base of every configuration: the node binds
 * 127.0.0.1:7700, reaches only loopback, announces nothing and needs no token. Its
 * timings suit peers on the same host, which answer in well under a millisecond. Every
 * default of {@link Config} is written here and only here; the option table, the help
 * text and the policies (`retryPolicyOf`, `healthPolicyOf`, `executionPolicyOf`) take
 * theirs from it.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "./config.ts";
 * console.assert(DEFAULT_CONFIG.listen.port === 7700);
 * console.assert(DEFAULT_CONFIG.allowNet.kind === "loopback");
 * ```
 */
export const DEFAULT_CONFIG: Readonly<ConfigPreset> = deepFreeze({
  listen: { ...DEFAULT_LISTEN },
  allowNet: { kind: "loopback" },
  insecureNoAuth: false,
  allowPlainPeers: false,
  forwardScopedToSkilllite: false,
  allowSkillLitePeers: false,
  peers: [],
  skillsDirs: [],
  starterSkills: true,
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
  taskRetentionMs: 24 * 60 * 60 * 1000,
  forwardTimeoutMs: 120_000,
  maxPeerResultBytes: 8 * 1024 * 1024,
  canDoTimeoutMs: 3_000,
  peerProbeIntervalMs: 5_000,
  maxBodyBytes: 1024 * 1024,
  maxHeaderBytes: 16 * 1024,
  maxHeaders: 100,
  taskRatePerSecond: 20,
  taskRateBurst: 40,
  authFailureRatePerSecond: 5,
  authFailureBurst: 50,
  headerTimeoutMs: 10_000,
  bodyTimeoutMs: 10_000,
  allowedHosts: [],
  maxTokenLifetimeMs: 366 * 24 * 60 * 60 * 1000,
  securityReloadIntervalMs: 5_000,
  maxOutputBytes: 1024 * 1024,
  skillMemoryBytes: 512 * 1024 * 1024,
  skillMaxProcesses: 256,
  skillDiskBytes: 64 * 1024 * 1024,
  logLevel: "info",
  logFormat: "auto",
  mdnsEnabled: false,
  mdnsTtlS: 120,
  acceptSkills: false,
  syncIntervalMs: 2_000,
  syncFanout: 3,
  publishNewSkills: false,
  llm: llmConfigFromEnv({}),
});

/**
 * The LAN preset: {@link DEFAULT_CONFIG} with the few values a mesh across machines
 * needs otherwise, each with its reason. `loadConfig` starts from it when the node opts
 * into the LAN (`--allow-net` and a non-loopback bind; see {@link presetFor}); flags,
 * environment and config file still override each value.
 *
 * Kept equal to the loopback values on purpose: `healthIntervalMs` and
 * `deadAfterFailures` (a killed LAN peer must still stop receiving tasks within 3 s),
 * the SkillLite timings (`forwardTimeoutMs`, `canDoTimeoutMs`) and every limit.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG, LAN_CONFIG } from "./config.ts";
 * console.assert(LAN_CONFIG.healthTimeoutMs > DEFAULT_CONFIG.healthTimeoutMs);
 * console.assert(LAN_CONFIG.maxHops === DEFAULT_CONFIG.maxHops);
 * ```
 */
export const LAN_CONFIG: Readonly<ConfigPreset> = deepFreeze({
  ...DEFAULT_CONFIG,
  listen: { host: "0.0.0.0", port: DEFAULT_LISTEN.port }, // every interface: the LAN opt-in
  allowNet: { kind: "any" }, // peers anywhere; narrow it with --allow-net=CIDR
  mdnsEnabled: true, // finding peers without seeds is what the LAN is for
  healthTimeoutMs: 1_000, // LAN round trips spike (Wi-Fi, busy links); detection stays ≤ 3 s
});

/**
 * Whether a node is on the LAN: it opted in with `--allow-net` and binds a
 * non-loopback address. That decides its preset and whether mDNS may run.
 *
 * @example
 * ```ts
 * import { onLan } from "./config.ts";
 * console.assert(!onLan({ kind: "any" }, "127.0.0.1"));
 * console.assert(onLan({ kind: "any" }, "0.0.0.0"));
 * ```
 */
export function onLan(allowNet: NetAllowance, bindHost: string): boolean {
  return allowNet.kind !== "loopback" && !isLoopbackHost(bindHost);
}

/**
 * The preset a node starts from: {@link LAN_CONFIG} on the LAN (see {@link onLan}),
 * else {@link DEFAULT_CONFIG}.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG, LAN_CONFIG, presetFor } from "./config.ts";
 * console.assert(presetFor({ kind: "loopback" }, "127.0.0.1") === DEFAULT_CONFIG);
 * console.assert(presetFor({ kind: "any" }, "0.0.0.0") === LAN_CONFIG);
 * ```
 */
export function presetFor(allowNet: NetAllowance, bindHost: string): Readonly<ConfigPreset> {
  return onLan(allowNet, bindHost) ? LAN_CONFIG : DEFAULT_CONFIG;
}

/** Kinds of value an option takes. */
export type OptionType = "string" | "boolean" | "integer" | "list";

/** One configurable knob: its flag, environment variable, file key, default and help line. */
export interface OptionSpec {
  /** Key in the JSON config file and in the raw option record. */
  key: string;
  /** Long flag without dashes. */
  flag: string;
  /** Environment variable, when the knob can come from the environment. */
  env?: string;
  /**
   * Kind of value; decides parsing and checking (a `list` flag repeats, its
   * environment value is comma-separated).
   */
  type: OptionType;
  /**
   * Default shown in `--help` and docs/configuration.md: the value of
   * {@link DEFAULT_CONFIG} (with the {@link LAN_CONFIG} value when it differs), or a
   * description where the default is computed at load time.
   */
  defaultText: string;
  /**
   * Smallest value an `integer` option accepts (`loadConfig` refuses less): 1 where 0
   * would turn off something that must stay on (a time limit, a size limit).
   *
   * @default {0}
   */
  min?: number;
  /** Placeholder in `--help`. */
  arg?: string;
  /** One line of help. */
  doc: string;
}

/** A row of the option table before its default text is filled in from the presets. */
type OptionRow = Omit<OptionSpec, "defaultText"> & { defaultText?: string };

const DAY_MS = 24 * 60 * 60 * 1000;

/** A preset value as the help shows it: whole days of a `…Ms` value spelt out too. */
function shown(key: string, value: unknown): string {
  if (key === "listen") {
    const { host, port } = value as ListenAddress;
    return formatHostPort(host, port);
  }
  const text = String(value);
  if (key.endsWith("Ms") && typeof value === "number" && value >= DAY_MS && value % DAY_MS === 0) {
    const days = value / DAY_MS;
    return `${text} (${days} ${days === 1 ? "day" : "days"})`;
  }
  return text;
}

/** The option's default text, from the presets unless the row gives its own. */
function withDefaultText(row: OptionRow): OptionSpec {
  if (row.defaultText !== undefined) return row as OptionSpec;
  const key = row.key as keyof ConfigPreset;
  if (!(key in DEFAULT_CONFIG)) {
    throw new TypeError(`Cannot show the default of option '${row.key}': no preset holds it`);
  }
  const base = shown(key, DEFAULT_CONFIG[key]);
  const lan = shown(key, LAN_CONFIG[key]);
  return { ...row, defaultText: key === "listen" || lan === base ? base : `${base} (LAN: ${lan})` };
}

/**
 * The option table: the single source of the node's flags, env variables and file keys.
 * Defaults come from {@link DEFAULT_CONFIG} and {@link LAN_CONFIG}; only defaults
 * computed at load time are described in words here.
 */
export const OPTIONS: readonly OptionSpec[] = Object.freeze(([
  {
    key: "listen",
    flag: "listen",
    env: "SWARM_LISTEN",
    type: "string",
    arg: "ADDR",
    doc: "HTTP address: HOST:PORT, :PORT, PORT (=127.0.0.1:PORT) or [IPv6]:PORT",
  },
  {
    key: "allowNet",
    flag: "allow-net",
    env: "SWARM_ALLOW_NET",
    type: "string",
    arg: "HOSTS",
    defaultText: "loopback only",
    doc: "LAN opt-in: 0.0.0.0 (any) or hosts/host:ports/CIDRs, comma-separated",
  },
  {
    key: "insecureNoAuth",
    flag: "insecure-no-auth",
    env: "SWARM_INSECURE_NO_AUTH",
    type: "boolean",
    doc: "allow a non-loopback bind with no token (anyone on the network can run tasks)",
  },
  {
    key: "tokenFile",
    flag: "token-file",
    env: "SWARM_TOKEN_FILE",
    type: "string",
    arg: "FILE",
    defaultText: "$SKILLLITE_SWARM_TOKEN",
    doc: "read the bearer token from FILE instead of SKILLLITE_SWARM_TOKEN",
  },
  {
    key: "keyringFile",
    flag: "keyring",
    env: "SWARM_KEYRING",
    type: "string",
    arg: "FILE",
    defaultText: "none",
    doc: "keyring verifying scoped tokens ('swarm token'); reloaded live on change",
  },
  {
    key: "nodeTokenFile",
    flag: "node-token-file",
    env: "SWARM_NODE_TOKEN_FILE",
    type: "string",
    arg: "FILE",
    defaultText: "$SWARM_NODE_TOKEN, else the shared token",
    doc: "token this node presents to peers (probes, who-can-do, its own forwards)",
  },
  {
    key: "tlsCertFile",
    flag: "tls-cert",
    env: "SWARM_TLS_CERT",
    type: "string",
    arg: "FILE",
    defaultText: "none (plain HTTP)",
    doc: "PEM certificate to serve HTTPS with (needs --tls-key); reloaded on change or SIGHUP",
  },
  {
    key: "tlsKeyFile",
    flag: "tls-key",
    env: "SWARM_TLS_KEY",
    type: "string",
    arg: "FILE",
    defaultText: "none",
    doc: "PEM private key of --tls-cert",
  },
  {
    key: "tlsClientCaFile",
    flag: "tls-client-ca",
    env: "SWARM_TLS_CLIENT_CA",
    type: "string",
    arg: "FILE",
    defaultText: "none",
    doc: "mTLS: require client certificates signed by this PEM CA bundle",
  },
  {
    key: "tlsCaFile",
    flag: "tls-ca",
    env: "SWARM_TLS_CA",
    type: "string",
    arg: "FILE",
    defaultText: "--tls-client-ca, else system roots",
    doc: "PEM CA bundle that https peers are verified against",
  },
  {
    key: "allowPlainPeers",
    flag: "allow-plain-peers",
    env: "SWARM_ALLOW_PLAIN_PEERS",
    type: "boolean",
    doc: "let a TLS node use http:// peers (tasks and tokens then cross in clear text)",
  },
  {
    key: "forwardScopedToSkilllite",
    flag: "forward-scoped-to-skilllite",
    env: "SWARM_FORWARD_SCOPED_TO_SKILLLITE",
    type: "boolean",
    doc: "forward scoped-token tasks to SkillLite peers, which cannot enforce scopes",
  },
  {
    key: "allowSkillLitePeers",
    flag: "allow-skilllite-peers",
    env: "SWARM_ALLOW_SKILLLITE_PEERS",
    type: "boolean",
    doc: "trust unproven peers (SkillLite) with the token: anyone on the LAN can pose as one",
  },
  {
    key: "dataDir",
    flag: "data-dir",
    env: "SWARM_DATA_DIR",
    type: "string",
    arg: "DIR",
    defaultText: "$XDG_DATA_HOME/swarm/PORT",
    doc: "node id and Deno KV routing table; ':memory:' keeps nothing",
  },
  {
    key: "peers",
    flag: "peer",
    env: "SWARM_PEERS",
    type: "list",
    arg: "HOST:PORT",
    defaultText: "none",
    doc: "static peer seed (repeatable; env: comma-separated); http:// or https:// prefix allowed",
  },
  {
    key: "skillsDirs",
    flag: "skills-dir",
    env: "SWARM_SKILLS_DIRS",
    type: "list",
    arg: "DIR",
    defaultText: ".skills and skills, when present",
    doc: "directory of SKILL.md skills (repeatable)",
  },
  {
    key: "noStarterSkills",
    flag: "no-starter-skills",
    env: "SWARM_NO_STARTER_SKILLS",
    type: "boolean",
    defaultText: "false",
    doc: "no starter skills when no skills directory is found",
  },
  {
    key: "executorCmd",
    flag: "executor-cmd",
    env: "SWARM_EXECUTOR_CMD",
    type: "string",
    arg: "CMD",
    defaultText: "none",
    doc: "external agent: reads a NodeTask JSON on stdin, prints a NodeResult JSON",
  },
  {
    key: "allowUnsandboxed",
    flag: "allow-unsandboxed",
    env: "SWARM_ALLOW_UNSANDBOXED",
    type: "boolean",
    doc: "run non-Deno skills without bubblewrap when it is not installed",
  },
  {
    key: "maxHops",
    flag: "max-hops",
    env: "SWARM_MAX_HOPS",
    type: "integer",
    arg: "N",
    doc: "forwards a task may cross before it is refused",
  },
  {
    key: "taskTimeoutMs",
    flag: "task-timeout-ms",
    env: "SWARM_TASK_TIMEOUT_MS",
    type: "integer",
    arg: "MS",
    min: 1,
    doc: "task deadline across hops (default and most a caller may ask for); then 504",
  },
  {
    key: "execTimeoutMs",
    flag: "exec-timeout-ms",
    env: "SWARM_EXEC_TIMEOUT_MS",
    type: "integer",
    arg: "MS",
    min: 1,
    doc: "wall-clock limit of one skill run or agent command (then task_completed false)",
  },
  {
    key: "maxConcurrentTasks",
    flag: "max-concurrent-tasks",
    env: "SWARM_MAX_CONCURRENT_TASKS",
    type: "integer",
    arg: "N",
    min: 1,
    doc: "local executions at once",
  },
  {
    key: "maxQueuedTasks",
    flag: "max-queued-tasks",
    env: "SWARM_MAX_QUEUED_TASKS",
    type: "integer",
    arg: "N",
    doc: "local executions waiting for a slot; beyond it 429 overloaded + Retry-After",
  },
  {
    key: "drainTimeoutMs",
    flag: "drain-timeout-ms",
    env: "SWARM_DRAIN_TIMEOUT_MS",
    type: "integer",
    arg: "MS",
    min: 1,
    doc: "on SIGTERM, time in-flight tasks get to finish before they are killed",
  },
  {
    key: "healthIntervalMs",
    flag: "health-interval-ms",
    env: "SWARM_HEALTH_INTERVAL_MS",
    type: "integer",
    arg: "MS",
    min: 1,
    doc: "how often each peer's /healthz is probed",
  },
  {
    key: "healthTimeoutMs",
    flag: "health-timeout-ms",
    env: "SWARM_HEALTH_TIMEOUT_MS",
    type: "integer",
    arg: "MS",
    min: 1,
    doc: "a health probe slower than this failed",
  },
  {
    key: "deadAfterFailures",
    flag: "dead-after-failures",
    env: "SWARM_DEAD_AFTER_FAILURES",
    type: "integer",
    arg: "N",
    min: 1,
    doc: "consecutive failed probes after which a peer is dead (not routed to)",
  },
  {
    key: "maxForwardAttempts",
    flag: "max-forward-attempts",
    env: "SWARM_MAX_FORWARD_ATTEMPTS",
    type: "integer",
    arg: "N",
    min: 1,
    doc: "forward attempts per task across candidates (retry budget)",
  },
  {
    key: "retryBaseDelayMs",
    flag: "retry-base-delay-ms",
    env: "SWARM_RETRY_BASE_DELAY_MS",
    type: "integer",
    arg: "MS",
    doc: "first retry delay; doubles per retry, with jitter",
  },
  {
    key: "retryMaxDelayMs",
    flag: "retry-max-delay-ms",
    env: "SWARM_RETRY_MAX_DELAY_MS",
    type: "integer",
    arg: "MS",
    min: 1,
    doc: "largest retry delay",
  },
  {
    key: "taskRetentionMs",
    flag: "task-retention-ms",
    env: "SWARM_TASK_RETENTION_MS",
    type: "integer",
    arg: "MS",
    min: 1,
    doc: "how long finished tasks are remembered for deduplication",
  },
  {
    key: "forwardTimeoutMs",
    flag: "forward-timeout-ms",
    env: "SWARM_FORWARD_TIMEOUT_MS",
    type: "integer",
    arg: "MS",
    min: 1,
    doc: "limit of one forward attempt to a peer",
  },
  {
    key: "maxPeerResultBytes",
    flag: "max-peer-result-bytes",
    env: "SWARM_MAX_PEER_RESULT_BYTES",
    type: "integer",
    arg: "BYTES",
    min: 1,
    doc: "largest task result (or stream line) read from a peer; longer answers are refused",
  },
  {
    key: "canDoTimeoutMs",
    flag: "can-do-timeout-ms",
    env: "SWARM_CAN_DO_TIMEOUT_MS",
    type: "integer",
    arg: "MS",
    min: 1,
    doc: "limit of one /can-do question in the who-can-do broadcast",
  },
  {
    key: "peerProbeIntervalMs",
    flag: "peer-probe-interval-ms",
    env: "SWARM_PEER_PROBE_INTERVAL_MS",
    type: "integer",
    arg: "MS",
    min: 1,
    doc: "how often static peers are asked for their identity and capabilities",
  },
  {
    key: "maxBodyBytes",
    flag: "max-body-bytes",
    env: "SWARM_MAX_BODY_BYTES",
    type: "integer",
    arg: "BYTES",
    min: 1,
    doc: "largest accepted request body",
  },
  {
    key: "maxHeaderBytes",
    flag: "max-header-bytes",
    env: "SWARM_MAX_HEADER_BYTES",
    type: "integer",
    arg: "BYTES",
    min: 1,
    doc: "largest request header block (then 431)",
  },
  {
    key: "maxHeaders",
    flag: "max-headers",
    env: "SWARM_MAX_HEADERS",
    type: "integer",
    arg: "N",
    min: 1,
    doc: "most request headers (then 431)",
  },
  {
    key: "taskRatePerSecond",
    flag: "task-rate",
    env: "SWARM_TASK_RATE",
    type: "integer",
    arg: "N",
    doc: "tasks per second one client may submit on average (then 429); 0 = no limit",
  },
  {
    key: "taskRateBurst",
    flag: "task-burst",
    env: "SWARM_TASK_BURST",
    type: "integer",
    arg: "N",
    min: 1,
    doc: "tasks one client may submit at once above --task-rate",
  },
  {
    key: "authFailureRatePerSecond",
    flag: "auth-failure-rate",
    env: "SWARM_AUTH_FAILURE_RATE",
    type: "integer",
    arg: "N",
    doc: "failed authentications per second one address may cause (then 429); 0 = no limit",
  },
  {
    key: "authFailureBurst",
    flag: "auth-failure-burst",
    env: "SWARM_AUTH_FAILURE_BURST",
    type: "integer",
    arg: "N",
    min: 1,
    doc: "failed authentications one address may cause at once above --auth-failure-rate",
  },
  {
    key: "headerTimeoutMs",
    flag: "header-timeout-ms",
    env: "SWARM_HEADER_TIMEOUT_MS",
    type: "integer",
    arg: "MS",
    min: 1,
    doc: "time a client has to send its headers (mTLS transport), then the connection closes",
  },
  {
    key: "bodyTimeoutMs",
    flag: "body-timeout-ms",
    env: "SWARM_BODY_TIMEOUT_MS",
    type: "integer",
    arg: "MS",
    min: 1,
    doc: "time a request body may take to arrive (then 400 body_timeout)",
  },
  {
    key: "allowedHosts",
    flag: "allowed-host",
    env: "SWARM_ALLOWED_HOSTS",
    type: "list",
    arg: "NAME",
    defaultText: "loopback names only",
    doc: "extra Host name a loopback node answers (DNS-rebinding guard; repeatable; * = any)",
  },
  {
    key: "maxTokenLifetimeMs",
    flag: "max-token-lifetime-ms",
    env: "SWARM_MAX_TOKEN_LIFETIME_MS",
    type: "integer",
    arg: "MS",
    min: 1000,
    doc: "longest exp - iat of a scoped token accepted, whatever signed it",
  },
  {
    key: "securityReloadIntervalMs",
    flag: "security-reload-interval-ms",
    env: "SWARM_SECURITY_RELOAD_INTERVAL_MS",
    type: "integer",
    arg: "MS",
    doc: "backstop re-read of keyring and TLS files (applied when changed); 0 = events only",
  },
  {
    key: "maxOutputBytes",
    flag: "max-output-bytes",
    env: "SWARM_MAX_OUTPUT_BYTES",
    type: "integer",
    arg: "BYTES",
    min: 1,
    doc: "largest output kept from a skill or executor command",
  },
  {
    key: "skillMemoryBytes",
    flag: "skill-memory-bytes",
    env: "SWARM_SKILL_MEMORY_BYTES",
    type: "integer",
    arg: "BYTES",
    doc: "most memory one skill run may use (0 = no limit)",
  },
  {
    key: "skillMaxProcesses",
    flag: "skill-max-processes",
    env: "SWARM_SKILL_MAX_PROCESSES",
    type: "integer",
    arg: "N",
    doc: "most processes and threads one skill run may have (0 = no limit)",
  },
  {
    key: "skillDiskBytes",
    flag: "skill-disk-bytes",
    env: "SWARM_SKILL_DISK_BYTES",
    type: "integer",
    arg: "BYTES",
    doc: "most bytes one skill run may write (0 = no limit)",
  },
  {
    key: "mdnsInterface",
    flag: "mdns-interface",
    env: "SWARM_MDNS_INTERFACE",
    type: "string",
    arg: "IF",
    defaultText: "all interfaces",
    doc: "interface (name or IPv4 address) for mDNS discovery",
  },
  {
    key: "mdnsTtlS",
    flag: "mdns-ttl-s",
    env: "SWARM_MDNS_TTL_S",
    type: "integer",
    arg: "S",
    min: 1,
    doc: "TTL of this node's mDNS records: peers drop a silent node after it",
  },
  {
    key: "acceptSkills",
    flag: "accept-skills",
    env: "SWARM_ACCEPT_SKILLS",
    type: "boolean",
    doc: "install skills synced from peers, when signed by a publisher of the trust store",
  },
  {
    key: "syncIntervalMs",
    flag: "sync-interval-ms",
    env: "SWARM_SYNC_INTERVAL_MS",
    type: "integer",
    arg: "MS",
    min: 1,
    doc: "pause between skill-sync rounds (digest exchange with a few peers)",
  },
  {
    key: "syncFanout",
    flag: "sync-fanout",
    env: "SWARM_SYNC_FANOUT",
    type: "integer",
    arg: "N",
    doc: "peers a new skill release is pushed to, and exchanged with per round; 0 = no gossip",
  },
  {
    key: "publishNewSkills",
    flag: "publish-new-skills",
    env: "SWARM_PUBLISH_NEW_SKILLS",
    type: "boolean",
    doc: "sign and spread the new_skill an --executor-cmd agent reports (needs --publisher-key)",
  },
  {
    key: "publisherKeyFile",
    flag: "publisher-key",
    env: "SWARM_PUBLISHER_KEY",
    type: "string",
    arg: "FILE",
    defaultText: "none",
    doc: "Ed25519 publisher key ('swarm key gen') for --publish-new-skills",
  },
  {
    key: "noMdns",
    flag: "no-mdns",
    env: "SWARM_NO_MDNS",
    type: "boolean",
    defaultText: "false",
    doc: "no mDNS announcement or browsing, even on the LAN (use --peer seeds)",
  },
  {
    key: "logLevel",
    flag: "log-level",
    env: "SWARM_LOG_LEVEL",
    type: "string",
    arg: "LEVEL",
    doc: "debug, info, warning or error (JSON lines on stderr)",
  },
  {
    key: "logFormat",
    flag: "log-format",
    env: "SWARM_LOG_FORMAT",
    type: "string",
    arg: "FORMAT",
    doc: "json, pretty, or auto (pretty on a terminal, else JSON lines)",
  },
  {
    key: "config",
    flag: "config",
    env: "SWARM_CONFIG",
    type: "string",
    arg: "FILE",
    defaultText: "none",
    doc: "JSON file with any of these options, keyed by their camelCase names",
  },
] satisfies OptionRow[]).map(withDefaultText));
