/**
 * How this node answers an mDNS query (RFC 6762 §6-7, RFC 6763 §12).
 *
 * @module
 */
import { SERVICE_TYPE, SERVICES_META_QUERY } from "./constants.ts";
import type { Answer, ResponsePacket } from "./_dns_types.ts";
import { recordKey } from "./_record_key.ts";
import { nameKey } from "./names.ts";
import { serviceRecords } from "./service_records.ts";
import type { LocalService } from "./types.ts";

/** Most questions and known answers looked at in one query. */
const MAX_QUESTIONS = 64;
const MAX_KNOWN_ANSWERS = 1024;
// IN or ANY, with or without the unicast-response bit (dns-packet 5.6.1 reports that
// bit as class UNKNOWN_<n>).
const ACCEPTED_CLASSES = new Set([undefined, "IN", "ANY", "UNKNOWN_32769", "UNKNOWN_33023"]);

/** Keys of the known answers whose TTL is at least half of `ttlS` (RFC 6762 §7.1). */
function knownKeys(known: unknown, ttlS: number): Set<string> {
  const keys = new Set<string>();
  if (!Array.isArray(known)) return keys;
  for (const record of known.slice(0, MAX_KNOWN_ANSWERS)) {
    const ttl = (record as { ttl?: unknown } | null)?.ttl;
    if (typeof ttl !== "number" || !(ttl * 2 >= ttlS)) continue; // NaN is not known.
    const key = recordKey(record);
    if (key !== null) keys.add(key);
  }
  return keys;
}

/**
 * The response this node owes to `query`, or null when it owes none: no question is
 * about its records, or the querier already knows every answer.
 *
 * Answered (names compared case-insensitively, class IN or ANY, with or without the
 * unicast-response bit):
 * - PTR/ANY `_skilllite-swarm._udp.local` → the PTR; SRV, TXT, A/AAAA as additionals;
 * - PTR/ANY `_services._dns-sd._udp.local` → a PTR to the service type;
 * - SRV, TXT or ANY for the instance name (ANY gives both); SRV and ANY add A/AAAA;
 * - A, AAAA or ANY for the host name; A adds the AAAA records and AAAA the A records.
 *
 * Known-answer suppression: an answer the query already lists with a TTL of at least
 * half of `ttlS` is left out, as is an additional that is listed or already an answer.
 * Malformed questions and known answers are skipped; never throws on `query`.
 *
 * @param query A decoded query (`QueryPacket` shape: `questions`, and known answers in
 * `answers`), untrusted.
 * @param local What this node advertises.
 * @param ttlS TTL of the records sent, in seconds (at least 1).
 * @throws {RangeError} When `ttlS` is below 1, or `local` is invalid (see `serviceRecords`).
 * @example
 * ```ts
 * import { answerQuery } from "./answer_query.ts";
 * const local = {
 *   nodeId: "n1", port: 7700, scheme: "http" as const, capabilities: [], addresses: ["10.0.0.2"],
 * };
 * const query = { questions: [{ name: "_skilllite-swarm._udp.local", type: "PTR" }] };
 * const res = answerQuery(query, local, 120);
 * console.assert(res?.answers[0].type === "PTR" && res.additionals.length === 3);
 * const known = { ...query, answers: res!.answers };
 * console.assert(answerQuery(known, local, 120) === null);
 * ```
 */
export function answerQuery(
  query: unknown,
  local: LocalService,
  ttlS: number,
): ResponsePacket | null {
  if (!(ttlS >= 1)) {
    throw new RangeError(
      `Cannot answer a query as 'ttlS' must be at least 1: current value is ${ttlS}`,
    );
  }
  const r = serviceRecords(local, ttlS);
  const instance = nameKey(r.srv.name);
  const host = nameKey(r.srv.data.target);
  const v4 = r.addresses.filter((a) => a.type === "A");
  const v6 = r.addresses.filter((a) => a.type === "AAAA");
  const answers: Answer[] = [];
  const additionals: Answer[] = [];
  const packet = (typeof query === "object" && query !== null ? query : {}) as {
    questions?: unknown;
    answers?: unknown;
  };
  const questions = Array.isArray(packet.questions) ? packet.questions : [];
  for (const q of questions.slice(0, MAX_QUESTIONS)) {
    if (typeof q !== "object" || q === null) continue;
    const { name, type, class: klass } = q as { name?: unknown; type?: unknown; class?: unknown };
    if (typeof name !== "string" || typeof type !== "string") continue;
    if (!ACCEPTED_CLASSES.has(klass as string | undefined)) continue;
    const key = nameKey(name);
    const t = type.toUpperCase();
    if (key === SERVICE_TYPE && (t === "PTR" || t === "ANY")) {
      answers.push(r.ptr);
      additionals.push(r.srv, r.txt, ...r.addresses);
    } else if (key === SERVICES_META_QUERY && (t === "PTR" || t === "ANY")) {
      answers.push({
        name: SERVICES_META_QUERY,
        type: "PTR",
        class: "IN",
        ttl: ttlS,
        data: SERVICE_TYPE,
      });
    } else if (key === instance) {
      if (t === "SRV" || t === "ANY") {
        answers.push(r.srv);
        additionals.push(...r.addresses);
      }
      if (t === "TXT" || t === "ANY") answers.push(r.txt);
    } else if (key === host) {
      if (t === "A" || t === "ANY") answers.push(...v4);
      if (t === "AAAA" || t === "ANY") answers.push(...v6);
      if (t === "A") additionals.push(...v6);
      if (t === "AAAA") additionals.push(...v4);
    }
  }
  const known = knownKeys(packet.answers, ttlS);
  const isKnown = (record: Answer) => known.has(recordKey(record) ?? "");
  const sentAnswers = [...new Set(answers)].filter((a) => !isKnown(a));
  if (sentAnswers.length === 0) return null;
  const inAnswers = new Set<Answer>(answers);
  const sentAdditionals = [...new Set(additionals)].filter((a) => !inAnswers.has(a) && !isKnown(a));
  return { answers: sentAnswers, additionals: sentAdditionals };
}
