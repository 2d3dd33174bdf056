/**
 * The DNS-SD records that advertise this node (RFC 6763 §4-6, DESIGN.md §3).
 *
 * @module
 */
import { PROTOCOL_VERSION } from "../protocol/mod.ts";
import { MAX_TXT_STRING_BYTES, SERVICE_TYPE, TXT_KEYS } from "./constants.ts";
import type {
  AddressAnswer,
  Answer,
  PtrAnswer,
  Question,
  SrvAnswer,
  TxtAnswer,
} from "./_dns_types.ts";
import { parseIp } from "./_ip.ts";
import { hostName, instanceName, isValidInstancePart } from "./names.ts";
import type { LocalService } from "./types.ts";

export type { LocalService } from "./types.ts";

const encoder = new TextEncoder();

/** The records of {@link serviceRecords}. */
export interface ServiceRecords {
  /** Shared PTR `_skilllite-swarm._udp.local` → instance (no cache-flush bit). */
  ptr: PtrAnswer;
  /** Unique SRV instance → `<id>.local`, port. */
  srv: SrvAnswer;
  /** Unique TXT: `capabilities`, `scheme`, `proto`, `node_id`. */
  txt: TxtAnswer;
  /** Unique A/AAAA records of `<id>.local`, one per distinct address. */
  addresses: AddressAnswer[];
  /** Capability tags left out of TXT because the 255-byte string was full. */
  omittedCapabilities: string[];
}

/** `capabilities=<compact JSON>` within 255 bytes: the tags that fit, in order, and the rest. */
function capabilitiesString(capabilities: string[]): { text: string; omitted: string[] } {
  const prefix = `${TXT_KEYS.capabilities}=`;
  const kept: string[] = [];
  const omitted: string[] = [];
  for (const tag of new Set(capabilities)) {
    const trial = prefix + JSON.stringify([...kept, tag]);
    if (encoder.encode(trial).length <= MAX_TXT_STRING_BYTES) kept.push(tag);
    else omitted.push(tag);
  }
  return { text: prefix + JSON.stringify(kept), omitted };
}

function checkTtl(ttlS: number): void {
  if (!Number.isInteger(ttlS) || ttlS < 0 || ttlS > 0x7fffffff) {
    throw new RangeError(
      `Cannot build mDNS records as 'ttlS' must be an integer 0-2147483647: current value is ${ttlS}`,
    );
  }
}

function checkLocal(local: LocalService): void {
  if (!isValidInstancePart(local.nodeId) || local.nodeId.includes(".")) {
    throw new RangeError(
      `Cannot build mDNS records as 'nodeId' must be one DNS label: current value is '${local.nodeId}'`,
    );
  }
  if (!Number.isInteger(local.port) || local.port < 1 || local.port > 65535) {
    throw new RangeError(
      `Cannot build mDNS records as 'port' must be 1-65535: current value is ${local.port}`,
    );
  }
}

/**
 * The records advertising `local`, every TTL `ttlS` (0 makes goodbyes). The PTR is a
 * shared record; SRV, TXT, A and AAAA are unique and carry the cache-flush bit.
 * Each call returns fresh objects (`dns-packet` rewrites TXT data in place).
 *
 * @param local What this node advertises.
 * @param ttlS TTL of every record, in seconds.
 * @throws {RangeError} On a node id that is not one DNS label, a port outside
 * 1-65535, an address that is not an IP literal, or a TTL that is not 0-2147483647.
 * @example
 * ```ts
 * import { serviceRecords } from "./service_records.ts";
 * const r = serviceRecords({
 *   nodeId: "n1", port: 7700, scheme: "http", capabilities: ["calc"], addresses: ["10.0.0.2"],
 * }, 120);
 * console.assert(r.ptr.data === "n1._skilllite-swarm._udp.local" && r.srv.data.port === 7700);
 * console.assert(r.txt.data[0] === 'capabilities=["calc"]' && r.addresses[0].type === "A");
 * ```
 */
export function serviceRecords(local: LocalService, ttlS: number): ServiceRecords {
  checkTtl(ttlS);
  checkLocal(local);
  const instance = instanceName(local.nodeId);
  const host = hostName(local.nodeId);
  const seen = new Set<string>();
  const addresses: AddressAnswer[] = [];
  for (const literal of local.addresses) {
    const ip = parseIp(literal.replace(/%.*$/, ""));
    if (!ip) {
      throw new RangeError(`Cannot build mDNS records: '${literal}' is not an IP address`);
    }
    if (seen.has(ip.text)) continue;
    seen.add(ip.text);
    addresses.push({
      name: host,
      type: ip.family === 4 ? "A" : "AAAA",
      class: "IN",
      ttl: ttlS,
      flush: true,
      data: ip.text,
    });
  }
  const caps = capabilitiesString(local.capabilities);
  return {
    ptr: { name: SERVICE_TYPE, type: "PTR", class: "IN", ttl: ttlS, flush: false, data: instance },
    srv: {
      name: instance,
      type: "SRV",
      class: "IN",
      ttl: ttlS,
      flush: true,
      data: { target: host, port: local.port, priority: 0, weight: 0 },
    },
    txt: {
      name: instance,
      type: "TXT",
      class: "IN",
      ttl: ttlS,
      flush: true,
      data: [
        caps.text,
        `${TXT_KEYS.scheme}=${local.scheme}`,
        `${TXT_KEYS.proto}=${PROTOCOL_VERSION}`,
        `${TXT_KEYS.nodeId}=${local.nodeId}`,
      ],
    },
    addresses,
    omittedCapabilities: caps.omitted,
  };
}

/**
 * Every record of {@link serviceRecords} in one list, PTR first: what an
 * announcement (RFC 6762 §8.3) sends.
 *
 * @throws {RangeError} As {@link serviceRecords}.
 * @example
 * ```ts
 * import { allRecords } from "./service_records.ts";
 * const records = allRecords({
 *   nodeId: "n1", port: 7700, scheme: "https", capabilities: [], addresses: ["10.0.0.2", "fd00::2"],
 * }, 120);
 * console.assert(records.map((r) => r.type).join() === "PTR,SRV,TXT,A,AAAA");
 * ```
 */
export function allRecords(local: LocalService, ttlS: number): Answer[] {
  const r = serviceRecords(local, ttlS);
  return [r.ptr, r.srv, r.txt, ...r.addresses];
}

/**
 * The goodbye (RFC 6762 §10.1): every record of {@link allRecords} with TTL 0.
 *
 * @throws {RangeError} As {@link serviceRecords}.
 * @example
 * ```ts
 * import { goodbyeRecords } from "./service_records.ts";
 * const bye = goodbyeRecords({
 *   nodeId: "n1", port: 7700, scheme: "http", capabilities: [], addresses: ["10.0.0.2"],
 * });
 * console.assert(bye.length === 4 && bye.every((r) => r.ttl === 0));
 * ```
 */
export function goodbyeRecords(local: LocalService): Answer[] {
  return allRecords(local, 0);
}

/** A probe (RFC 6762 §8.1-8.2): a query for our unique names with our proposed records. */
export interface ProbePacket {
  /** ANY questions for the instance name and the host name. */
  questions: Question[];
  /** The unique records we intend to claim (SRV, TXT, A/AAAA), for tie-breaking. */
  authorities: Answer[];
}

/**
 * The probe query sent (three times, 250 ms apart) before announcing: "does anyone
 * own `<id>._skilllite-swarm._udp.local` or `<id>.local`?", with the records we
 * propose in the authority section. Pass to `mdns.query()`. An answer about those
 * names with other data is a conflict (see `probeConflicts`).
 *
 * @throws {RangeError} As {@link serviceRecords}.
 * @example
 * ```ts
 * import { probeQuery } from "./service_records.ts";
 * const probe = probeQuery({
 *   nodeId: "n1", port: 7700, scheme: "http", capabilities: [], addresses: ["10.0.0.2"],
 * }, 120);
 * console.assert(probe.questions.map((q) => q.name).join() === "n1._skilllite-swarm._udp.local,n1.local");
 * console.assert(probe.authorities.map((r) => r.type).join() === "SRV,TXT,A");
 * ```
 */
export function probeQuery(local: LocalService, ttlS: number): ProbePacket {
  const r = serviceRecords(local, ttlS);
  return {
    questions: [
      { name: r.srv.name, type: "ANY", class: "IN" },
      { name: r.srv.data.target, type: "ANY", class: "IN" },
    ],
    authorities: [r.srv, r.txt, ...r.addresses],
  };
}
