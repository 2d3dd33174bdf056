/**
 * The node's view of its peers: the routing table in Deno KV, fed by `--peer` seeds and
 * mDNS, with health (probes and forward outcomes) and mesh membership laid over it.
 * Everything that picks a peer to talk to asks here, so an unproven or dead peer never
 * gets a task, a question or a credential.
 *
 * @module
 */
import type { Config } from "../config/mod.ts";
import type { MdnsPeer } from "../discovery/mod.ts";
import type { EventBus } from "../observability/mod.ts";
import {
  type ForwardOutcome,
  HealthChecker,
  MembershipChecker,
  StaticPeerSource,
} from "../peers/mod.ts";
import type { Peer } from "../routing/mod.ts";
import { peerUsable, trusted, type TrustSettings } from "../security/mod.ts";
import type { KvPeerTable } from "../store/mod.ts";
import type { Clock } from "../time/mod.ts";
import type { SecurityMaterial } from "./security_material.ts";
import { healthPolicyOf } from "../config/mod.ts";

/** How long a settled membership proof holds before the peer is asked again, in ms. */
const MEMBERSHIP_RECHECK_MS = 60_000;
/** How long to wait before asking a peer that could not be reached again, in ms. */
const MEMBERSHIP_RETRY_MS = 1_000;

/** What {@link PeerSide} is built from. */
export interface PeerSideDeps {
  config: Config;
  nodeId: string;
  /** The current TLS and keyring material (it changes on reload). */
  security: () => SecurityMaterial;
  /** The fetch every peer call goes through (verifies https peers against the mesh CA). */
  fetch: typeof fetch;
  clock: Clock;
  /** Where peer events go (`peer_joined`, `peer_left`, `peer_state_changed`). */
  events: EventBus;
  /** Notes without an event (trust decisions). */
  log: (message: string, props: Record<string, unknown>) => void;
}

/** The peers of a node, as routing, status and metrics see them. */
export class PeerSide {
  readonly #deps: PeerSideDeps;
  readonly #health: HealthChecker;
  readonly #membership: MembershipChecker;
  readonly #table = Promise.withResolvers<KvPeerTable>();
  #rowsOf: () => Promise<Peer[]> = () => Promise.resolve([]);
  #seeds?: StaticPeerSource;

  /** Builds the checkers; nothing runs before {@link PeerSide.start}. */
  constructor(deps: PeerSideDeps) {
    this.#deps = deps;
    const { config, nodeId, clock, events } = deps;
    const reachable = async () => (await this.#rows()).filter((p) => this.#reachable(p));
    this.#membership = new MembershipChecker({
      selfId: nodeId,
      peers: reachable,
      settings: () => this.#trustSettings(),
      token: () => config.token,
      tls: () => {
        const security = deps.security();
        return { ca: security.peerCa, cert: security.tls?.cert, key: security.tls?.key };
      },
      fetch: deps.fetch,
      timeoutMs: config.canDoTimeoutMs,
      recheckMs: MEMBERSHIP_RECHECK_MS,
      retryMs: MEMBERSHIP_RETRY_MS,
      clock,
      onChange: (peer, decision) =>
        deps.log("peer_trust", {
          peer: peer.id,
          address: peer.address,
          trust: decision.trust,
          reason: decision.reason,
        }),
    });
    this.#health = new HealthChecker({
      policy: healthPolicyOf(config),
      peers: reachable,
      fetch: deps.fetch,
      clock,
      onChange: (peer, from, to) =>
        events.emit({ type: "peer_state_changed", peer: peer.id, from, to }),
    });
  }

  /**
   * Starts on `table`: drops the mDNS peers of an earlier run (they are rediscovered,
   * or not), then starts the probes and the `--peer` seeds.
   */
  async start(table: KvPeerTable): Promise<void> {
    const { config, nodeId, events } = this.#deps;
    for (const peer of await table.list()) {
      if (peer.sources.includes("mdns")) await table.forget(peer.id, "mdns");
    }
    this.#table.resolve(table);
    this.#rowsOf = () => table.list();
    this.#health.start();
    this.#membership.start();
    this.#seeds = new StaticPeerSource({
      seeds: config.peers,
      selfId: nodeId,
      table,
      // The node's token goes to a seed only once it has proven mesh membership.
      credential: async (seed) =>
        trusted((await this.#membership.proveSeed(seed)).trust) ? config.nodeToken : undefined,
      fetch: this.#deps.fetch,
      intervalMs: config.peerProbeIntervalMs,
      timeoutMs: config.canDoTimeoutMs,
      clock: this.#deps.clock,
      onJoined: (peer) =>
        events.emit({
          type: "peer_joined",
          peer: peer.id,
          address: peer.address,
          source: "static",
          capabilities: peer.capabilities,
        }),
      log: this.#deps.log,
    });
    await this.#seeds.start();
  }

  /** Stops the probes and the seeds. */
  stop(): void {
    this.#seeds?.stop();
    this.#health.stop();
    this.#membership.stop();
  }

  /** Every known peer with its health and trust (dead and unproven ones too), for status. */
  async annotated(): Promise<Peer[]> {
    return this.#membership.annotate(this.#health.annotate(await this.#rows()));
  }

  /**
   * The peers a task may go to: reachable, not dead, and proven members of the mesh.
   * Dead peers are dropped before the membership proof, so a task never waits on a
   * first proof of a peer that does not answer.
   */
  async routable(): Promise<Peer[]> {
    const live = this.#health.annotate(await this.#rows())
      .filter((p) => p.state !== "dead" && this.#reachable(p));
    return (await this.#membership.annotateProven(live)).filter((p) => trusted(p.trust));
  }

  /** Feeds one forward's outcome into the peer's health. */
  forwardOutcome(peer: Peer, outcome: ForwardOutcome): void {
    this.#health.forwardOutcome(peer, outcome);
  }

  /** Peer counts by health state (`alive`, `suspect`, `dead`), for metrics. */
  async countByState(): Promise<Record<string, number>> {
    const counts: Record<string, number> = { alive: 0, suspect: 0, dead: 0 };
    for (const peer of await this.annotated()) counts[peer.state ?? "alive"]++;
    return counts;
  }

  /**
   * Records a peer announced on mDNS; `peer_joined` the first time it is seen there.
   * Announcements heard before the store is open wait for it.
   */
  async mdnsUp(peer: MdnsPeer): Promise<void> {
    const table = await this.#table.promise;
    const known = (await table.list()).find((p) => p.id === peer.id);
    await table.report({ ...peer, source: "mdns" });
    if (!known?.sources.includes("mdns")) {
      this.#deps.events.emit({
        type: "peer_joined",
        peer: peer.id,
        address: peer.address,
        source: "mdns",
        capabilities: peer.capabilities,
      });
    }
  }

  /** Forgets a peer that left mDNS (goodbye or expiry). */
  async mdnsDown(id: string, reason: string): Promise<void> {
    const table = await this.#table.promise;
    await table.forget(id, "mdns");
    this.#deps.events.emit({ type: "peer_left", peer: id, source: "mdns", reason });
  }

  #rows(): Promise<Peer[]> {
    return this.#rowsOf();
  }

  #reachable(peer: Peer): boolean {
    return peerUsable(peer, {
      tls: this.#deps.security().tls !== undefined,
      allowPlainPeers: this.#deps.config.allowPlainPeers,
    });
  }

  /** What this node holds that peers must prove themselves worthy of. */
  #trustSettings(): TrustSettings {
    const { config } = this.#deps;
    const security = this.#deps.security();
    return {
      credentials: config.token !== undefined || config.nodeToken !== undefined ||
        security.keyring !== undefined,
      sharedToken: config.token !== undefined,
      meshCa: security.peerCa !== undefined,
      allowSkillLitePeers: config.allowSkillLitePeers,
    };
  }
}
