/**
 * Tolerant reading of DNS-SD TXT records (RFC 6763 §6) and of SkillLite's
 * `capabilities` value.
 *
 * @module
 */
import { MAX_CAPABILITIES, MAX_CAPABILITY_CHARS, MAX_TXT_STRING_BYTES } from "./constants.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });
/** Most strings read from one TXT record (256 full strings already fill its 65535 bytes). */
const MAX_TXT_STRINGS = 256;
/** Longest capabilities text worth parsing, in characters. */
const MAX_CAPABILITIES_TEXT = 65536;
// deno-lint-ignore no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** The bytes of one TXT character string, or null when it has none of an accepted kind. */
function stringBytes(item: unknown): Uint8Array | null {
  if (item instanceof Uint8Array) return item;
  // A UTF-16 code unit is at least one UTF-8 byte: longer strings are oversized anyway.
  if (typeof item === "string") {
    return item.length > MAX_TXT_STRING_BYTES ? null : encoder.encode(item);
  }
  return null;
}

/**
 * Decodes TXT data into a key → value map. Accepts what `dns-packet` produces (an
 * array of buffers) and what people build (a string, a byte array, an array of
 * either). Keys are lower-cased and the first occurrence of a key wins (RFC 6763
 * §6.4); `key` without `=` maps to `""`. Skipped: empty strings, strings over 255
 * bytes, strings starting with `=`, keys with control characters, items of other
 * types, strings after the 256th. Invalid UTF-8 is replaced with U+FFFD. Never throws.
 *
 * @param data TXT record data.
 * @returns The entries, as a plain object (a `__proto__` key is an own property).
 * @example
 * ```ts
 * import { decodeTxt } from "./txt.ts";
 * const txt = decodeTxt(["Capabilities=[\"calc\"]", "flag", "capabilities=ignored"]);
 * console.assert(txt.capabilities === "[\"calc\"]" && txt.flag === "");
 * ```
 */
export function decodeTxt(data: unknown): Record<string, string> {
  const items: unknown[] = Array.isArray(data) ? data : [data];
  const entries = new Map<string, string>();
  const count = Math.min(items.length, MAX_TXT_STRINGS);
  for (let i = 0; i < count; i++) {
    const bytes = stringBytes(items[i]);
    if (!bytes || bytes.length === 0 || bytes.length > MAX_TXT_STRING_BYTES) continue;
    const text = decoder.decode(bytes);
    const eq = text.indexOf("=");
    const key = (eq < 0 ? text : text.slice(0, eq)).toLowerCase();
    if (key === "" || CONTROL.test(key) || entries.has(key)) continue;
    entries.set(key, eq < 0 ? "" : text.slice(eq + 1));
  }
  return Object.fromEntries(entries);
}

/**
 * Reads SkillLite's `capabilities` TXT value: a JSON array of strings (SkillLite
 * writes it compact). Returns null when the value is absent, not JSON, not an array,
 * or holds a non-string; the caller then treats the peer as having no capabilities.
 * Of the strings, empty ones, ones over 128 characters and ones with control
 * characters are dropped, duplicates removed, and at most 256 kept, in order.
 *
 * @param value The TXT value, or undefined when the key is missing.
 * @example
 * ```ts
 * import { parseCapabilities } from "./txt.ts";
 * console.assert(parseCapabilities('["calc","web","calc"]')?.join() === "calc,web");
 * console.assert(parseCapabilities("calc") === null);
 * console.assert(parseCapabilities('["calc",1]') === null);
 * ```
 */
export function parseCapabilities(value: string | undefined): string[] | null {
  if (typeof value !== "string" || value.length > MAX_CAPABILITIES_TEXT) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || !parsed.every((t) => typeof t === "string")) return null;
  const tags = new Set<string>();
  for (const tag of parsed as string[]) {
    if (tags.size >= MAX_CAPABILITIES) break;
    if (tag === "" || tag.length > MAX_CAPABILITY_CHARS || CONTROL.test(tag)) continue;
    tags.add(tag);
  }
  return [...tags];
}
