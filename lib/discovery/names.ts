/**
 * Names of swarm's mDNS records: instance `<id>._skilllite-swarm._udp.local`, host
 * `<id>.local`. Comparisons are ASCII case-insensitive, as DNS names are.
 *
 * @module
 */
import { SERVICE_DOMAIN, SERVICE_TYPE } from "./constants.ts";

const encoder = new TextEncoder();
const SERVICE_SUFFIX = `.${SERVICE_TYPE}`;
// C0/C1 controls, DEL, and U+FFFD (what invalid UTF-8 decodes to).
// deno-lint-ignore no-control-regex -- matching control characters is the point
const ODD_CHARS = /[\u0000-\u001f\u007f-\u009f\ufffd]/;

/**
 * The comparison key of a DNS name: ASCII letters lower-cased (length preserved), one
 * trailing dot removed.
 *
 * @example
 * ```ts
 * import { nameKey } from "./names.ts";
 * console.assert(nameKey("Node1.LOCAL.") === "node1.local");
 * ```
 */
export function nameKey(name: string): string {
  const lower = name.replace(/[A-Z]+/g, (s) => s.toLowerCase());
  return lower.endsWith(".") && lower.length > 1 ? lower.slice(0, -1) : lower;
}

/**
 * Whether `part` (what precedes the service type in an instance full name) is
 * acceptable: 1-63 bytes of UTF-8, no control character, no replacement character
 * (invalid UTF-8), not starting with an empty label nor with `addr:` (the form of a
 * SkillLite seed's id in the routing table).
 *
 * @example
 * ```ts
 * import { isValidInstancePart } from "./names.ts";
 * console.assert(isValidInstancePart("6f1c0e52-1d2a-4a57-9a38-4a1f1b0c2d3e"));
 * console.assert(!isValidInstancePart("bad\u0000id"));
 * ```
 */
export function isValidInstancePart(part: string): boolean {
  return part !== "" && !part.startsWith(".") && encoder.encode(part).length <= 63 &&
    !ODD_CHARS.test(part) && !/^addr:/i.test(part);
}

/**
 * Whether `name` is a plausible host name for an SRV target or an address record:
 * 1-253 characters, no empty label, no control or replacement character.
 */
export function isValidHostName(name: string): boolean {
  const n = name.endsWith(".") ? name.slice(0, -1) : name;
  return n !== "" && n.length <= 253 && !n.split(".").includes("") && !ODD_CHARS.test(n);
}

/**
 * The instance full name of node `nodeId`.
 *
 * @example
 * ```ts
 * import { instanceName } from "./names.ts";
 * console.assert(instanceName("n1") === "n1._skilllite-swarm._udp.local");
 * ```
 */
export function instanceName(nodeId: string): string {
  return `${nodeId}${SERVICE_SUFFIX}`;
}

/**
 * The host name of node `nodeId`.
 *
 * @example
 * ```ts
 * import { hostName } from "./names.ts";
 * console.assert(hostName("n1") === "n1.local");
 * ```
 */
export function hostName(nodeId: string): string {
  return `${nodeId}.${SERVICE_DOMAIN}`;
}

/**
 * What precedes the service type in an instance full name of swarm's service type, as
 * written (case kept); null when `name` is not such a name.
 *
 * @example
 * ```ts
 * import { instancePart } from "./names.ts";
 * console.assert(instancePart("N1._SKILLLITE-swarm._udp.local.") === "N1");
 * console.assert(instancePart("n1._http._tcp.local") === null);
 * ```
 */
export function instancePart(name: string): string | null {
  const key = nameKey(name);
  if (key.length <= SERVICE_SUFFIX.length || !key.endsWith(SERVICE_SUFFIX)) return null;
  return name.slice(0, key.length - SERVICE_SUFFIX.length);
}

/**
 * The identity of a peer: the first label of its instance full name (DESIGN.md §3).
 * `dns-packet` joins labels with dots, so an instance label that itself contains a dot
 * yields the text before that dot. Null when `name` is not a valid instance full name
 * of swarm's service type.
 *
 * @example
 * ```ts
 * import { instanceId } from "./names.ts";
 * console.assert(instanceId("n1._skilllite-swarm._udp.local") === "n1");
 * console.assert(instanceId("Printer v1.2._skilllite-swarm._udp.local") === "Printer v1");
 * console.assert(instanceId("_skilllite-swarm._udp.local") === null);
 * ```
 */
export function instanceId(name: string): string | null {
  const part = instancePart(name);
  if (part === null || !isValidInstancePart(part)) return null;
  return part.split(".")[0];
}
