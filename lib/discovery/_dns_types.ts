/**
 * The minimal shapes of `npm:multicast-dns` / `dns-packet` packets that discovery
 * builds and reads. `dns-packet` decodes names as dot-joined labels without a trailing
 * dot, TXT data as an array of byte buffers, A/AAAA data as address strings.
 *
 * @module
 */

/** A question of a query. `class` is `"IN"` in practice; `dns-packet` 5.6.1 reports a
 * question with the unicast-response bit as class `"UNKNOWN_32769"`. */
export interface Question {
  /** Name asked about, e.g. `_skilllite-swarm._udp.local`. */
  name: string;
  /** Record type asked for: `PTR`, `SRV`, `TXT`, `A`, `AAAA`, `ANY`, … */
  type: string;
  /** DNS class. @default {"IN"} */
  class?: string;
}

/** Fields every resource record carries. */
export interface RecordBase {
  /** Owner name of the record. */
  name: string;
  /** Time to live in seconds; 0 announces that the record is gone (a goodbye). */
  ttl: number;
  /** DNS class. @default {"IN"} */
  class?: "IN";
  /** mDNS cache-flush bit: set on unique records (SRV, TXT, A, AAAA), never on PTR. */
  flush?: boolean;
}

/** A PTR record: service type → instance full name. */
export interface PtrAnswer extends RecordBase {
  /** Record type. */
  type: "PTR";
  /** The name pointed to. */
  data: string;
}

/** Target and port of an SRV record. */
export interface SrvData {
  /** Host name that serves the instance. */
  target: string;
  /** TCP port of the service. */
  port: number;
  /** Priority; 0 here. */
  priority?: number;
  /** Weight; 0 here. */
  weight?: number;
}

/** An SRV record: instance full name → host and port. */
export interface SrvAnswer extends RecordBase {
  /** Record type. */
  type: "SRV";
  /** Host and port. */
  data: SrvData;
}

/** A TXT record. Built with strings (`key=value`); `dns-packet` turns them into
 * buffers in place when it encodes them, and decodes to buffers. */
export interface TxtAnswer extends RecordBase {
  /** Record type. */
  type: "TXT";
  /** Character strings of at most 255 bytes each. */
  data: (string | Uint8Array)[];
}

/** An A (IPv4) or AAAA (IPv6) record. */
export interface AddressAnswer extends RecordBase {
  /** Record type. */
  type: "A" | "AAAA";
  /** The address literal (IPv6 without zone). */
  data: string;
}

/** Any record discovery builds. */
export type Answer = PtrAnswer | SrvAnswer | TxtAnswer | AddressAnswer;

/** A query: questions plus the answers the querier already knows. */
export interface QueryPacket {
  /** Questions asked. */
  questions: Question[];
  /** Known answers (RFC 6762 §7.1). @default {[]} */
  answers?: Answer[];
}

/** The records of a response; pass to `mdns.respond()`. */
export interface ResponsePacket {
  /** Records that answer the questions. */
  answers: Answer[];
  /** Records the querier will probably need next (RFC 6763 §12). */
  additionals: Answer[];
}
