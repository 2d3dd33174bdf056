/**
 * The operator's network opt-in (`--allow-net`) and the Deno `net` grant it yields.
 *
 * @module
 */
import { formatHostPort, isLoopbackHost } from "./listen_address.ts";

/** How far the node's network side may reach. */
export type NetAllowance =
  /** The default: loopback only. */
  | { kind: "loopback" }
  /** Everything (`--allow-net`, `--allow-net=0.0.0.0`). */
  | { kind: "any" }
  /** Loopback plus these hosts, `host:port`s or CIDR ranges. */
  | { kind: "list"; hosts: string[] };

/** Deno `net` grants that make up "loopback". */
export const LOOPBACK_GRANT: readonly string[] = ["127.0.0.0/8", "[::1]", "localhost"];

const HOST_ENTRY = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/;
// Deno's permission system accepts IPv4 CIDR ranges only.
const CIDR_ENTRY = /^(?:\d{1,3}\.){3}\d{1,3}\/(\d{1,2})$/;

/** Whether Deno would accept `entry` as a `net` grant. */
function isGrantEntry(entry: string): boolean {
  const host = HOST_ENTRY.exec(entry);
  if (host) return host[1] === undefined || Number(host[1]) <= 65535;
  const cidr = CIDR_ENTRY.exec(entry);
  return cidr !== null && Number(cidr[1]) <= 32;
}

/**
 * Parses the value of `--allow-net`: empty, `0.0.0.0`, `::` or `*` mean any host;
 * otherwise a comma-separated list of hosts, `host:port`s or CIDRs.
 *
 * @throws {RangeError} On an entry that is neither.
 * @example
 * ```ts
 * import { parseNetAllowance } from "./net_allowance.ts";
 * console.assert(parseNetAllowance("0.0.0.0").kind === "any");
 * console.assert(parseNetAllowance("10.0.0.0/8,192.168.1.5").kind === "list");
 * ```
 */
export function parseNetAllowance(value: string): NetAllowance {
  const entries = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (entries.length === 0 || entries.some((e) => ["0.0.0.0", "::", "[::]", "*"].includes(e))) {
    return { kind: "any" };
  }
  for (const entry of entries) {
    if (!isGrantEntry(entry)) {
      throw new RangeError(
        `Cannot parse --allow-net entry '${entry}': expected a host, host:port or CIDR range`,
      );
    }
  }
  return { kind: "list", hosts: entries };
}

/**
 * The Deno `net` permission for the node's network worker: loopback, the bind address,
 * and whatever the operator opted into. `true` means unrestricted.
 *
 * @example
 * ```ts
 * import { netGrant } from "./net_allowance.ts";
 * const grant = netGrant({ kind: "loopback" }, "127.0.0.1", 7700);
 * console.assert(Array.isArray(grant) && grant.includes("127.0.0.0/8"));
 * ```
 */
export function netGrant(allow: NetAllowance, bindHost: string, port: number): true | string[] {
  if (allow.kind === "any") return true;
  const grant = [...LOOPBACK_GRANT];
  if (!isLoopbackHost(bindHost)) grant.push(formatHostPort(bindHost, port));
  if (allow.kind === "list") grant.push(...allow.hosts);
  return [...new Set(grant)];
}

/** Human/JSON description of an allowance, for status output. */
export function describeAllowance(allow: NetAllowance): string {
  if (allow.kind === "list") return allow.hosts.join(",");
  return allow.kind;
}
