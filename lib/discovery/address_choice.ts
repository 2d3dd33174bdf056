/**
 * Which of a peer's advertised addresses this node may and should connect to.
 *
 * @module
 */
import { formatHostPort, type NetAllowance } from "../config/mod.ts";
import { addressScope, inIPv4Cidr, type ParsedIp, parseIp, parseIPv4 } from "./_ip.ts";

/** Preference rank of an address (lower is better); null when it cannot be connected to. */
function rank(ip: ParsedIp): number | null {
  switch (addressScope(ip)) {
    case "global":
      return ip.family === 4 ? 0 : 1;
    case "link-local":
      // An IPv6 link-local address needs a zone (interface) that mDNS does not carry.
      return ip.family === 4 ? 2 : null;
    case "loopback":
      return ip.family === 4 ? 3 : 4;
    default:
      return null;
  }
}

function compareBytes(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Parsed, deduplicated, sorted best first; unusable addresses last, invalid text dropped. */
function ranked(addresses: string[]): { ip: ParsedIp; rank: number | null }[] {
  const seen = new Map<string, ParsedIp>();
  for (const text of addresses) {
    const ip = typeof text === "string" ? parseIp(text) : null;
    if (ip) seen.set(ip.text, ip);
  }
  return [...seen.values()]
    .map((ip) => ({ ip, rank: rank(ip) }))
    .sort((a, b) => (a.rank ?? 99) - (b.rank ?? 99) || compareBytes(a.ip.bytes, b.ip.bytes));
}

/**
 * Canonical forms of `addresses`, deduplicated, best first: global IPv4, global IPv6,
 * link-local IPv4, loopback IPv4, loopback IPv6, then addresses that cannot be
 * connected to (IPv6 link-local); ties by numeric order. Text that is not an IP
 * literal is dropped.
 *
 * @example
 * ```ts
 * import { sortAddresses } from "./address_choice.ts";
 * const sorted = sortAddresses(["fe80::1", "127.0.0.1", "fd00::2", "169.254.1.1", "10.0.0.2"]);
 * console.assert(sorted.join() === "10.0.0.2,fd00::2,169.254.1.1,127.0.0.1,fe80::1");
 * ```
 */
export function sortAddresses(addresses: string[]): string[] {
  return ranked(addresses).map((r) => r.ip.text);
}

/** One `--allow-net` list entry, read as a test on addresses. */
function entryMatcher(entry: string): (ip: ParsedIp, port: number | undefined) => boolean {
  const cidr = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(entry);
  if (cidr) {
    const base = parseIPv4(cidr[1]);
    const prefix = Number(cidr[2]);
    if (!base || prefix > 32) return () => false;
    return (ip) => ip.family === 4 && inIPv4Cidr(ip.bytes, base, prefix);
  }
  const hostPort = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(entry);
  if (!hostPort) return () => false;
  const host = hostPort[1].replace(/^\[(.*)\]$/, "$1");
  const wanted = parseIp(host);
  if (!wanted) return () => false; // A host name never matches an IP.
  const entryPort = hostPort[2] === undefined ? undefined : Number(hostPort[2]);
  return (ip, port) => ip.text === wanted.text && (entryPort === undefined || entryPort === port);
}

/**
 * The address to reach a peer at: the best of `addresses` (order of
 * {@link sortAddresses}) that `allow` lets this node connect to, or null when none
 * qualifies (the caller logs and drops the peer). A loopback address is never chosen:
 * announced on the LAN, it can only be a spoof aiming the node at itself.
 * - `loopback`: nothing (a loopback node does not use mDNS peers);
 * - `any`: any address that can be connected to (not loopback, unspecified,
 *   multicast, broadcast, nor IPv6 link-local, which would need a zone);
 * - `list`: addresses inside a listed IPv4 CIDR or equal to a listed IPv4 or `[IPv6]`
 *   literal; host names never match; an entry with a port (`10.0.0.5:7700`) matches
 *   only when `port` is given and equal.
 *
 * @param addresses IP literals the peer advertised.
 * @param allow This node's network opt-in.
 * @param port The peer's port, to check `host:port` entries of a `list` allowance.
 * @example
 * ```ts
 * import { chooseAddress } from "./address_choice.ts";
 * const addrs = ["fd00::2", "192.168.1.7", "10.1.2.3"];
 * console.assert(chooseAddress(addrs, { kind: "any" }) === "10.1.2.3");
 * console.assert(chooseAddress(addrs, { kind: "list", hosts: ["192.168.0.0/16"] }) === "192.168.1.7");
 * console.assert(chooseAddress(addrs, { kind: "list", hosts: ["[fd00::2]"] }) === "fd00::2");
 * console.assert(chooseAddress(addrs, { kind: "loopback" }) === null);
 * console.assert(chooseAddress(["127.0.0.1"], { kind: "any" }) === null);
 * ```
 */
export function chooseAddress(
  addresses: string[],
  allow: NetAllowance,
  port?: number,
): string | null {
  const matchers = allow.kind === "list" ? allow.hosts.map(entryMatcher) : [];
  for (const { ip, rank } of ranked(addresses)) {
    // A loopback announcement would aim this node (and its credentials) at its own
    // loopback services: whoever announces it, it is never a peer's address.
    if (rank === null || addressScope(ip) === "loopback") continue;
    const allowed = allow.kind === "any" ||
      (allow.kind === "list" && matchers.some((m) => m(ip, port)));
    if (allowed) return ip.text;
  }
  return null;
}

/**
 * `ip:port`, with an IPv6 address in brackets.
 *
 * @example
 * ```ts
 * import { formatAddress } from "./address_choice.ts";
 * console.assert(formatAddress("fd00::2", 7700) === "[fd00::2]:7700");
 * console.assert(formatAddress("10.0.0.2", 7700) === "10.0.0.2:7700");
 * ```
 */
export function formatAddress(ip: string, port: number): string {
  return formatHostPort(ip, port);
}
