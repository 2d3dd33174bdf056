/**
 * Active and passive peer health: probes every peer's `/healthz` on a schedule, takes
 * the outcome of every forward (answered or not) as a further sample, and keeps each
 * peer alive, suspect or dead (the rules are in `health_state.ts`). The routing table's
 * rows get their state from {@link HealthChecker.annotate}; candidate selection leaves
 * dead rows out (`routable`), and they come back when they answer again.
 *
 * @module
 */
import { MAX_SMALL_ANSWER_BYTES, readLimitedText } from "../client/mod.ts";
import type { Peer } from "../routing/mod.ts";
import { type Clock, type Repeater, repeatEvery, systemClock } from "../time/mod.ts";
import {
  type HealthPolicy,
  type HealthState,
  initialHealth,
  loadFromHealthz,
  onPassiveFailure,
  onPassiveSuccess,
  onProbeFailure,
  onProbeSuccess,
  type PeerHealth,
  probeDue,
  validLoad,
} from "./health_state.ts";

/**
 * What the Router reports after each forward attempt (its `onForwardOutcome`): whether
 * any HTTP answer came.
 */
export interface ForwardOutcome {
  /**
   * `true` when the peer answered with any HTTP status (a success, a refusal, an
   * error): it is serving, as a probe answered with any status shows. `false` when no
   * answer came (connection error, timeout).
   */
  answered: boolean;
}

/** Options of {@link HealthChecker}. */
export interface HealthCheckerOptions {
  /** Probe schedule and thresholds. */
  policy: HealthPolicy;
  /** The peers to watch, read at every tick. */
  peers: () => Promise<Peer[]>;
  /** Called when a peer changes state. */
  onChange: (peer: Peer, from: HealthState, to: HealthState) => void;
  /** The fetch to probe with. @default {globalThis.fetch} */
  fetch?: typeof fetch;
  /**
   * Where the time of samples, the probe schedule, probe latencies and the probe time
   * limit come from.
   *
   * @default {systemClock}
   */
  clock?: Clock;
}

/** How often the checker looks for due probes, in milliseconds. */
const TICK_MS = 100;

/** Keeps a {@link PeerHealth} per peer id, fed by probes and forwarding outcomes. */
export class HealthChecker {
  readonly #options: HealthCheckerOptions;
  readonly #clock: Clock;
  readonly #health = new Map<string, PeerHealth>();
  readonly #lastProbe = new Map<string, number>();
  readonly #probing = new Set<string>();
  #loop: Repeater | undefined;

  /** Creates a checker; call {@link HealthChecker.start} to begin probing. */
  constructor(options: HealthCheckerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** Starts probing. */
  start(): void {
    this.#loop = repeatEvery(TICK_MS, () => this.#tick(), this.#clock);
  }

  /** Stops probing. */
  stop(): void {
    this.#loop?.stop();
  }

  /**
   * The health of a peer (a peer not seen yet is presumed alive).
   *
   * @param id The peer's id.
   * @param nowMs The time a peer not seen yet is presumed alive since. @default {clock.now()}
   */
  health(id: string, nowMs: number = this.#clock.now()): PeerHealth {
    return this.#health.get(id) ?? initialHealth(nowMs);
  }

  /**
   * The peers with their health applied, every row kept (dead ones too, for `/status`
   * and metrics): `state` set; `healthy` false unless the row was healthy and the peer
   * is alive, so suspects sort after alive peers; load and latency from the last
   * probes. A load that is not believable (see `validLoad`), from a probe or from the
   * row, is dropped. Leaving dead peers out of routing is candidate selection's job
   * (`matchingPeers` and `fallbackChain` skip rows that are not `routable`).
   *
   * @param peers Routing-table rows.
   * @returns New rows, in the same order.
   */
  annotate(peers: Peer[]): Peer[] {
    const out = [];
    for (const peer of peers) {
      const h = this.health(peer.id);
      const { load: reported, ...row } = peer;
      const load = validLoad(h.load) ?? validLoad(reported);
      out.push({
        ...row,
        state: h.state,
        healthy: peer.healthy && h.state === "alive",
        ...(load === undefined ? {} : { load }),
        ...(h.latencyEwmaMs === undefined ? {} : { latencyMs: Math.round(h.latencyEwmaMs) }),
      });
    }
    return out;
  }

  /**
   * Takes the outcome of one forward attempt to `peer`, the Router's
   * `onForwardOutcome`: an answer of any status is a {@link HealthChecker.passiveSuccess},
   * no answer a {@link HealthChecker.passiveFailure}. The Router's `latencyMs` is not
   * used: it spans the whole task run, which would make busy peers look slow.
   *
   * @param peer The peer the task was forwarded to.
   * @param outcome Whether it answered.
   * @example
   * ```ts
   * import { HealthChecker } from "./health_checker.ts";
   * import { DEFAULT_HEALTH_POLICY } from "./health_state.ts";
   * import type { Peer } from "../routing/types.ts";
   * const health = new HealthChecker({
   *   policy: DEFAULT_HEALTH_POLICY,
   *   peers: () => Promise.resolve([]),
   *   onChange: () => {},
   * });
   * const peer: Peer = {
   *   id: "n1", address: "10.0.0.1:7700", scheme: "http", capabilities: ["calc"],
   *   sources: ["static"], lastSeenMs: 0, healthy: true, swarm: true,
   * };
   * health.forwardOutcome(peer, { answered: false });
   * console.assert(health.health("n1").state === "suspect");
   * health.forwardOutcome(peer, { answered: true });
   * console.assert(health.health("n1").state === "alive");
   * ```
   */
  forwardOutcome(peer: Peer, outcome: ForwardOutcome): void {
    if (outcome.answered) this.passiveSuccess(peer);
    else this.passiveFailure(peer);
  }

  /**
   * A forward to `peer` failed without an answer (connection error, timeout): an alive
   * peer becomes suspect; never dead (see `onPassiveFailure`).
   *
   * @param peer The peer.
   */
  passiveFailure(peer: Peer): void {
    this.#apply(peer, (h, now) => onPassiveFailure(h, now));
  }

  /**
   * A forward to `peer` got an answer: it is alive and its failed probes are forgiven
   * (see `onPassiveSuccess`).
   *
   * @param peer The peer.
   * @param latencyMs Time to the start of the answer, in milliseconds, when measured;
   * omitted, the latency average is left as it is.
   */
  passiveSuccess(peer: Peer, latencyMs?: number): void {
    this.#apply(peer, (h, now) => onPassiveSuccess(h, latencyMs, now, this.#options.policy));
  }

  #apply(
    peer: Peer,
    change: (h: PeerHealth, nowMs: number) => { health: PeerHealth; changed: boolean },
  ): void {
    const now = this.#clock.now();
    const before = this.health(peer.id, now);
    const { health, changed } = change(before, now);
    this.#health.set(peer.id, health);
    if (changed) this.#options.onChange(peer, before.state, health.state);
  }

  async #tick(): Promise<void> {
    const now = this.#clock.now();
    const peers = await this.#options.peers();
    const ids = new Set(peers.map((p) => p.id));
    for (const id of this.#health.keys()) {
      if (!ids.has(id)) {
        this.#health.delete(id);
        this.#lastProbe.delete(id);
      }
    }
    for (const peer of peers) {
      if (this.#probing.has(peer.id)) continue;
      const last = this.#lastProbe.get(peer.id);
      if (!probeDue(this.health(peer.id, now), now, this.#options.policy, last)) continue;
      this.#lastProbe.set(peer.id, now);
      this.#probing.add(peer.id);
      this.#probe(peer).finally(() => this.#probing.delete(peer.id));
    }
  }

  async #probe(peer: Peer): Promise<void> {
    const { policy } = this.#options;
    const doFetch = this.#options.fetch ?? fetch;
    const clock = this.#clock;
    const started = clock.now();
    const url = `${peer.scheme}://${peer.address}/healthz`;
    // The probe's time limit covers reading the answer too.
    const limit = new AbortController();
    const timer = clock.setTimeout(
      () => limit.abort(new DOMException("Signal timed out.", "TimeoutError")),
      policy.timeoutMs,
    );
    try {
      // No credential, and no redirect followed: `/healthz` answers anyone.
      const res = await doFetch(url, { signal: limit.signal, redirect: "manual" });
      // Any HTTP answer means the process is serving (a SkillLite node has no /healthz).
      let load: number | undefined;
      try {
        // At most 64 KiB is read, within the probe's time limit; the load is believed
        // only when it is a sane figure (see `loadFromHealthz`).
        const text = await readLimitedText(res, url, { maxBytes: MAX_SMALL_ANSWER_BYTES });
        load = loadFromHealthz(JSON.parse(text));
      } catch {
        // Not our JSON, too long or too slow: no load figure.
        await res.body?.cancel().catch(() => {});
      }
      const latencyMs = Math.max(0, clock.now() - started);
      this.#apply(peer, (h, now) => onProbeSuccess(h, { latencyMs, load }, now, policy));
    } catch {
      this.#apply(peer, (h, now) => onProbeFailure(h, now, policy));
    } finally {
      clock.clearTimeout(timer);
    }
  }
}
