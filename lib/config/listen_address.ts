/**
 * Listen-address parsing with SkillLite's rules plus IPv6 literals.
 *
 * @module
 */

/** A parsed `host:port`. IPv6 hosts are kept without brackets. */
export interface ListenAddress {
  /** Host name or IP literal to bind (IPv6 without brackets). */
  host: string;
  /** TCP port, 0-65535; 0 lets the system pick a free port. */
  port: number;
}

/** The default listen address, SkillLite's. */
export const DEFAULT_LISTEN: ListenAddress = { host: "127.0.0.1", port: 7700 };

function parsePort(text: string, input: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
    throw new RangeError(`Cannot parse listen address '${input}': port must be 0-65535`);
  }
  return Number(text);
}

/**
 * Parses `host:port`, `:port`, a bare `port` (meaning 127.0.0.1) or `[v6]:port`.
 * An empty string gives the default `127.0.0.1:7700`.
 *
 * @throws {RangeError} When the text is not an address.
 * @example
 * ```ts
 * import { parseListenAddress } from "./listen_address.ts";
 * console.assert(parseListenAddress("7701").host === "127.0.0.1");
 * console.assert(parseListenAddress("[::1]:7700").host === "::1");
 * ```
 */
export function parseListenAddress(input: string): ListenAddress {
  const text = input.trim();
  if (text === "") return { ...DEFAULT_LISTEN };
  if (/^\d+$/.test(text)) return { host: DEFAULT_LISTEN.host, port: parsePort(text, input) };
  // An IPv6 literal, optionally with a zone id (`fe80::1%eth0`).
  const v6 = /^\[([0-9a-fA-F]*:[0-9a-fA-F:.]*(?:%[A-Za-z0-9_.-]+)?)\]:(\d+)$/.exec(text);
  if (v6) return { host: v6[1], port: parsePort(v6[2], input) };
  if (text.startsWith("[")) {
    throw new RangeError(`Cannot parse listen address '${input}': expected [IPv6]:PORT`);
  }
  const colon = text.lastIndexOf(":");
  if (colon < 0 || text.indexOf(":") !== colon) {
    throw new RangeError(
      `Cannot parse listen address '${input}': expected HOST:PORT, :PORT, PORT or [IPv6]:PORT`,
    );
  }
  const host = text.slice(0, colon) || DEFAULT_LISTEN.host;
  if (!/^[A-Za-z0-9.-]+$/.test(host)) {
    throw new RangeError(`Cannot parse listen address '${input}': invalid host '${host}'`);
  }
  return { host, port: parsePort(text.slice(colon + 1), input) };
}

/** Formats an address as `host:port`, bracketing IPv6 hosts. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Whether a host name or literal is loopback (127.0.0.0/8, ::1, localhost).
 *
 * @example
 * ```ts
 * import { isLoopbackHost } from "./listen_address.ts";
 * console.assert(isLoopbackHost("127.0.0.2") && !isLoopbackHost("0.0.0.0"));
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
