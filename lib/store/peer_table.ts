/**
 * The routing table: peers, their capabilities, sources and last contact, kept in
 * Deno KV so it survives restarts and can be inspected.
 *
 * @module
 */
import type { Peer, PeerSource } from "../routing/mod.ts";
import { KvEntryUpdates } from "./_kv_update.ts";

/** What a source reports about a peer it reached or heard of. */
export interface PeerReport {
  /** Node id, or `addr:HOST:PORT` for a SkillLite node. */
  id: string;
  /** `host:port` to reach it (IPv6 in brackets). */
  address: string;
  /** URL scheme to reach it with. */
  scheme: Peer["scheme"];
  /** Capability tags it advertises (replacing those stored); empty when unknown. */
  capabilities: string[];
  /** The source reporting it; added to the peer's sources. */
  source: PeerSource;
  /** Whether it speaks swarm's extensions. */
  swarm: boolean;
  /** Tasks it reported running; undefined when not reported (the stored value is dropped). */
  load?: number;
  /** Ids this peer was known under before (e.g. `addr:HOST:PORT` before its node id was learnt). */
  replaces?: string[];
}

/** Store of the routing table. Safe for concurrent use. */
export interface PeerTable {
  /** Records a successful contact or announcement. */
  report(report: PeerReport, nowMs?: number): Promise<Peer>;
  /** Records a failed contact with a known or new peer. */
  reportFailure(
    peer: Pick<Peer, "id" | "address" | "scheme"> & { source: PeerSource },
    error: string,
  ): Promise<void>;
  /** Drops one source of a peer; the peer goes when it has no source left. */
  forget(id: string, source: PeerSource): Promise<void>;
  /** Every peer, sorted by id. */
  list(): Promise<Peer[]>;
}

const PREFIX = ["peers"] as const;

/**
 * {@link PeerTable} over a Deno KV store, one entry per peer under `["peers", id]`.
 * Read-modify-write cycles use atomic version checks, so sources may run concurrently.
 */
export class KvPeerTable implements PeerTable {
  #kv: Deno.Kv;
  #entries: KvEntryUpdates<Peer>;

  /** A table kept in `kv`, which the caller opens and closes. */
  constructor(kv: Deno.Kv) {
    this.#kv = kv;
    this.#entries = new KvEntryUpdates(kv, PREFIX, { noun: "peer" });
  }

  /**
   * Read-modify-write of one peer (see {@link KvEntryUpdates}): `change` returns the
   * new row, or null to delete it; resolves to what was written.
   */
  #update(id: string, change: (old: Peer | null) => Peer | null): Promise<Peer | null> {
    return this.#entries.update(id, (old) => {
      const next = change(old);
      return { next, answer: next };
    });
  }

  async report(report: PeerReport, nowMs: number = Date.now()): Promise<Peer> {
    for (const old of report.replaces ?? []) {
      if (old !== report.id) await this.forget(old, report.source);
    }
    const peer = await this.#update(report.id, (old) => ({
      id: report.id,
      address: report.address,
      scheme: report.scheme,
      capabilities: [...report.capabilities].sort(),
      sources: [...new Set([...(old?.sources ?? []), report.source])].sort(),
      lastSeenMs: nowMs,
      healthy: true,
      swarm: report.swarm,
      ...(report.load === undefined ? {} : { load: report.load }),
    }));
    return peer!;
  }

  async reportFailure(
    peer: Pick<Peer, "id" | "address" | "scheme"> & { source: PeerSource },
    error: string,
  ): Promise<void> {
    await this.#update(peer.id, (old) => ({
      id: peer.id,
      address: old?.address ?? peer.address,
      scheme: old?.scheme ?? peer.scheme,
      capabilities: old?.capabilities ?? [],
      sources: [...new Set([...(old?.sources ?? []), peer.source])].sort(),
      lastSeenMs: old?.lastSeenMs ?? 0,
      healthy: false,
      lastError: error,
      swarm: old?.swarm ?? false,
      ...(old?.load === undefined ? {} : { load: old.load }),
    }));
  }

  async forget(id: string, source: PeerSource): Promise<void> {
    await this.#update(id, (old) => {
      if (!old) return null;
      const sources = old.sources.filter((s) => s !== source);
      return sources.length === 0 ? null : { ...old, sources };
    });
  }

  async list(): Promise<Peer[]> {
    const peers: Peer[] = [];
    for await (const entry of this.#kv.list<Peer>({ prefix: [...PREFIX] })) peers.push(entry.value);
    return peers;
  }
}
