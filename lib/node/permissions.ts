/**
 * The Deno permissions of the node's network worker, computed from its configuration.
 * This is where the loopback-only default is enforced: the worker that serves HTTP,
 * forwards tasks and probes peers cannot reach beyond this grant, whatever its code does.
 *
 * @module
 */
import { type Config, netGrant } from "../config/mod.ts";

/** Permissions handed to the network worker. */
export interface WorkerPermissions {
  /** Hosts, `host:port`s and CIDR ranges the worker may reach or bind; `true` = any. */
  net: true | string[];
  /** Paths the worker may read (the data dir, for Deno KV); `false` = none. */
  read: false | string[];
  /** Paths the worker may write (the data dir, for Deno KV); `false` = none. */
  write: false | string[];
  /**
   * Only {@link WORKER_ENV}: the debug switches the YAML parser reads while skill sync
   * checks a release's SKILL.md. Nothing else of the environment (tokens, keys).
   */
  env: string[];
  /** No subprocesses. */
  run: false;
  /**
   * Only the network-interface listing, and only on a wildcard bind (`0.0.0.0`, `::`):
   * the membership challenge must know which addresses are this node's own.
   */
  sys: false | ["networkInterfaces"];
  /** No native libraries. */
  ffi: false;
}

/**
 * The environment variables the network worker may read: the two debug switches of the
 * `yaml` library (it reads them while parsing, and Deno refuses the read otherwise), so
 * skill sync can check the SKILL.md of a release it installs. Never a secret.
 */
export const WORKER_ENV: readonly string[] = Object.freeze(["LOG_STREAM", "LOG_TOKENS"]);

/** Whether `host` binds every interface. */
export function isWildcardHost(host: string): boolean {
  return host === "0.0.0.0" || host === "::" || host === "[::]";
}

/**
 * The network worker's grant: loopback (plus the bind address and the opted-in hosts)
 * for `net`; the data dir only for `read`/`write` (Deno KV); the interface listing on a
 * wildcard bind; two debug switches of the environment ({@link WORKER_ENV}); nothing else.
 *
 * @example
 * ```ts
 * import { workerPermissions } from "./permissions.ts";
 * const p = workerPermissions({ listen: { host: "127.0.0.1", port: 7700 }, allowNet: { kind: "loopback" }, dataDir: ":memory:" });
 * console.assert(p.run === false && p.read === false && Array.isArray(p.net));
 * ```
 */
export function workerPermissions(
  config: Pick<Config, "listen" | "allowNet" | "dataDir">,
): WorkerPermissions {
  const files = config.dataDir === ":memory:" ? false : [config.dataDir];
  return {
    net: netGrant(config.allowNet, config.listen.host, config.listen.port),
    read: files,
    write: files,
    env: [...WORKER_ENV],
    run: false,
    sys: isWildcardHost(config.listen.host) ? ["networkInterfaces"] : false,
    ffi: false,
  };
}

/** Permissions handed to the mDNS worker. */
export interface MdnsWorkerPermissions {
  /** UDP 5353 on any local address and the mDNS multicast group, nothing else. */
  net: string[];
  /** Only the network-interface listing (to advertise our addresses). */
  sys: string[];
  read: false;
  write: false;
  env: false;
  run: false;
  ffi: false;
}

/**
 * The mDNS worker's grant: the mDNS port and group, and interface listing. It cannot
 * read files, spawn processes, read the environment or reach the HTTP ports.
 *
 * @example
 * ```ts
 * import { mdnsWorkerPermissions } from "./permissions.ts";
 * console.assert(mdnsWorkerPermissions().net.includes("224.0.0.251:5353"));
 * ```
 */
export function mdnsWorkerPermissions(): MdnsWorkerPermissions {
  return {
    net: ["0.0.0.0:5353", "224.0.0.251:5353"],
    sys: ["networkInterfaces"],
    read: false,
    write: false,
    env: false,
    run: false,
    ffi: false,
  };
}
