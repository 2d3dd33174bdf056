/**
 * The `Host` check of a loopback-bound node, against DNS rebinding: a web page on
 * `evil.example` whose name is made to resolve to 127.0.0.1 can make a browser send
 * requests to the node, but the browser still names `evil.example` in `Host`. A node
 * listening on loopback therefore answers only requests naming a loopback host (as Vite
 * and Jupyter do). Pure: no I/O.
 *
 * @module
 */

/** Options of {@link hostAllowed}. */
export interface HostCheckOptions {
  /** The address the node is bound to; the check applies only to a loopback bind. */
  bindHost: string;
  /**
   * Host names (without port) accepted besides the loopback ones, compared without case;
   * `"*"` turns the check off. For a reverse proxy or an SSH tunnel that forwards its
   * own name.
   *
   * @default {[]}
   */
  allowedHosts?: readonly string[];
}

/**
 * Whether `name` is a loopback host: `localhost` (and `*.localhost`, RFC 6761), an
 * IPv4 address in 127.0.0.0/8, `::1` (bracketed or not) or `::ffff:127.x.y.z`.
 *
 * @example
 * ```ts
 * import { isLoopbackName } from "./host_check.ts";
 * console.assert(isLoopbackName("127.0.0.1") && isLoopbackName("[::1]"));
 * console.assert(!isLoopbackName("0.0.0.0") && !isLoopbackName("evil.example"));
 * ```
 */
export function isLoopbackName(name: string): boolean {
  const h = name.replace(/^\[|\]$/g, "").replace(/\.$/, "").toLowerCase();
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  const v4 = h.startsWith("::ffff:") ? h.slice(7) : h;
  const parts = v4.split(".");
  return parts.length === 4 && parts[0] === "127" &&
    parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/**
 * The host name of a `Host` header value, without its port and brackets kept for IPv6;
 * undefined when the value is not a plausible `host[:port]`.
 *
 * @example
 * ```ts
 * import { hostName } from "./host_check.ts";
 * console.assert(hostName("localhost:7700") === "localhost");
 * console.assert(hostName("[::1]:7700") === "[::1]");
 * console.assert(hostName("a b") === undefined);
 * ```
 */
export function hostName(value: string): string | undefined {
  const v = value.trim();
  const bracketed = /^(\[[0-9a-fA-F:.]+\])(?::\d{1,5})?$/.exec(v);
  if (bracketed) return bracketed[1];
  const plain = /^([A-Za-z0-9._-]+)(?::\d{1,5})?$/.exec(v);
  return plain ? plain[1] : undefined;
}

/**
 * Whether a request whose `Host` header is `host` may be served. On a non-loopback
 * bind every host is accepted (peers reach the node by address); on a loopback bind
 * only loopback names and `allowedHosts`. A request without `Host` (HTTP/1.0 tools) is
 * accepted: every browser sends one.
 *
 * @param host The `Host` header value, or null when absent.
 * @param options The bind address and the extra names allowed.
 * @example
 * ```ts
 * import { hostAllowed } from "./host_check.ts";
 * console.assert(hostAllowed("localhost:7700", { bindHost: "127.0.0.1" }));
 * console.assert(!hostAllowed("evil.example:7700", { bindHost: "127.0.0.1" }));
 * console.assert(hostAllowed("evil.example:7700", { bindHost: "0.0.0.0" }));
 * ```
 */
export function hostAllowed(host: string | null, options: HostCheckOptions): boolean {
  const { bindHost, allowedHosts = [] } = options;
  if (!isLoopbackName(bindHost) || allowedHosts.includes("*")) return true;
  if (host === null) return true;
  const name = hostName(host);
  if (name === undefined) return false;
  if (isLoopbackName(name)) return true;
  const lower = name.toLowerCase().replace(/\.$/, "");
  return allowedHosts.some((allowed) => allowed.toLowerCase().replace(/\.$/, "") === lower);
}
