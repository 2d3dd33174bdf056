/**
 * Per-peer health as pure transitions: active probes and passive forwarding outcomes
 * move a peer between alive, suspect and dead; a policy says how often to probe and
 * when a silent peer counts as dead. The prober that feeds these, and passes on every
 * forward's outcome, is `HealthChecker` (`health_checker.ts`).
 *
 * The rules, in one place:
 * - any answer, to a probe or to a forward, makes a peer alive and resets its count of
 *   failed probes;
 * - a failed probe makes it suspect, and dead once `deadAfterFailures` probes in a row
 *   have failed with no answer of any kind between them;
 * - a forward that got no answer makes an alive peer suspect; it never makes a peer
 *   dead (a forward can time out on a long task while the peer is fine), so only
 *   probes decide that.
 *
 * A peer whose probes fail but whose forwards keep being answered (an event loop too
 * busy to answer `/healthz` within `timeoutMs`) is therefore not marked dead as long
 * as an answer comes between any `deadAfterFailures` failed probes.
 *
 * @module
 */
import { DEFAULT_CONFIG, healthPolicyOf } from "../config/mod.ts";

/**
 * What a node believes about a peer: `alive` (answering), `suspect` (a probe or a
 * forward just failed; still routed to, after alive peers), `dead` (not routed to,
 * still probed now and then to notice it coming back).
 */
export type HealthState = "alive" | "suspect" | "dead";

/**
 * How peers are probed and judged. Validate it once at start-up with
 * {@link validateHealthPolicy}; {@link detectionTimeBoundMs} gives the worst-case time
 * from a crash to "dead" it implies.
 */
export interface HealthPolicy {
  /**
   * Time between the starts of two probes of a peer that is not dead, in
   * milliseconds (a probe is not started while the previous one is still running).
   * Shorter detects crashes sooner at the cost of more requests: every node probes
   * every peer, so a mesh of n nodes sends n × (n − 1) probes per interval. 0 is
   * refused.
   *
   * @default {1000}
   */
  intervalMs: number;
  /**
   * Time a probe may take before it counts as failed, in milliseconds. Shorter
   * detects a hung peer (paused, overloaded, cut off) sooner but risks calling a slow
   * yet working peer suspect, and eventually dead, on a loaded machine or network: keep
   * it well above the slowest healthy answer. 0 is refused.
   *
   * @default {500}
   */
  timeoutMs: number;
  /**
   * Consecutive failed probes after which a peer is dead; after fewer it is suspect.
   * Higher rides out longer hiccups (a GC pause, a busy event loop) without false
   * "dead" verdicts, at the cost of slower detection (see
   * {@link detectionTimeBoundMs}). 1 means the first failed probe marks the peer dead;
   * 0 is refused.
   *
   * @default {2}
   */
  deadAfterFailures: number;
  /**
   * Time between the starts of two probes of a dead peer, in milliseconds, so that it
   * is noticed when it comes back: within `max(deadProbeIntervalMs, timeoutMs) +
   * timeoutMs` of answering again. Longer spends fewer requests on peers that are gone
   * for good; shorter brings restarted peers back sooner. 0 is refused.
   *
   * @default {2000}
   */
  deadProbeIntervalMs: number;
  /**
   * Weight of the newest latency sample in the latency moving average, above 0 and at
   * most 1: `ewma = alpha × sample + (1 − alpha) × ewma`. Higher follows changes
   * faster but jumps with every outlier; lower is smoother but slower to notice that a
   * peer got slow. 1 means only the last sample counts; 0 is refused (the average
   * would never move).
   *
   * @default {0.3}
   */
  ewmaAlpha: number;
}

/**
 * The defaults, `healthPolicyOf(DEFAULT_CONFIG)` (lib/config): a probe a second,
 * failing after 0.5 s, dead after two failures (detected within 2.5 s of a crash), dead
 * peers probed every 2 s.
 */
export const DEFAULT_HEALTH_POLICY: Readonly<HealthPolicy> = Object.freeze(
  healthPolicyOf(DEFAULT_CONFIG),
);

function refuse(field: string, rule: string, value: unknown): never {
  throw new RangeError(
    `Cannot use health policy as '${field}' must be ${rule}: current value is ${value}`,
  );
}

/**
 * Checks every field of a health policy and returns it unchanged.
 *
 * @param policy The policy to check.
 * @returns The same policy.
 * @throws {RangeError} When a time is not a positive finite number,
 * `deadAfterFailures` is not a positive integer, or `ewmaAlpha` is not in (0, 1].
 * @example
 * ```ts
 * import { DEFAULT_HEALTH_POLICY, validateHealthPolicy } from "./health_state.ts";
 * validateHealthPolicy({ ...DEFAULT_HEALTH_POLICY, intervalMs: 250 });
 * try {
 *   validateHealthPolicy({ ...DEFAULT_HEALTH_POLICY, ewmaAlpha: 0 });
 * } catch (err) {
 *   console.assert(err instanceof RangeError);
 * }
 * ```
 */
export function validateHealthPolicy<T extends HealthPolicy>(policy: T): T {
  for (const field of ["intervalMs", "timeoutMs", "deadProbeIntervalMs"] as const) {
    const value = policy[field];
    if (!(value > 0) || !Number.isFinite(value)) refuse(field, "a positive number", value);
  }
  const { deadAfterFailures, ewmaAlpha } = policy;
  if (!Number.isSafeInteger(deadAfterFailures) || deadAfterFailures < 1) {
    refuse("deadAfterFailures", "a positive integer", deadAfterFailures);
  }
  if (!(ewmaAlpha > 0 && ewmaAlpha <= 1)) {
    refuse("ewmaAlpha", "greater than 0 and at most 1", ewmaAlpha);
  }
  return policy;
}

/**
 * The worst-case time from a peer's crash to its "dead" verdict, in milliseconds:
 * `intervalMs + (deadAfterFailures − 1) × max(intervalMs, timeoutMs) + timeoutMs`,
 * which is `deadAfterFailures × intervalMs + timeoutMs` when `timeoutMs <= intervalMs`
 * (the defaults: 2 × 1000 + 500 = 2500 ms).
 *
 * Why: the worst moment to crash is right after answering a probe that started at
 * `s`. The next probe starts at `s + intervalMs` and fails at most `timeoutMs` later
 * (a refused connection fails sooner, a hung peer takes the whole timeout). Each
 * further probe starts `intervalMs` after the previous one, or when it failed if that
 * took longer, so the k-th failing probe starts by `s + intervalMs + (k − 1) ×
 * max(intervalMs, timeoutMs)`; the `deadAfterFailures`-th one fails `timeoutMs` after
 * its start. A real prober adds the lateness of its timer, per probe.
 *
 * @param policy The health policy.
 * @returns The bound in milliseconds.
 * @example
 * ```ts
 * import { DEFAULT_HEALTH_POLICY, detectionTimeBoundMs } from "./health_state.ts";
 * console.assert(detectionTimeBoundMs(DEFAULT_HEALTH_POLICY) === 2500);
 * ```
 */
export function detectionTimeBoundMs(policy: HealthPolicy): number {
  const { intervalMs, timeoutMs, deadAfterFailures } = policy;
  return intervalMs + (deadAfterFailures - 1) * Math.max(intervalMs, timeoutMs) + timeoutMs;
}

/**
 * Largest load a peer may report, in tasks: a figure above it is not believed. No node
 * runs or queues a million tasks; a peer claiming more is broken or lying.
 */
export const MAX_REPORTED_LOAD = 1_000_000;

/**
 * A load figure reported by a peer (`running_tasks`, `queued_tasks`, `load`), if it is
 * believable: a non-negative integer up to {@link MAX_REPORTED_LOAD}. Anything else — a
 * negative, fractional, huge or non-numeric value — is `undefined` (unknown load), so a
 * peer cannot win every task by claiming `running_tasks: -1000000`. Load only orders
 * equal candidates; it never decides whether a peer is asked at all.
 *
 * @param value The reported value, as decoded from the peer's JSON.
 * @returns The load, or `undefined` when it is missing or not believable.
 * @example
 * ```ts
 * import { validLoad } from "./health_state.ts";
 * console.assert(validLoad(3) === 3);
 * console.assert(validLoad(-1_000_000) === undefined);
 * console.assert(validLoad(1.5) === undefined && validLoad("2") === undefined);
 * ```
 */
export function validLoad(value: unknown): number | undefined {
  // `+ 0` turns a -0 into 0.
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 &&
      value <= MAX_REPORTED_LOAD
    ? value + 0
    : undefined;
}

/**
 * The load a `/healthz` body reports: `running_tasks` plus `queued_tasks` (0 when
 * absent), each checked with {@link validLoad}; `undefined` when `running_tasks` is
 * missing or either figure is not believable. The sum is capped at
 * {@link MAX_REPORTED_LOAD}.
 *
 * @param body The decoded `/healthz` body (anything).
 * @returns The load, or `undefined` when unknown.
 * @example
 * ```ts
 * import { loadFromHealthz } from "./health_state.ts";
 * console.assert(loadFromHealthz({ running_tasks: 1, queued_tasks: 2 }) === 3);
 * console.assert(loadFromHealthz({ running_tasks: -1_000_000 }) === undefined);
 * console.assert(loadFromHealthz("not json") === undefined);
 * ```
 */
export function loadFromHealthz(body: unknown): number | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const { running_tasks: running, queued_tasks: queued } = body as Record<string, unknown>;
  const run = validLoad(running);
  const queue = queued === undefined ? 0 : validLoad(queued);
  if (run === undefined || queue === undefined) return undefined;
  return Math.min(run + queue, MAX_REPORTED_LOAD);
}

/** One peer's health. Transitions return new objects; none is changed in place. */
export interface PeerHealth {
  /** Current state. */
  state: HealthState;
  /**
   * Probes failed in a row since the last answer, to a probe or to a forward; forwards
   * that got no answer are not counted.
   */
  consecutiveFailures: number;
  /** Clock time the state last changed (or the peer was first seen), in milliseconds. */
  sinceMs: number;
  /** Clock time of the last successful probe or forward, in milliseconds. */
  lastOkMs?: number;
  /** Moving average of answer latencies, in milliseconds; undefined before the first. */
  latencyEwmaMs?: number;
  /** Tasks running or queued at the peer at its last probe, when it reports them. */
  load?: number;
}

/** What a transition returns: the new health and whether its state changed. */
export interface HealthTransition {
  /** The peer's health after the event. */
  health: PeerHealth;
  /** Whether `health.state` differs from the state before (worth a `peer_state` log). */
  changed: boolean;
}

/** A successful probe's measurements. */
export interface ProbeSample {
  /** Time the probe took, in milliseconds. */
  latencyMs: number;
  /** Tasks running or queued at the peer, when it reported them. */
  load?: number;
}

/**
 * The health of a peer just reported by a peer source: alive, since `nowMs`.
 *
 * @param nowMs Clock time, in milliseconds.
 * @example
 * ```ts
 * import { initialHealth } from "./health_state.ts";
 * console.assert(initialHealth(5).state === "alive");
 * ```
 */
export function initialHealth(nowMs: number): PeerHealth {
  return { state: "alive", consecutiveFailures: 0, sinceMs: nowMs };
}

function move(h: PeerHealth, next: PeerHealth, nowMs: number): HealthTransition {
  const changed = next.state !== h.state;
  return { health: { ...next, sinceMs: changed ? nowMs : h.sinceMs }, changed };
}

function ewma(previous: number | undefined, sample: number, alpha: number): number {
  return previous === undefined ? sample : alpha * sample + (1 - alpha) * previous;
}

/**
 * A probe was answered: the peer is alive, its failure count resets, its latency
 * average takes the sample and its load the reported figure (the previous one when
 * none was reported).
 *
 * @param h Health before.
 * @param sample The probe's latency and reported load.
 * @param nowMs Clock time, in milliseconds.
 * @param policy The health policy (for `ewmaAlpha`).
 * @example
 * ```ts
 * import { DEFAULT_HEALTH_POLICY, initialHealth, onProbeFailure, onProbeSuccess } from "./health_state.ts";
 * const down = onProbeFailure(initialHealth(0), 1000, DEFAULT_HEALTH_POLICY).health;
 * const up = onProbeSuccess(down, { latencyMs: 12, load: 1 }, 2000, DEFAULT_HEALTH_POLICY);
 * console.assert(up.changed && up.health.state === "alive" && up.health.latencyEwmaMs === 12);
 * ```
 */
export function onProbeSuccess(
  h: PeerHealth,
  sample: ProbeSample,
  nowMs: number,
  policy: HealthPolicy,
): HealthTransition {
  return move(h, {
    ...h,
    state: "alive",
    consecutiveFailures: 0,
    lastOkMs: nowMs,
    latencyEwmaMs: ewma(h.latencyEwmaMs, sample.latencyMs, policy.ewmaAlpha),
    load: validLoad(sample.load) ?? h.load,
  }, nowMs);
}

/**
 * A probe failed (no answer within `timeoutMs`, or no connection): the peer is
 * suspect, or dead once `deadAfterFailures` probes in a row have failed.
 *
 * @param h Health before.
 * @param nowMs Clock time, in milliseconds.
 * @param policy The health policy (for `deadAfterFailures`).
 * @example
 * ```ts
 * import { DEFAULT_HEALTH_POLICY, initialHealth, onProbeFailure } from "./health_state.ts";
 * const once = onProbeFailure(initialHealth(0), 1500, DEFAULT_HEALTH_POLICY).health;
 * const twice = onProbeFailure(once, 2500, DEFAULT_HEALTH_POLICY).health;
 * console.assert(once.state === "suspect" && twice.state === "dead");
 * ```
 */
export function onProbeFailure(
  h: PeerHealth,
  nowMs: number,
  policy: HealthPolicy,
): HealthTransition {
  const consecutiveFailures = h.consecutiveFailures + 1;
  const state = consecutiveFailures >= policy.deadAfterFailures ? "dead" : "suspect";
  return move(h, { ...h, state, consecutiveFailures }, nowMs);
}

/**
 * A forward to the peer got no answer (connection error, timeout): an alive peer
 * becomes suspect, so it sorts after alive ones until its next answered probe or
 * forward. It does not count towards "dead"; only probes decide that.
 *
 * @param h Health before.
 * @param nowMs Clock time, in milliseconds.
 * @example
 * ```ts
 * import { initialHealth, onPassiveFailure } from "./health_state.ts";
 * const { health, changed } = onPassiveFailure(initialHealth(0), 10);
 * console.assert(changed && health.state === "suspect" && health.consecutiveFailures === 0);
 * ```
 */
export function onPassiveFailure(h: PeerHealth, nowMs: number): HealthTransition {
  return move(h, { ...h, state: h.state === "alive" ? "suspect" : h.state }, nowMs);
}

/**
 * A forward to the peer was answered (any HTTP status, as for a probe): the peer is
 * alive, its failure count resets and, when a sample is given, its latency average
 * takes it. Its load is unchanged: a forward reports none.
 *
 * @param h Health before.
 * @param latencyMs Time the peer took to start answering (to the response headers or
 * its first stream event), in milliseconds; `undefined` leaves the average as it is.
 * Never the task's run time, which would make busy peers look slow.
 * @param nowMs Clock time, in milliseconds.
 * @param policy The health policy (for `ewmaAlpha`).
 * @example
 * ```ts
 * import { DEFAULT_HEALTH_POLICY, initialHealth, onPassiveFailure, onPassiveSuccess } from "./health_state.ts";
 * const suspect = onPassiveFailure(initialHealth(0), 10).health;
 * const back = onPassiveSuccess(suspect, undefined, 30, DEFAULT_HEALTH_POLICY);
 * console.assert(back.changed && back.health.state === "alive");
 * console.assert(back.health.latencyEwmaMs === undefined);
 * ```
 */
export function onPassiveSuccess(
  h: PeerHealth,
  latencyMs: number | undefined,
  nowMs: number,
  policy: HealthPolicy,
): HealthTransition {
  if (latencyMs !== undefined) {
    // An answered forward with a latency counts as a probe that reported no load.
    return onProbeSuccess(h, { latencyMs }, nowMs, policy);
  }
  return move(h, { ...h, state: "alive", consecutiveFailures: 0, lastOkMs: nowMs }, nowMs);
}

/**
 * Whether a peer is due for a probe: never probed, or its last probe started
 * `intervalMs` ago (`deadProbeIntervalMs` for a dead peer). The caller starts no probe
 * while one is running.
 *
 * @param h The peer's health.
 * @param nowMs Clock time, in milliseconds.
 * @param policy The health policy.
 * @param lastProbeMs Clock time the last probe started; undefined when never probed.
 * @example
 * ```ts
 * import { DEFAULT_HEALTH_POLICY, initialHealth, probeDue } from "./health_state.ts";
 * const h = initialHealth(0);
 * console.assert(probeDue(h, 0, DEFAULT_HEALTH_POLICY, undefined));
 * console.assert(!probeDue(h, 999, DEFAULT_HEALTH_POLICY, 0));
 * console.assert(probeDue(h, 1000, DEFAULT_HEALTH_POLICY, 0));
 * ```
 */
export function probeDue(
  h: PeerHealth,
  nowMs: number,
  policy: HealthPolicy,
  lastProbeMs: number | undefined,
): boolean {
  if (lastProbeMs === undefined) return true;
  const interval = h.state === "dead" ? policy.deadProbeIntervalMs : policy.intervalMs;
  return nowMs - lastProbeMs >= interval;
}

/**
 * Whether tasks may be sent to a peer in this state: alive and suspect peers are
 * routable, dead ones are not. Candidate selection (`matchingPeers`, `fallbackChain`
 * in `lib/routing/candidates.ts`) leaves dead rows out with it, so a dead peer is
 * neither forwarded to nor asked `/can-do`; it stays in the table (and in `/status`)
 * and is probed until it answers again.
 *
 * @param state The peer's state.
 * @returns `false` for a dead peer.
 * @example
 * ```ts
 * import { routable } from "./health_state.ts";
 * console.assert(routable("suspect") && !routable("dead"));
 * ```
 */
export function routable(state: HealthState): boolean {
  return state !== "dead";
}
