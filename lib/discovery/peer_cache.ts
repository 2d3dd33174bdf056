/**
 * The discovered-peer cache: mDNS records merged over time into complete peers, with
 * TTL expiry, goodbyes, refresh queries and known answers. Pure state: every method
 * takes the time; nothing reads a clock or sets a timer.
 *
 * @module
 */
import { SERVICE_TYPE } from "./constants.ts";
import type { PtrAnswer, Question } from "./_dns_types.ts";
import { refreshDueMs, takeRefresh, type Timed, timed } from "./_timed.ts";
import { sortAddresses } from "./address_choice.ts";
import { nameKey } from "./names.ts";
import type {
  DiscoveredPeer,
  HostRecordSet,
  PeerChange,
  ServiceRecordSet,
  TxtInfo,
} from "./types.ts";

export type { DiscoveredPeer, PeerChange } from "./types.ts";

/** Options of {@link PeerCache}. */
export interface PeerCacheOptions {
  /** This node's id: records of its own instance (looped back) are ignored. Compared case-insensitively. */
  selfId?: string;
  /**
   * Most instances kept. When full, a new instance replaces the oldest incomplete one
   * (no PTR, SRV or address yet), else it is dropped (counted in `droppedCount`): a
   * flood cannot exhaust memory nor push out complete peers. @default {1024}
   */
  maxInstances?: number;
  /** Most addresses kept per host name. @default {16} */
  maxAddressesPerHost?: number;
  /**
   * Longest TTL honoured, in seconds: a longer one is cut to this, so a record with a
   * huge TTL still lapses. RFC 6762 recommends 4500 for records without host names.
   * @default {4500}
   */
  maxTtlS?: number;
  /** Most known answers {@link PeerCache.knownAnswers} returns, so a query fits one
   * 1500-byte frame (a PTR known answer is up to about 130 bytes). @default {10} */
  maxKnownAnswers?: number;
}

type SrvState = Timed & { host: string; hostKey: string; port: number };
type TxtState = Timed & { info: TxtInfo };
type AddressState = Timed & { family: 4 | 6 };

interface Entry {
  instance: string;
  id: string;
  ptr?: Timed;
  srv?: SrvState;
  txt?: TxtState;
  /** Missing-record questions asked since the entry last gained records. */
  asks: number;
  /** When the last missing-record question was asked. */
  askedMs: number;
}

interface HostEntry {
  host: string;
  addresses: Map<string, AddressState>;
}

/** Most questions {@link PeerCache.refreshQuestions} returns at once (about 1 KB of query). */
export const MAX_REFRESH_QUESTIONS = 16;

/** Missing SRV/TXT/addresses are asked after 0, 1, 2 and 4 s, then given up until news arrives. */
const MISSING_ASK_DELAYS_MS = [0, 1000, 2000, 4000];
/** Within this long of a record, a cache-flush record leaves it alone (RFC 6762 §10.2). */
const FLUSH_GRACE_MS = 1000;

/**
 * Merges mDNS records into discovered peers. A peer is complete ("up") once it has a
 * PTR, an SRV and at least one address of the SRV target; TXT is optional (no TXT:
 * no capabilities, scheme http). Concurrency: plain synchronous state, for one owner.
 *
 * @example
 * ```ts
 * import { PeerCache } from "./peer_cache.ts";
 * const cache = new PeerCache({ selfId: "me" });
 * const instance = "n1._skilllite-swarm._udp.local";
 * const up = cache.apply({
 *   services: [{ instance, id: "n1", ptr: { ttl: 120 }, srv: { ttl: 120, host: "n1.local", port: 7700 } }],
 *   hosts: [{ host: "n1.local", addresses: [{ address: "10.0.0.2", family: 4, ttl: 120, flush: true }] }],
 * }, 0);
 * console.assert(up[0].type === "up" && up[0].peer.addresses[0] === "10.0.0.2");
 * console.assert(cache.nextExpiryMs() === 120_000);
 * const down = cache.expire(120_000);
 * console.assert(down[0].type === "down" && down[0].reason === "expired");
 * ```
 */
export class PeerCache {
  #selfId: string | undefined;
  #maxInstances: number;
  #maxAddresses: number;
  #maxTtlS: number;
  #maxKnown: number;
  #entries = new Map<string, Entry>();
  #hosts = new Map<string, HostEntry>();
  #dropped = 0;

  /**
   * Creates an empty cache.
   *
   * @throws {RangeError} When a limit is not a positive integer.
   */
  constructor(options: PeerCacheOptions = {}) {
    const {
      selfId,
      maxInstances = 1024,
      maxAddressesPerHost = 16,
      maxTtlS = 4500,
      maxKnownAnswers = 10,
    } = options;
    const limits = { maxInstances, maxAddressesPerHost, maxTtlS, maxKnownAnswers };
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(
          `Cannot create the peer cache as '${name}' must be a positive integer: current value is ${value}`,
        );
      }
    }
    this.#selfId = selfId?.toLowerCase();
    this.#maxInstances = maxInstances;
    this.#maxAddresses = maxAddressesPerHost;
    this.#maxTtlS = maxTtlS;
    this.#maxKnown = maxKnownAnswers;
  }

  /** Instances held (complete or not). */
  get size(): number {
    return this.#entries.size;
  }

  /** New instances dropped because the cache was full. */
  get droppedCount(): number {
    return this.#dropped;
  }

  /**
   * Merges the records of one packet (as `extractServices` returns them), received at
   * `nowMs`. Records past their TTL are dropped first (those changes come first). A
   * record with TTL 0 is a goodbye: it is removed at once, and a peer losing its PTR,
   * its SRV or its last address goes "down" with reason "goodbye". Address records of
   * hosts no SRV points to are ignored; a cache-flush address record makes the host's
   * other addresses of that family, received over a second ago, lapse in a second.
   *
   * @param found Instance records and host address records.
   * @param nowMs Time of receipt, epoch milliseconds.
   * @returns The peers that came up, changed or went down.
   */
  apply(
    found: { services: ServiceRecordSet[]; hosts?: HostRecordSet[] },
    nowMs: number,
  ): PeerChange[] {
    const changes = this.expire(nowMs);
    const before = new Map<string, DiscoveredPeer | null>();
    const goodbyes = new Set<string>();
    // A new entry is touched after it is created: its "before" view is null either way.
    const touch = (key: string) => {
      if (!before.has(key)) before.set(key, this.#view(key));
    };
    for (const set of found.services) this.#applyService(set, nowMs, touch, goodbyes);
    const referrers = this.#referrers();
    for (const h of found.hosts ?? []) {
      const keys = referrers.get(nameKey(h.host));
      if (keys) this.#applyHost(h, keys, nowMs, touch, goodbyes);
    }
    this.#prune();
    for (const [key, old] of before) {
      changes.push(...this.#diff(key, old, goodbyes.has(key) ? "goodbye" : undefined));
    }
    return changes;
  }

  #applyService(
    set: ServiceRecordSet,
    nowMs: number,
    touch: (key: string) => void,
    goodbyes: Set<string>,
  ): void {
    if (this.#selfId !== undefined && set.id.toLowerCase() === this.#selfId) return;
    const key = nameKey(set.instance);
    const records = [set.ptr, set.srv, set.txt].filter((r) => r !== undefined);
    let entry = this.#entries.get(key);
    if (!entry) {
      if (records.every((r) => r.ttl === 0)) return;
      if (!this.#makeRoom()) {
        this.#dropped++;
        return;
      }
      entry = { instance: set.instance, id: set.id, asks: 0, askedMs: 0 };
      this.#entries.set(key, entry);
    }
    touch(key);
    entry.asks = 0;
    const ttl = (t: number) => Math.min(t, this.#maxTtlS);
    if (set.ptr) {
      if (set.ptr.ttl === 0) delete entry.ptr;
      else entry.ptr = timed(ttl(set.ptr.ttl), nowMs);
    }
    if (set.srv) {
      if (set.srv.ttl === 0) delete entry.srv;
      else {
        const { host, port } = set.srv;
        entry.srv = { ...timed(ttl(set.srv.ttl), nowMs), host, hostKey: nameKey(host), port };
      }
    }
    if (set.txt) {
      if (set.txt.ttl === 0) delete entry.txt;
      else entry.txt = { ...timed(ttl(set.txt.ttl), nowMs), info: set.txt.info };
    }
    if (records.some((r) => r.ttl === 0)) goodbyes.add(key);
  }

  #applyHost(
    h: HostRecordSet,
    keys: string[],
    nowMs: number,
    touch: (key: string) => void,
    goodbyes: Set<string>,
  ): void {
    keys.forEach(touch);
    const hostKey = nameKey(h.host);
    let entry = this.#hosts.get(hostKey);
    if (!entry) this.#hosts.set(hostKey, entry = { host: h.host, addresses: new Map() });
    const flushed = new Set<number>();
    const inPacket = new Set<string>();
    for (const a of h.addresses) {
      inPacket.add(a.address);
      if (a.ttl === 0) {
        if (entry.addresses.delete(a.address)) keys.forEach((k) => goodbyes.add(k));
        continue;
      }
      if (a.flush) flushed.add(a.family);
      if (!entry.addresses.has(a.address) && entry.addresses.size >= this.#maxAddresses) continue;
      const state = { ...timed(Math.min(a.ttl, this.#maxTtlS), nowMs), family: a.family };
      entry.addresses.set(a.address, state);
    }
    for (const [address, state] of entry.addresses) {
      const stale = flushed.has(state.family) && !inPacket.has(address) &&
        state.receivedMs < nowMs - FLUSH_GRACE_MS;
      if (stale) state.expiresMs = Math.min(state.expiresMs, nowMs + FLUSH_GRACE_MS);
    }
    for (const key of keys) {
      const referrer = this.#entries.get(key);
      if (referrer) referrer.asks = 0;
    }
  }

  /**
   * Removes the records whose TTL has run out at `nowMs`. A peer losing its PTR, SRV
   * or last address goes "down" with reason "expired"; one losing TXT or some
   * addresses is "update"d.
   */
  expire(nowMs: number): PeerChange[] {
    const next = this.nextExpiryMs();
    if (next === null || next > nowMs) return [];
    const before = new Map<string, DiscoveredPeer | null>();
    for (const key of this.#entries.keys()) before.set(key, this.#view(key));
    for (const entry of this.#entries.values()) {
      if (entry.ptr && entry.ptr.expiresMs <= nowMs) delete entry.ptr;
      if (entry.srv && entry.srv.expiresMs <= nowMs) delete entry.srv;
      if (entry.txt && entry.txt.expiresMs <= nowMs) delete entry.txt;
    }
    for (const host of this.#hosts.values()) {
      for (const [address, state] of host.addresses) {
        if (state.expiresMs <= nowMs) host.addresses.delete(address);
      }
    }
    this.#prune();
    return [...before].flatMap(([key, old]) => this.#diff(key, old, "expired"));
  }

  /** When the next record lapses (epoch milliseconds), or null when the cache is empty. */
  nextExpiryMs(): number | null {
    let next = Infinity;
    for (const t of this.#allTimed()) next = Math.min(next, t.expiresMs);
    return next === Infinity ? null : next;
  }

  /**
   * Known answers for this node's next browse query (RFC 6762 §7.1): the PTRs whose
   * remaining TTL is more than half of their TTL, each with its remaining TTL in whole
   * seconds, longest-lived first, at most `maxKnownAnswers`.
   */
  knownAnswers(nowMs: number): PtrAnswer[] {
    const known: { answer: PtrAnswer; expiresMs: number }[] = [];
    for (const entry of this.#entries.values()) {
      const ptr = entry.ptr;
      if (!ptr) continue;
      const remainingMs = ptr.expiresMs - nowMs;
      if (remainingMs * 2 <= ptr.ttlS * 1000) continue;
      const ttl = Math.min(ptr.ttlS, Math.floor(remainingMs / 1000));
      const answer: PtrAnswer = {
        name: SERVICE_TYPE,
        type: "PTR",
        class: "IN",
        ttl,
        data: entry.instance,
      };
      known.push({ answer, expiresMs: ptr.expiresMs });
    }
    return known
      .sort((a, b) => b.expiresMs - a.expiresMs || (a.answer.data < b.answer.data ? -1 : 1))
      .slice(0, this.#maxKnown)
      .map((k) => k.answer);
  }

  /**
   * Questions worth asking at `nowMs` to keep peers complete and fresh (RFC 6762 §5.2):
   * SRV/TXT of an instance known only by its PTR, A/AAAA of an SRV target without
   * addresses (asked at once, then 1, 2 and 4 s after the previous ask, then not until
   * news of that instance arrives), and any SRV, TXT or address record at 80, 85, 90
   * or 95 % of its TTL. PTRs are refreshed by the browse query. Asking marks the
   * questions as asked. At most {@link MAX_REFRESH_QUESTIONS} per call (one small
   * packet); the rest stay due, so {@link nextRefreshMs} may already have passed.
   */
  refreshQuestions(nowMs: number): Question[] {
    const questions = new Map<string, Question>();
    const room = (n: number) => questions.size + n <= MAX_REFRESH_QUESTIONS;
    const ask = (name: string, type: string) =>
      questions.set(`${nameKey(name)} ${type}`, { name, type, class: "IN" });
    for (const entry of this.#entries.values()) {
      const missing = this.#missing(entry);
      if (missing.length > 0 && this.#missingDueMs(entry) <= nowMs && room(missing.length)) {
        entry.asks++;
        entry.askedMs = nowMs;
        for (const [name, type] of missing) ask(name, type);
      }
      if (entry.srv && room(1) && takeRefresh(entry.srv, nowMs)) ask(entry.instance, "SRV");
      if (entry.txt && room(1) && takeRefresh(entry.txt, nowMs)) ask(entry.instance, "TXT");
    }
    for (const host of this.#hosts.values()) {
      for (const state of host.addresses.values()) {
        if (room(1) && takeRefresh(state, nowMs)) {
          ask(host.host, state.family === 4 ? "A" : "AAAA");
        }
      }
    }
    return [...questions.values()];
  }

  /** When {@link refreshQuestions} will next have something to ask, or null. */
  nextRefreshMs(): number | null {
    let next = Infinity;
    for (const entry of this.#entries.values()) {
      if (this.#missing(entry).length > 0) next = Math.min(next, this.#missingDueMs(entry));
    }
    for (const t of this.#refreshable()) {
      const due = refreshDueMs(t);
      if (due !== null && due < t.expiresMs) next = Math.min(next, due);
    }
    return next === Infinity ? null : next;
  }

  /** The complete peers, by id then instance name. */
  peers(): DiscoveredPeer[] {
    const peers: DiscoveredPeer[] = [];
    for (const key of this.#entries.keys()) {
      const view = this.#view(key);
      if (view) peers.push(view);
    }
    return peers.sort((a, b) =>
      a.id < b.id ? -1 : a.id > b.id ? 1 : a.instance < b.instance ? -1 : 1
    );
  }

  /** Every timed record held. */
  *#allTimed(): Generator<Timed> {
    for (const entry of this.#entries.values()) {
      if (entry.ptr) yield entry.ptr;
      if (entry.srv) yield entry.srv;
      if (entry.txt) yield entry.txt;
    }
    for (const host of this.#hosts.values()) yield* host.addresses.values();
  }

  /** Records refreshed by {@link refreshQuestions}: SRV, TXT, addresses (not PTR). */
  *#refreshable(): Generator<Timed> {
    for (const entry of this.#entries.values()) {
      if (entry.srv) yield entry.srv;
      if (entry.txt) yield entry.txt;
    }
    for (const host of this.#hosts.values()) yield* host.addresses.values();
  }

  /** Questions (name, type) for what `entry` lacks to be complete. */
  #missing(entry: Entry): [string, string][] {
    if (!entry.ptr) return [];
    if (!entry.srv) {
      const srv: [string, string] = [entry.instance, "SRV"];
      return entry.txt ? [srv] : [srv, [entry.instance, "TXT"]];
    }
    if (this.#hosts.has(entry.srv.hostKey)) return [];
    return [[entry.srv.host, "A"], [entry.srv.host, "AAAA"]];
  }

  #missingDueMs(entry: Entry): number {
    const delay = MISSING_ASK_DELAYS_MS[entry.asks];
    return delay === undefined ? Infinity : entry.asks === 0 ? 0 : entry.askedMs + delay;
  }

  /** Instance keys by the host key their SRV points to. */
  #referrers(): Map<string, string[]> {
    const map = new Map<string, string[]>();
    for (const [key, entry] of this.#entries) {
      if (!entry.srv) continue;
      const list = map.get(entry.srv.hostKey);
      if (list) list.push(key);
      else map.set(entry.srv.hostKey, [key]);
    }
    return map;
  }

  /** Room for one more instance: true when there is (after evicting an incomplete one if needed). */
  #makeRoom(): boolean {
    if (this.#entries.size < this.#maxInstances) return true;
    for (const [key, entry] of this.#entries) {
      if (!this.#completeHost(entry)) {
        this.#entries.delete(key);
        return true;
      }
    }
    return false;
  }

  /** The address-holding host of a complete `entry` (PTR, SRV, an address), else null. */
  #completeHost(entry: Entry): HostEntry | null {
    if (!entry.ptr || !entry.srv) return null;
    const host = this.#hosts.get(entry.srv.hostKey);
    return host && host.addresses.size > 0 ? host : null;
  }

  /** Drops instances without records and hosts no SRV points to. */
  #prune(): void {
    for (const [key, entry] of this.#entries) {
      if (!entry.ptr && !entry.srv && !entry.txt) this.#entries.delete(key);
    }
    const referred = this.#referrers();
    for (const [key, host] of this.#hosts) {
      if (!referred.has(key) || host.addresses.size === 0) this.#hosts.delete(key);
    }
  }

  /** The peer of instance `key`, or null when it is not complete. */
  #view(key: string): DiscoveredPeer | null {
    const entry = this.#entries.get(key);
    const host = entry && this.#completeHost(entry);
    if (!entry?.srv || !host) return null;
    const info = entry.txt?.info;
    const peer: DiscoveredPeer = {
      id: entry.id,
      instance: entry.instance,
      host: entry.srv.host,
      port: entry.srv.port,
      addresses: sortAddresses([...host.addresses.keys()]),
      scheme: info?.scheme ?? "http",
      capabilities: [...(info?.capabilities ?? [])],
      swarm: info?.nodeId !== undefined && info.nodeId.toLowerCase() === entry.id.toLowerCase(),
    };
    if (info?.protocolVersion !== undefined) peer.protocolVersion = info.protocolVersion;
    return peer;
  }

  #diff(key: string, old: DiscoveredPeer | null, reason?: "goodbye" | "expired"): PeerChange[] {
    const now = this.#view(key);
    if (!old && now) return [{ type: "up", peer: now }];
    if (old && !now) {
      return [reason ? { type: "down", peer: old, reason } : { type: "down", peer: old }];
    }
    if (old && now && JSON.stringify(old) !== JSON.stringify(now)) {
      return [{ type: "update", peer: now }];
    }
    return [];
  }
}
