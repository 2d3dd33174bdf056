/**
 * IP literal parsing and classification for discovery (no name resolution).
 *
 * @module
 */

/** Where an address is usable. */
export type AddressScope =
  | "global"
  | "link-local"
  | "loopback"
  | "unspecified"
  | "multicast"
  | "broadcast";

/** A parsed IP literal. */
export interface ParsedIp {
  /** 4 or 6. */
  family: 4 | 6;
  /** Canonical text: dotted quad, or RFC 5952 lower-case compressed IPv6. */
  text: string;
  /** IPv4: 4 octets; IPv6: 16 bytes. */
  bytes: number[];
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses a strict dotted-quad IPv4 literal (no leading zeros), or null. */
export function parseIPv4(text: string): number[] | null {
  const m = V4.exec(text);
  if (!m) return null;
  const octets: number[] = [];
  for (const part of m.slice(1)) {
    if (part.length > 1 && part.startsWith("0")) return null;
    const n = Number(part);
    if (n > 255) return null;
    octets.push(n);
  }
  return octets;
}

/** Parses an IPv6 literal (no brackets, no zone; an embedded IPv4 tail allowed) into 16 bytes, or null. */
export function parseIPv6(text: string): number[] | null {
  if (text.length < 2 || text.length > 45 || !/^[0-9A-Fa-f:.]+$/.test(text)) return null;
  let head = text;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".")) {
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (!v4) return null;
    tail = [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]];
    head = text.slice(0, lastColon + 1);
    if (head.endsWith(":") && !head.endsWith("::")) head = head.slice(0, -1);
  }
  const halves = head.split("::");
  if (halves.length > 2) return null;
  const groups = (s: string): number[] | null => {
    if (s === "") return [];
    const out: number[] = [];
    for (const g of s.split(":")) {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = groups(halves[0]);
  const right = halves.length === 2 ? groups(halves[1]) : [];
  if (!left || !right) return null;
  const given = left.length + right.length + tail.length;
  let words: number[];
  if (halves.length === 2) {
    if (given > 7) return null;
    words = [...left, ...new Array(8 - given).fill(0), ...right, ...tail];
  } else {
    if (given !== 8) return null;
    words = [...left, ...tail];
  }
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

/** RFC 5952 text of 16 IPv6 bytes. */
function formatIPv6(bytes: number[]): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i] << 8) | bytes[i + 1]);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/** Parses an IPv4 or IPv6 literal (an IPv6 zone `%eth0` is not accepted), or null. */
export function parseIp(text: string): ParsedIp | null {
  if (typeof text !== "string") return null;
  const v4 = parseIPv4(text);
  if (v4) return { family: 4, text: v4.join("."), bytes: v4 };
  const v6 = parseIPv6(text);
  if (v6) return { family: 6, text: formatIPv6(v6), bytes: v6 };
  return null;
}

/** IPv4 octets embedded in an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), or null. */
function mappedIPv4(bytes: number[]): number[] | null {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return null;
  return bytes[10] === 0xff && bytes[11] === 0xff ? bytes.slice(12) : null;
}

function scopeOfIPv4(o: number[]): AddressScope {
  if (o[0] === 127) return "loopback";
  if (o[0] === 169 && o[1] === 254) return "link-local";
  if (o.every((b) => b === 0)) return "unspecified";
  if (o.every((b) => b === 255)) return "broadcast";
  if (o[0] >= 224 && o[0] <= 239) return "multicast";
  return "global";
}

/** Where `ip` is usable; mapped IPv4 addresses are classified by their IPv4 part. */
export function addressScope(ip: ParsedIp): AddressScope {
  if (ip.family === 4) return scopeOfIPv4(ip.bytes);
  const mapped = mappedIPv4(ip.bytes);
  if (mapped) return scopeOfIPv4(mapped);
  const b = ip.bytes;
  if (b.every((x) => x === 0)) return "unspecified";
  if (b.slice(0, 15).every((x) => x === 0) && b[15] === 1) return "loopback";
  if (b[0] === 0xff) return "multicast";
  if (b[0] === 0xfe && (b[1] & 0xc0) === 0x80) return "link-local";
  return "global";
}

/** Whether IPv4 octets lie inside `base/prefix` (prefix 0-32). */
export function inIPv4Cidr(octets: number[], base: number[], prefix: number): boolean {
  const toInt = (o: number[]) => ((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]) >>> 0;
  if (prefix <= 0) return true;
  const mask = prefix >= 32 ? 0xffffffff : (0xffffffff << (32 - prefix)) >>> 0;
  return ((toInt(octets) & mask) >>> 0) === ((toInt(base) & mask) >>> 0);
}
