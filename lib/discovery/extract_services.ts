/**
 * Reads what an mDNS response says about instances of swarm's service type. The input
 * comes off the network: nothing about its shape is trusted.
 *
 * @module
 */
import { SERVICE_TYPE } from "./constants.ts";
import { addressScope, parseIp } from "./_ip.ts";
import { Problems, quote } from "./_problems.ts";
import { txtInfo } from "./_txt_info.ts";
import { instanceId, instancePart, isValidHostName, nameKey } from "./names.ts";
import { decodeTxt } from "./txt.ts";
import type { AddressRecord, HostRecordSet, ServiceRecordSet } from "./types.ts";

export type { AddressRecord, HostRecordSet, ServiceRecordSet } from "./types.ts";

/** Most records (answers plus additionals) read from one packet; a 9000-byte packet holds fewer. */
export const MAX_RECORDS_PER_PACKET = 1024;

/** What {@link extractServices} found. */
export interface ExtractedRecords {
  /** Instance-level records (PTR, SRV, TXT), one set per instance of swarm's service type. */
  services: ServiceRecordSet[];
  /** A/AAAA records, one set per host name (any host: the SRV of another packet may point there). */
  hosts: HostRecordSet[];
  /** What was ignored and why, for a debug log (bounded, printable). */
  problems: string[];
}

interface RawRecord {
  name: string;
  type: string;
  ttl?: unknown;
  class?: unknown;
  flush?: unknown;
  data?: unknown;
}

/** Text of a caught error; never throws, whatever was thrown. */
function errorText(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return "an unprintable error";
  }
}

function stripDot(name: string): string {
  return name.endsWith(".") && name.length > 1 ? name.slice(0, -1) : name;
}

function validTtl(ttl: unknown): ttl is number {
  return typeof ttl === "number" && Number.isInteger(ttl) && ttl >= 0 && ttl <= 0xffffffff;
}

class Collector {
  services = new Map<string, ServiceRecordSet>();
  hosts = new Map<string, { host: string; addresses: Map<string, AddressRecord> }>();
  problems = new Problems();

  /** The set of the instance named `name`, or null (with a problem) when the name is not valid. */
  instance(name: string, type: string): ServiceRecordSet | null {
    const id = instanceId(name);
    if (id === null) {
      this.problems.add(`Ignored ${type} record of invalid instance name ${quote(name)}`);
      return null;
    }
    const key = nameKey(name);
    let set = this.services.get(key);
    if (!set) this.services.set(key, set = { instance: stripDot(name), id });
    return set;
  }

  record(r: RawRecord): void {
    const type = r.type.toUpperCase();
    const ours = type === "PTR"
      ? nameKey(r.name) === SERVICE_TYPE
      : type === "SRV" || type === "TXT"
      ? instancePart(r.name) !== null
      : type === "A" || type === "AAAA";
    if (!ours) return;
    if (r.class !== undefined && r.class !== "IN") {
      this.problems.add(`Ignored ${type} record of ${quote(r.name)} in class ${quote(r.class)}`);
      return;
    }
    if (!validTtl(r.ttl)) {
      this.problems.add(`Ignored ${type} record of ${quote(r.name)} with TTL ${quote(r.ttl)}`);
      return;
    }
    if (type === "PTR") this.ptr(r, r.ttl);
    else if (type === "SRV") this.srv(r, r.ttl);
    else if (type === "TXT") this.txt(r, r.ttl);
    else this.address(r, type === "A" ? 4 : 6, r.ttl);
  }

  ptr(r: RawRecord, ttl: number): void {
    if (typeof r.data !== "string") {
      this.problems.add(`Ignored PTR record with data of ${quote(r.data)}`);
      return;
    }
    const set = this.instance(r.data, "PTR");
    if (set) set.ptr = { ttl };
  }

  srv(r: RawRecord, ttl: number): void {
    const data = (typeof r.data === "object" && r.data !== null ? r.data : {}) as {
      target?: unknown;
      port?: unknown;
    };
    const { target, port } = data;
    if (typeof target !== "string" || !isValidHostName(target) || target === ".") {
      this.problems.add(`Ignored SRV record of ${quote(r.name)} with target ${quote(target)}`);
      return;
    }
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
      this.problems.add(`Ignored SRV record of ${quote(r.name)} with port ${quote(port)}`);
      return;
    }
    const set = this.instance(r.name, "SRV");
    if (set) set.srv = { ttl, host: stripDot(target), port };
  }

  txt(r: RawRecord, ttl: number): void {
    const d = r.data;
    const kind = Array.isArray(d) || typeof d === "string" || d instanceof Uint8Array;
    if (!kind) {
      this.problems.add(`Ignored TXT record of ${quote(r.name)} with data of ${quote(d)}`);
      return;
    }
    const set = this.instance(r.name, "TXT");
    if (!set) return;
    const entries = decodeTxt(d);
    set.txt = { ttl, entries, info: txtInfo(entries, set.id, this.problems) };
  }

  address(r: RawRecord, family: 4 | 6, ttl: number): void {
    const type = family === 4 ? "A" : "AAAA";
    if (!isValidHostName(r.name)) {
      this.problems.add(`Ignored ${type} record of invalid host name ${quote(r.name)}`);
      return;
    }
    const ip = typeof r.data === "string" ? parseIp(r.data) : null;
    if (!ip || ip.family !== family) {
      this.problems.add(`Ignored ${type} record of ${quote(r.name)} with data ${quote(r.data)}`);
      return;
    }
    const scope = addressScope(ip);
    if (scope === "unspecified" || scope === "multicast" || scope === "broadcast") {
      this.problems.add(`Ignored ${type} record of ${quote(r.name)}: ${scope} address ${ip.text}`);
      return;
    }
    const key = nameKey(r.name);
    let host = this.hosts.get(key);
    if (!host) this.hosts.set(key, host = { host: stripDot(r.name), addresses: new Map() });
    host.addresses.delete(ip.text);
    host.addresses.set(ip.text, { address: ip.text, family, ttl, flush: r.flush === true });
  }

  result(): ExtractedRecords {
    return {
      services: [...this.services.values()],
      hosts: [...this.hosts.values()].map((h) => ({
        host: h.host,
        addresses: [...h.addresses.values()],
      })),
      problems: this.problems.list(),
    };
  }
}

/** The records of `packet` to read, at most {@link MAX_RECORDS_PER_PACKET}. */
function recordsOf(p: Record<string, unknown>, problems: Problems): unknown[] {
  const out: unknown[] = [];
  let total = 0;
  for (const section of ["answers", "additionals"]) {
    const list = p[section];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      problems.add(`Ignored ${section} that are not a list: ${quote(list)}`);
      continue;
    }
    total += list.length;
    for (let i = 0; i < list.length && out.length < MAX_RECORDS_PER_PACKET; i++) out.push(list[i]);
  }
  if (total > out.length) {
    problems.add(
      `Ignored ${total - out.length} records beyond the first ${MAX_RECORDS_PER_PACKET}`,
    );
  }
  return out;
}

/**
 * Gathers, from a decoded mDNS response, the PTR, SRV and TXT records of each
 * instance of `_skilllite-swarm._udp.local` and every A/AAAA record, from answers and
 * additionals alike. Records of other services and of other types are ignored
 * silently; malformed ones are skipped and described in `problems`. Queries, and
 * responses with a non-zero opcode or rcode (RFC 6762 §18), give nothing. At most
 * {@link MAX_RECORDS_PER_PACKET} records are read. Never throws.
 *
 * Within one packet a later record replaces an earlier one of the same kind. TTL 0
 * records are kept: they are goodbyes for the cache to apply.
 *
 * @param packet What `dns-packet` decoded (or anything else).
 * @example
 * ```ts
 * import { extractServices } from "./extract_services.ts";
 * const name = "n1._skilllite-swarm._udp.local";
 * const found = extractServices({
 *   type: "response",
 *   answers: [{ name: "_skilllite-swarm._udp.local", type: "PTR", ttl: 120, data: name }],
 *   additionals: [
 *     { name, type: "SRV", ttl: 120, data: { target: "n1.local", port: 7700 } },
 *     { name, type: "TXT", ttl: 120, data: ['capabilities=["calc"]'] },
 *     { name: "n1.local", type: "A", ttl: 120, flush: true, data: "10.0.0.2" },
 *   ],
 * });
 * console.assert(found.services[0].id === "n1" && found.services[0].srv?.port === 7700);
 * console.assert(found.services[0].txt?.info.capabilities.join() === "calc");
 * console.assert(found.hosts[0].addresses[0].address === "10.0.0.2");
 * ```
 */
export function extractServices(packet: unknown): ExtractedRecords {
  const c = new Collector();
  try {
    if (typeof packet !== "object" || packet === null) {
      c.problems.add(`Ignored a packet that is ${quote(packet)}`);
      return c.result();
    }
    const p = packet as Record<string, unknown>;
    if (p.type !== undefined && p.type !== "response") {
      c.problems.add(`Ignored a packet of type ${quote(p.type)}`);
      return c.result();
    }
    if (
      (p.opcode !== undefined && p.opcode !== "QUERY") ||
      (p.rcode !== undefined && p.rcode !== "NOERROR")
    ) {
      c.problems.add(`Ignored a response with opcode ${quote(p.opcode)}, rcode ${quote(p.rcode)}`);
      return c.result();
    }
    for (const record of recordsOf(p, c.problems)) {
      try {
        if (typeof record !== "object" || record === null) {
          c.problems.add(`Ignored a record that is ${quote(record)}`);
          continue;
        }
        const r = record as Partial<RawRecord>;
        if (typeof r.name !== "string" || typeof r.type !== "string") {
          c.problems.add(`Ignored a record with name ${quote(r.name)} and type ${quote(r.type)}`);
          continue;
        }
        c.record(r as RawRecord);
      } catch (error) {
        c.problems.add(`Ignored a record that failed to read: ${quote(errorText(error))}`);
      }
    }
  } catch (error) {
    c.problems.add(`Stopped reading a packet that failed to read: ${quote(errorText(error))}`);
  }
  return c.result();
}
