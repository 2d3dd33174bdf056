/**
 * Conflict detection while probing (RFC 6762 §8.1, §9).
 *
 * @module
 */
import type { Answer } from "./_dns_types.ts";
import { recordKey } from "./_record_key.ts";
import { quote } from "./_problems.ts";
import { nameKey } from "./names.ts";
import { serviceRecords } from "./service_records.ts";
import type { LocalService } from "./types.ts";

const UNIQUE_TYPES = new Set(["SRV", "TXT", "A", "AAAA"]);
const MAX_RECORDS = 1024;

/**
 * The records of a response that claim this node's instance name or host name with
 * other data than `local` would send: another node answering for the same id (a
 * copied data directory). Each is described for a log line; an empty list means no
 * conflict. Records identical to ours (our own packets looped back) and goodbyes are
 * not conflicts. Meant for the probing phase; never throws on `packet`.
 *
 * @param packet A decoded mDNS response (untrusted).
 * @param local What this node is about to advertise.
 * @throws {RangeError} When `local` is invalid (see `serviceRecords`).
 * @example
 * ```ts
 * import { probeConflicts } from "./probe_conflicts.ts";
 * const local = {
 *   nodeId: "n1", port: 7700, scheme: "http" as const, capabilities: [], addresses: ["10.0.0.2"],
 * };
 * const other = { name: "n1.local", type: "A", ttl: 120, data: "10.0.0.9" };
 * console.assert(probeConflicts({ type: "response", answers: [other] }, local).length === 1);
 * ```
 */
export function probeConflicts(packet: unknown, local: LocalService): string[] {
  const r = serviceRecords(local, 1);
  const ours: Answer[] = [r.srv, r.txt, ...r.addresses];
  const names = new Set(ours.map((a) => nameKey(a.name)));
  const keys = new Set(ours.map((a) => recordKey(a)));
  const conflicts: string[] = [];
  if (typeof packet !== "object" || packet === null) return conflicts;
  const p = packet as { type?: unknown; answers?: unknown; additionals?: unknown };
  if (p.type !== undefined && p.type !== "response") return conflicts;
  const records = [p.answers, p.additionals].flatMap((l) => Array.isArray(l) ? l : [])
    .slice(0, MAX_RECORDS);
  for (const record of records) {
    if (typeof record !== "object" || record === null) continue;
    const { name, type, ttl } = record as { name?: unknown; type?: unknown; ttl?: unknown };
    if (typeof name !== "string" || typeof type !== "string" || ttl === 0) continue;
    if (!names.has(nameKey(name)) || !UNIQUE_TYPES.has(type.toUpperCase())) continue;
    const key = recordKey(record);
    if (key === null || !keys.has(key)) {
      conflicts.push(`${type.toUpperCase()} record of ${quote(name)} with other data`);
    }
  }
  return conflicts;
}
