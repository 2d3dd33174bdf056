/**
 * The `--peer` source: probes each seed's `/status` to learn its node id and
 * capabilities, and feeds the routing table. The node's token goes only to a seed that
 * has proven mesh membership (see `MembershipChecker`). A seed that answers without swarm's
 * extensions is a plain SkillLite node: kept under `addr:HOST:PORT` with unknown
 * capabilities, so the who-can-do broadcast still reaches it.
 *
 * @module
 */
import { SwarmClient } from "../client/mod.ts";
import type { PeerTable } from "../store/mod.ts";
import type { Peer } from "../routing/mod.ts";
import { type Clock, systemClock, type TimerHandle } from "../time/mod.ts";
import { validLoad } from "./health_state.ts";

/** Options of {@link StaticPeerSource}. */
export interface StaticPeerSourceOptions {
  /** Seed base URLs (`http://host:port`). */
  seeds: string[];
  /** This node's id: a seed that turns out to be this node is ignored. */
  selfId: string;
  /** Routing table the probe results are reported to. */
  table: PeerTable;
  /**
   * The bearer token to send to one seed, asked before each probe: the node's own
   * credential once the seed has proven mesh membership, undefined (none sent) until
   * then.
   */
  credential: (seed: { address: string; scheme: Peer["scheme"] }) => Promise<string | undefined>;
  /** Time between the end of one probe round and the start of the next, in milliseconds. */
  intervalMs: number;
  /** Limit of one probe, in milliseconds. */
  timeoutMs: number;
  /** Receives notable changes (peer joined, self seed, failure). */
  log: (message: string, props: Record<string, unknown>) => void;
  /** The fetch to probe with (e.g. one verifying peers against the mesh CA). @default {globalThis.fetch} */
  fetch?: typeof fetch;
  /** Whose timers pace the probe rounds. @default {systemClock} */
  clock?: Clock;
  /**
   * Told when a seed answers as a peer not known under that seed before (also logged as
   * `peer_joined`): for the node's `peer_joined` event.
   */
  onJoined?: (peer: JoinedPeer) => void;
}

/** A peer a seed turned out to be, as {@link StaticPeerSourceOptions.onJoined} gets it. */
export interface JoinedPeer {
  /** Its node id, or `addr:HOST:PORT` for a SkillLite node. */
  id: string;
  /** The seed's `host:port`. */
  address: string;
  /** Capability tags it advertises (none known for a SkillLite node). */
  capabilities: string[];
}

/** What a status body tells about its node. */
export interface SeedIdentity {
  /** The node id, or `addr:HOST:PORT` for a SkillLite node (it has none). */
  id: string;
  /** Capability tags it advertises; empty for a SkillLite node (unknown). */
  capabilities: string[];
  /** Whether it speaks swarm's extensions (its body has a `node_id`). */
  swarm: boolean;
  /** Tasks it is running (`running_tasks`); undefined when not reported. */
  load?: number;
}

/**
 * Reads a peer's identity from its `/status` body; SkillLite bodies (no `node_id`)
 * give `addr:HOST:PORT` and no capabilities.
 *
 * @example
 * ```ts
 * import { identityFromStatus } from "./static_source.ts";
 * const id = identityFromStatus({ status: "idle", current_task_id: null }, "10.0.0.2:7700");
 * console.assert(id.id === "addr:10.0.0.2:7700" && !id.swarm);
 * ```
 */
export function identityFromStatus(body: Record<string, unknown>, address: string): SeedIdentity {
  const nodeId = body.node_id;
  if (typeof nodeId === "string" && nodeId !== "") {
    const caps = Array.isArray(body.capabilities)
      ? body.capabilities.filter((c): c is string => typeof c === "string")
      : [];
    // A peer's load claim only orders candidates, and only when it is sane.
    const load = validLoad(body.running_tasks);
    return { id: nodeId, capabilities: caps, swarm: true, load };
  }
  return { id: `addr:${address}`, capabilities: [], swarm: false };
}

/** Periodically probes the static seeds. */
export class StaticPeerSource {
  #options: StaticPeerSourceOptions;
  #known = new Map<string, string>();
  #clock: Clock;
  #timer: TimerHandle | undefined;
  #stopped = false;
  #round: Promise<void> | null = null;

  /** Creates the source; nothing is probed until `start()` or `probeAll()`. */
  constructor(options: StaticPeerSourceOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** Probes every seed once, now. */
  probeAll(): Promise<void> {
    this.#round ??= Promise.all(this.#options.seeds.map((seed) => this.#probe(seed)))
      .then(() => {})
      .finally(() => this.#round = null);
    return this.#round;
  }

  /** Runs a first round, then one every `intervalMs`. Resolves after the first round. */
  async start(): Promise<void> {
    await this.#forgetUnconfigured();
    if (this.#options.seeds.length === 0) return;
    await this.probeAll();
    const tick = () => {
      if (this.#stopped) return;
      this.#timer = this.#clock.setTimeout(async () => {
        await this.probeAll();
        tick();
      }, this.#options.intervalMs);
    };
    tick();
  }

  /** Stops probing. */
  stop(): void {
    this.#stopped = true;
    this.#clock.clearTimeout(this.#timer);
  }

  /** Drops `static` rows left in the (persistent) table by seeds no longer configured. */
  async #forgetUnconfigured(): Promise<void> {
    const configured = new Set(this.#options.seeds.map((seed) => new URL(seed).host));
    for (const peer of await this.#options.table.list()) {
      if (peer.sources.includes("static") && !configured.has(peer.address)) {
        await this.#options.table.forget(peer.id, "static");
      }
    }
  }

  async #probe(seed: string): Promise<void> {
    const url = new URL(seed);
    const address = url.host;
    const scheme = url.protocol === "https:" ? "https" : "http" as Peer["scheme"];
    const { table, selfId, log } = this.#options;
    const client = new SwarmClient({
      url: seed,
      token: await this.#options.credential({ address, scheme }),
      timeoutMs: this.#options.timeoutMs,
      fetch: this.#options.fetch,
    });
    try {
      const body = await client.status() as Record<string, unknown>;
      const identity = identityFromStatus(body, address);
      const previous = this.#known.get(seed);
      if (identity.id === selfId) {
        if (previous !== selfId) {
          log("Ignoring a --peer seed that is this node", { seed });
          await table.forget(`addr:${address}`, "static");
        }
        this.#known.set(seed, selfId);
        return;
      }
      const replaces = [`addr:${address}`, ...(previous ? [previous] : [])];
      await table.report({ ...identity, address, scheme, source: "static", replaces });
      if (previous !== identity.id) {
        log("peer_joined", {
          peer: identity.id,
          address,
          capabilities: identity.capabilities,
          source: "static",
        });
        this.#options.onJoined?.({
          id: identity.id,
          address,
          capabilities: identity.capabilities,
        });
      }
      this.#known.set(seed, identity.id);
    } catch (err) {
      const id = this.#known.get(seed) ?? `addr:${address}`;
      if (id === selfId) return;
      const message = err instanceof Error ? err.message : String(err);
      await table.reportFailure({ id, address, scheme, source: "static" }, message);
      log("Peer probe failed", { seed, peer: id, error: message });
    }
  }
}
