/**
 * Identity of a resource record (name, type, data) for known-answer comparison.
 *
 * @module
 */
import { parseIp } from "./_ip.ts";
import { nameKey } from "./names.ts";

const encoder = new TextEncoder();

function txtKey(data: unknown): string | null {
  const items = Array.isArray(data) ? data : [data];
  const parts: string[] = [];
  for (const item of items) {
    const bytes = item instanceof Uint8Array
      ? item
      : typeof item === "string"
      ? encoder.encode(item)
      : null;
    if (!bytes) return null;
    parts.push(Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(""));
  }
  return parts.join(",");
}

function dataKey(type: string, data: unknown): string | null {
  switch (type) {
    case "PTR":
      return typeof data === "string" ? nameKey(data) : null;
    case "SRV": {
      if (typeof data !== "object" || data === null) return null;
      const { target, port } = data as { target?: unknown; port?: unknown };
      return typeof target === "string" && typeof port === "number"
        ? `${nameKey(target)}:${port}`
        : null;
    }
    case "TXT":
      return txtKey(data);
    case "A":
    case "AAAA":
      return typeof data === "string" ? parseIp(data)?.text ?? null : null;
    default:
      return null;
  }
}

/**
 * A string equal for two records with the same name, type and data (names compared
 * case-insensitively, addresses canonically), or null for a record of another type
 * or a malformed one. Never throws.
 */
export function recordKey(record: unknown): string | null {
  if (typeof record !== "object" || record === null) return null;
  const { name, type, data } = record as { name?: unknown; type?: unknown; data?: unknown };
  if (typeof name !== "string" || typeof type !== "string") return null;
  const upper = type.toUpperCase();
  const key = dataKey(upper, data);
  return key === null ? null : `${nameKey(name)}\u0000${upper}\u0000${key}`;
}
