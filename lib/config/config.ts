/**
 * The node's configuration: every knob in one object, each documented with its
 * meaning, unit and default, and the option table that builds it from flags, the
 * environment and an optional JSON file.
 *
 * @module
 */
import type { ListenAddress } from "./listen_address.ts";
import type { NetAllowance } from "./net_allowance.ts";

/** Settings for SkillLite-compatible LLM capability inference (DESIGN.md §3 rule 3). */
export interface LlmSettings {
  /** Whether inference asks the chat endpoint at all (needs a key; off with SKILLLITE_SWARM_LLM_ROUTING=0). */
  enabled: boolean;
  /** API key for the chat endpoint. */
  apiKey?: string;
  /** Base URL of the OpenAI-compatible API, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  /** Model name sent in the request. */
  model: string;
  /** Time allowed for one inference request before falling back to offline inference. */
  timeoutMs: number;
}

/** Every setting of a node. Built once at start-up by `loadConfig` and never mutated. */
export interface Config {
  /** Address the HTTP API binds. A non-loopback host needs `allowNet` (the LAN opt-in). */
  listen: ListenAddress;
  /** How far the node's network side may reach; Deno's permission system enforces it. */
  allowNet: NetAllowance;
  /** Serve a non-loopback address without any authentication. Dangerous; off by default. */
  insecureNoAuth: boolean;
  /** Shared bearer token (SKILLLITE_SWARM_TOKEN or `--token-file`); undefined = no auth. */
  token?: string;
  /**
   * Keyring file whose public keys verify scoped tokens (`swarm token`); reloaded live
   * when it changes, so rotation and revocation need no restart.
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
   * Use plain-http peers although this node serves TLS. Off by default: a TLS node never
   * sends a task or a token in clear text.
   */
  allowPlainPeers: boolean;
  /**
   * Forward tasks that came with a scoped token to SkillLite peers (which know only the
   * shared token and cannot enforce scopes) once this node has checked the scope.
   */
  forwardScopedToSkilllite: boolean;
  /**
   * Send the node's token and tasks to peers that cannot prove mesh membership (SkillLite
   * nodes, which have no membership challenge). Off by default: that is SkillLite's own
   * trust model, where anyone on the LAN who announces a peer receives the token.
   */
  allowSkillLitePeers: boolean;
  /** Directory holding the node id and the Deno KV store; `:memory:` keeps nothing. */
  dataDir: string;
  /** Static peer seeds as base URLs (`http://host:port`). */
  peers: string[];
  /** Directories scanned for SKILL.md skills. */
  skillsDirs: string[];
  /** External agent command that reads a NodeTask on stdin and prints a NodeResult. */
  executorCmd?: string;
  /** Run non-Deno skills without a sandbox when bubblewrap is missing. */
  allowUnsandboxed: boolean;
  /** Forwards a task may cross before it is refused (loop guard). 0 = never forward. */
  maxHops: number;
  /**
   * Time budget of a task, in milliseconds, from its arrival at the first node: the
   * default, and the most a caller may ask for (`timeout_ms`, `x-swarm-deadline-ms`). The
   * remaining budget travels with each forward; every hop answers 504 `timeout` when it
   * runs out and kills a local skill then.
   */
  taskTimeoutMs: number;
  /**
   * Wall-clock limit of one skill run or agent command, in milliseconds. Exceeding it
   * is a task failure (`task_completed: false`), not a timeout of the whole task.
   */
  execTimeoutMs: number;
  /** Local executions run at once. More wait in the queue. */
  maxConcurrentTasks: number;
  /**
   * Local executions that may wait for a slot. Beyond it a task is refused with 429
   * `overloaded` and `Retry-After` (peers retry elsewhere). 0 = no waiting.
   */
  maxQueuedTasks: number;
  /** On SIGTERM/SIGINT, how long in-flight tasks may take to finish before they are killed. */
  drainTimeoutMs: number;
  /** How often each peer's `/healthz` is probed, in milliseconds. */
  healthIntervalMs: number;
  /** Time a health probe may take before it counts as failed, in milliseconds. */
  healthTimeoutMs: number;
  /**
   * Consecutive failed probes after which a peer is dead (not routed to). Worst-case
   * detection time ≈ deadAfterFailures × healthIntervalMs + healthTimeoutMs.
   */
  deadAfterFailures: number;
  /** Forward attempts per task across candidates, the first included (retry budget). */
  maxForwardAttempts: number;
  /** First retry delay, in milliseconds; doubles each retry, with jitter. */
  retryBaseDelayMs: number;
  /** Largest retry delay, in milliseconds. */
  retryMaxDelayMs: number;
  /** How long finished tasks are remembered for deduplication, in milliseconds. */
  taskRetentionMs: number;
  /** Limit of one forward attempt to a peer, in milliseconds (SkillLite: 120 s). */
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
  /** Limit of one `/can-do` question during the who-can-do broadcast (SkillLite: 3 s). */
  canDoTimeoutMs: number;
  /** How often static peers are probed for identity and capabilities, in milliseconds. */
  peerProbeIntervalMs: number;
  /** Largest accepted request body, in bytes. */
  maxBodyBytes: number;
  /** Largest request header block (names, values and the request target), in bytes. */
  maxHeaderBytes: number;
  /** Most request headers accepted. */
  maxHeaders: number;
  /**
   * Tasks per second one client (token, certificate or address) may submit on average;
   * beyond it 429 `rate_limited`. 0 = no limit.
   */
  taskRatePerSecond: number;
  /** Tasks one client may submit in a burst above `taskRatePerSecond`. */
  taskRateBurst: number;
  /**
   * Failed authentications per second one source address may cause on average; beyond
   * `authFailureBurst` its failures are answered 429 `rate_limited` with `Retry-After`
   * instead of 401. Valid credentials are never charged nor refused, so honest callers
   * sharing the address (every local process on a loopback node, everything behind a
   * reverse proxy) are not locked out. Lower = slower guessing and floods; 0 = no limit.
   */
  authFailureRatePerSecond: number;
  /** Failed authentications one source address may cause at once before the throttle. */
  authFailureBurst: number;
  /**
   * Time a client has to send its request headers, in milliseconds, before its
   * connection is closed (slowloris). Enforced on mTLS nodes (`node:https`); `Deno.serve`
   * (plain HTTP and TLS without client certificates) has no such limit (see
   * docs/security.md). Too low refuses clients on slow links.
   */
  headerTimeoutMs: number;
  /**
   * Time a request body may take to arrive, in milliseconds; then 400 `invalid_request`
   * (reason `body_timeout`) and `Connection: close`. At the 1 MiB default body limit,
   * 10 s allows about 100 KiB/s.
   */
  bodyTimeoutMs: number;
  /**
   * Host names (without port) accepted in the `Host` header of a loopback-bound node
   * besides localhost, 127.x and [::1] (the DNS-rebinding guard answers others 421
   * `misdirected`). For a reverse proxy or tunnel that passes its own name; `*` turns
   * the guard off. Ignored on non-loopback binds.
   */
  allowedHosts: string[];
  /**
   * Longest lifetime (`exp - iat`) of a scoped token this node accepts, in ms, whatever
   * key signed it: `swarm token issue` never grants more than 366 days, so a longer one
   * was minted outside it (a stolen signing key). Lower it to force shorter tokens.
   */
  maxTokenLifetimeMs: number;
  /**
   * Period of the backstop re-read of the keyring and TLS files, in milliseconds,
   * besides file events and SIGHUP: bounds how long a revoked token may keep working
   * when an event is missed (symlinked files, network file systems). A re-read whose
   * content hash did not change does nothing. 0 = events and SIGHUP only.
   */
  securityReloadIntervalMs: number;
  /** Largest stdout/stderr kept from a skill or executor command, in bytes. */
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
  /** File the shared token was read from (`--token-file`), so skills can be kept away from it. */
  tokenFile?: string;
  /** File the node token was read from (`--node-token-file`), so skills can be kept away from it. */
  nodeTokenFile?: string;
  /** Minimum level of the log lines written to stderr. */
  logLevel: "debug" | "info" | "warning" | "error";
  /** Log line format: JSON lines, text for people, or `auto` (text on a terminal, else JSON). */
  logFormat: "auto" | "json" | "pretty";
  /**
   * Whether the node announces itself and browses on mDNS. Derived: only on the LAN
   * (`allowNet` given and a non-loopback bind) and unless `--no-mdns` was passed.
   */
  mdnsEnabled: boolean;
  /** Network interface (name or IPv4 address) mDNS uses; undefined = every interface. */
  mdnsInterface?: string;
  /**
   * TTL of this node's mDNS records, in seconds. Peers forget a node that stops
   * answering within about this time; a shorter TTL notices dead nodes sooner at the
   * cost of more multicast queries (peers re-query at 40% of it).
   */
  mdnsTtlS: number;
  /** LLM capability inference, from SkillLite's environment variables. */
  llm: LlmSettings;
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
  /** Default shown in `--help` (the value itself is applied by `loadConfig`). */
  defaultText: string;
  /** Placeholder in `--help`. */
  arg?: string;
  /** One line of help. */
  doc: string;
}

/** The option table: the single source of the node's flags, env variables and file keys. */
export const OPTIONS: readonly OptionSpec[] = [
  {
    key: "listen",
    flag: "listen",
    env: "SWARM_LISTEN",
    type: "string",
    arg: "ADDR",
    defaultText: "127.0.0.1:7700",
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
    defaultText: "false",
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
    defaultText: "false",
    doc: "let a TLS node use http:// peers (tasks and tokens then cross in clear text)",
  },
  {
    key: "forwardScopedToSkilllite",
    flag: "forward-scoped-to-skilllite",
    env: "SWARM_FORWARD_SCOPED_TO_SKILLLITE",
    type: "boolean",
    defaultText: "false",
    doc: "forward scoped-token tasks to SkillLite peers, which cannot enforce scopes",
  },
  {
    key: "allowSkillLitePeers",
    flag: "allow-skilllite-peers",
    env: "SWARM_ALLOW_SKILLLITE_PEERS",
    type: "boolean",
    defaultText: "false",
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
    defaultText: "false",
    doc: "run non-Deno skills without bubblewrap when it is not installed",
  },
  {
    key: "maxHops",
    flag: "max-hops",
    env: "SWARM_MAX_HOPS",
    type: "integer",
    arg: "N",
    defaultText: "4",
    doc: "forwards a task may cross before it is refused",
  },
  {
    key: "taskTimeoutMs",
    flag: "task-timeout-ms",
    env: "SWARM_TASK_TIMEOUT_MS",
    type: "integer",
    arg: "MS",
    defaultText: "120000",
    doc: "task deadline across hops (default and most a caller may ask for); then 504",
  },
  {
    key: "execTimeoutMs",
    flag: "exec-timeout-ms",
    env: "SWARM_EXEC_TIMEOUT_MS",
    type: "integer",
    arg: "MS",
    defaultText: "60000",
    doc: "wall-clock limit of one skill run or agent command (then task_completed false)",
  },
  {
    key: "maxConcurrentTasks",
    flag: "max-concurrent-tasks",
    env: "SWARM_MAX_CONCURRENT_TASKS",
    type: "integer",
    arg: "N",
    defaultText: "4",
    doc: "local executions at once",
  },
  {
    key: "maxQueuedTasks",
    flag: "max-queued-tasks",
    env: "SWARM_MAX_QUEUED_TASKS",
    type: "integer",
    arg: "N",
    defaultText: "32",
    doc: "local executions waiting for a slot; beyond it 429 overloaded + Retry-After",
  },
  {
    key: "drainTimeoutMs",
    flag: "drain-timeout-ms",
    env: "SWARM_DRAIN_TIMEOUT_MS",
    type: "integer",
    arg: "MS",
    defaultText: "30000",
    doc: "on SIGTERM, time in-flight tasks get to finish before they are killed",
  },
  {
    key: "healthIntervalMs",
    flag: "health-interval-ms",
    env: "SWARM_HEALTH_INTERVAL_MS",
    type: "integer",
    arg: "MS",
    defaultText: "1000",
    doc: "how often each peer's /healthz is probed",
  },
  {
    key: "healthTimeoutMs",
    flag: "health-timeout-ms",
    env: "SWARM_HEALTH_TIMEOUT_MS",
    type: "integer",
    arg: "MS",
    defaultText: "500",
    doc: "a health probe slower than this failed",
  },
  {
    key: "deadAfterFailures",
    flag: "dead-after-failures",
    env: "SWARM_DEAD_AFTER_FAILURES",
    type: "integer",
    arg: "N",
    defaultText: "2",
    doc: "consecutive failed probes after which a peer is dead (not routed to)",
  },
  {
    key: "maxForwardAttempts",
    flag: "max-forward-attempts",
    env: "SWARM_MAX_FORWARD_ATTEMPTS",
    type: "integer",
    arg: "N",
    defaultText: "3",
    doc: "forward attempts per task across candidates (retry budget)",
  },
  {
    key: "retryBaseDelayMs",
    flag: "retry-base-delay-ms",
    env: "SWARM_RETRY_BASE_DELAY_MS",
    type: "integer",
    arg: "MS",
    defaultText: "100",
    doc: "first retry delay; doubles per retry, with jitter",
  },
  {
    key: "retryMaxDelayMs",
    flag: "retry-max-delay-ms",
    env: "SWARM_RETRY_MAX_DELAY_MS",
    type: "integer",
    arg: "MS",
    defaultText: "2000",
    doc: "largest retry delay",
  },
  {
    key: "taskRetentionMs",
    flag: "task-retention-ms",
    env: "SWARM_TASK_RETENTION_MS",
    type: "integer",
    arg: "MS",
    defaultText: "86400000",
    doc: "how long finished tasks are remembered for deduplication",
  },
  {
    key: "forwardTimeoutMs",
    flag: "forward-timeout-ms",
    env: "SWARM_FORWARD_TIMEOUT_MS",
    type: "integer",
    arg: "MS",
    defaultText: "120000",
    doc: "limit of one forward attempt to a peer",
  },
  {
    key: "maxPeerResultBytes",
    flag: "max-peer-result-bytes",
    env: "SWARM_MAX_PEER_RESULT_BYTES",
    type: "integer",
    arg: "BYTES",
    defaultText: "8388608",
    doc: "largest task result (or stream line) read from a peer; longer answers are refused",
  },
  {
    key: "canDoTimeoutMs",
    flag: "can-do-timeout-ms",
    env: "SWARM_CAN_DO_TIMEOUT_MS",
    type: "integer",
    arg: "MS",
    defaultText: "3000",
    doc: "limit of one /can-do question in the who-can-do broadcast",
  },
  {
    key: "peerProbeIntervalMs",
    flag: "peer-probe-interval-ms",
    env: "SWARM_PEER_PROBE_INTERVAL_MS",
    type: "integer",
    arg: "MS",
    defaultText: "5000",
    doc: "how often static peers are asked for their identity and capabilities",
  },
  {
    key: "maxBodyBytes",
    flag: "max-body-bytes",
    env: "SWARM_MAX_BODY_BYTES",
    type: "integer",
    arg: "BYTES",
    defaultText: "1048576",
    doc: "largest accepted request body",
  },
  {
    key: "maxHeaderBytes",
    flag: "max-header-bytes",
    env: "SWARM_MAX_HEADER_BYTES",
    type: "integer",
    arg: "BYTES",
    defaultText: "16384",
    doc: "largest request header block (then 431)",
  },
  {
    key: "maxHeaders",
    flag: "max-headers",
    env: "SWARM_MAX_HEADERS",
    type: "integer",
    arg: "N",
    defaultText: "100",
    doc: "most request headers (then 431)",
  },
  {
    key: "taskRatePerSecond",
    flag: "task-rate",
    env: "SWARM_TASK_RATE",
    type: "integer",
    arg: "N",
    defaultText: "20",
    doc: "tasks per second one client may submit on average (then 429); 0 = no limit",
  },
  {
    key: "taskRateBurst",
    flag: "task-burst",
    env: "SWARM_TASK_BURST",
    type: "integer",
    arg: "N",
    defaultText: "40",
    doc: "tasks one client may submit at once above --task-rate",
  },
  {
    key: "authFailureRatePerSecond",
    flag: "auth-failure-rate",
    env: "SWARM_AUTH_FAILURE_RATE",
    type: "integer",
    arg: "N",
    defaultText: "5",
    doc: "failed authentications per second one address may cause (then 429); 0 = no limit",
  },
  {
    key: "authFailureBurst",
    flag: "auth-failure-burst",
    env: "SWARM_AUTH_FAILURE_BURST",
    type: "integer",
    arg: "N",
    defaultText: "50",
    doc: "failed authentications one address may cause at once above --auth-failure-rate",
  },
  {
    key: "headerTimeoutMs",
    flag: "header-timeout-ms",
    env: "SWARM_HEADER_TIMEOUT_MS",
    type: "integer",
    arg: "MS",
    defaultText: "10000",
    doc: "time a client has to send its headers (mTLS transport), then the connection closes",
  },
  {
    key: "bodyTimeoutMs",
    flag: "body-timeout-ms",
    env: "SWARM_BODY_TIMEOUT_MS",
    type: "integer",
    arg: "MS",
    defaultText: "10000",
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
    defaultText: "31622400000 (366 days)",
    doc: "longest exp - iat of a scoped token accepted, whatever signed it",
  },
  {
    key: "securityReloadIntervalMs",
    flag: "security-reload-interval-ms",
    env: "SWARM_SECURITY_RELOAD_INTERVAL_MS",
    type: "integer",
    arg: "MS",
    defaultText: "5000",
    doc: "backstop re-read of keyring and TLS files (applied when changed); 0 = events only",
  },
  {
    key: "maxOutputBytes",
    flag: "max-output-bytes",
    env: "SWARM_MAX_OUTPUT_BYTES",
    type: "integer",
    arg: "BYTES",
    defaultText: "1048576",
    doc: "largest output kept from a skill or executor command",
  },
  {
    key: "skillMemoryBytes",
    flag: "skill-memory-bytes",
    env: "SWARM_SKILL_MEMORY_BYTES",
    type: "integer",
    arg: "BYTES",
    defaultText: "536870912",
    doc: "most memory one skill run may use (0 = no limit)",
  },
  {
    key: "skillMaxProcesses",
    flag: "skill-max-processes",
    env: "SWARM_SKILL_MAX_PROCESSES",
    type: "integer",
    arg: "N",
    defaultText: "256",
    doc: "most processes and threads one skill run may have (0 = no limit)",
  },
  {
    key: "skillDiskBytes",
    flag: "skill-disk-bytes",
    env: "SWARM_SKILL_DISK_BYTES",
    type: "integer",
    arg: "BYTES",
    defaultText: "67108864",
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
    defaultText: "120",
    doc: "TTL of this node's mDNS records: peers drop a silent node after it",
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
    defaultText: "info",
    doc: "debug, info, warning or error (JSON lines on stderr)",
  },
  {
    key: "logFormat",
    flag: "log-format",
    env: "SWARM_LOG_FORMAT",
    type: "string",
    arg: "FORMAT",
    defaultText: "auto",
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
];
