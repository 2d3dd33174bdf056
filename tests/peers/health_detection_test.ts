/**
 * The real {@link HealthChecker} against the detection bound of docs/reliability.md:
 * driven by a {@link FakeClock} and a scripted peer (it answers each probe after a
 * latency, until it is killed — connections refused at once — or paused — probes
 * accepted and never answered — at a chosen moment, and comes back later), the checker
 * must call the peer suspect, then dead within
 * `detectionTimeBoundMs(policy)` = `intervalMs + (deadAfterFailures − 1) ×
 * max(intervalMs, timeoutMs) + timeoutMs` (2.5 s with the defaults, 3 s with the LAN
 * preset) plus the checker's scheduling, at most one tick per probe, and alive again
 * within `max(deadProbeIntervalMs, timeoutMs) + timeoutMs` of answering again.
 */
import assert from "node:assert/strict";
import { DEFAULT_CONFIG, healthPolicyOf, LAN_CONFIG } from "../../lib/config/mod.ts";
import { HealthChecker } from "../../lib/peers/health_checker.ts";
import {
  detectionTimeBoundMs,
  type HealthPolicy,
  type HealthState,
} from "../../lib/peers/health_state.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { peer } from "../routing/_peer.ts";

/**
 * How often the checker looks for due probes (its private `TICK_MS`): a probe starts
 * up to one tick after it is due, the "at most 100 ms of scheduling per probe" of
 * docs/reliability.md.
 */
const TICK_MS = 100;
/** The target the presets are held to (docs/reliability.md, LAN_CONFIG's comment). */
const TARGET_MS = 3_000;

const PRESETS: Array<[name: string, policy: HealthPolicy]> = [
  ["default", healthPolicyOf(DEFAULT_CONFIG)],
  ["LAN preset", healthPolicyOf(LAN_CONFIG)],
];
/** Other policies, for the formula's other terms (a timeout longer than the interval). */
const OTHER_POLICIES: Array<[name: string, policy: HealthPolicy]> = [
  ["dead after 1", { ...healthPolicyOf(DEFAULT_CONFIG), deadAfterFailures: 1 }],
  ["dead after 3, timeout 1.5 s", {
    ...healthPolicyOf(DEFAULT_CONFIG),
    deadAfterFailures: 3,
    timeoutMs: 1_500,
  }],
  ["interval 250 ms", {
    ...healthPolicyOf(DEFAULT_CONFIG),
    intervalMs: 250,
    timeoutMs: 400,
    deadAfterFailures: 3,
  }],
];

/** A seeded source of uniform numbers in [0, 1) (mulberry32). */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What the scripted peer does over time. */
interface PeerScript {
  /** Right after this time the peer fails (what it answered by then it answered): it is killed or paused. */
  failsAtMs: number;
  /**
   * `killed`: connections are refused at once (an answer under way is cut); `paused`:
   * probes are accepted and never answered until it resumes (then answered late).
   */
  how: "killed" | "paused";
  /** When it answers again (restarted, or resumed), if it does. */
  backAtMs?: number;
  /** Latency of an answer to a probe started at `startMs`. */
  latencyMs(startMs: number): number;
  /** Times a forward to it got no answer, reported to the checker. */
  unansweredForwardsAtMs?: number[];
  /** Times a forward to it was answered, reported to the checker. */
  answeredForwardsAtMs?: number[];
}

/** One state change the checker reported, at the fake time it happened. */
interface Change {
  atMs: number;
  to: HealthState;
}

/** Runs the real checker over one scripted peer until `untilMs`; its state changes. */
async function runChecker(
  policy: HealthPolicy,
  script: PeerScript,
  untilMs: number,
): Promise<Change[]> {
  const clock = new FakeClock();
  const target = peer("p", { address: "10.0.0.2:7700" });
  const { failsAtMs, backAtMs = Infinity } = script;
  const down = (t: number) => t > failsAtMs && t < backAtMs;
  const fetch = ((_url: string | URL | Request, init?: RequestInit) => {
    const signal = init!.signal!;
    const start = clock.now();
    return new Promise<Response>((resolve, reject) => {
      const fail = () => reject(new TypeError("Connection refused"));
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      if (down(start) && script.how === "killed") return fail();
      // A paused peer answers what it accepted once it resumes.
      const answerAt = (down(start) ? backAtMs : start) + script.latencyMs(start);
      if (script.how === "killed" && failsAtMs >= start && failsAtMs < answerAt) {
        clock.setTimeout(fail, failsAtMs - start); // killed mid-answer: connection reset
        return;
      }
      if (script.how === "paused" && failsAtMs >= start && failsAtMs < answerAt) {
        // Paused mid-answer: the answer comes when it resumes, if ever.
        if (backAtMs !== Infinity) {
          clock.setTimeout(
            () => resolve(Response.json({ status: "ok" })),
            backAtMs + (answerAt - failsAtMs) - start,
          );
        }
        return;
      }
      if (answerAt === Infinity) return;
      clock.setTimeout(() => resolve(Response.json({ status: "ok" })), answerAt - start);
    });
  }) as typeof globalThis.fetch;
  const changes: Change[] = [];
  const checker = new HealthChecker({
    policy,
    peers: () => Promise.resolve([target]),
    onChange: (_peer, _from, to) => changes.push({ atMs: clock.now(), to }),
    fetch,
    clock,
  });
  for (const at of script.unansweredForwardsAtMs ?? []) {
    clock.setTimeout(() => checker.forwardOutcome(target, { answered: false }), at);
  }
  for (const at of script.answeredForwardsAtMs ?? []) {
    clock.setTimeout(() => checker.forwardOutcome(target, { answered: true }), at);
  }
  checker.start();
  try {
    await clock.advance(untilMs);
  } finally {
    checker.stop();
  }
  return changes;
}

/** Time from `fromMs` to the first change to `state` at or after it; Infinity if none. */
function timeTo(changes: Change[], state: HealthState, fromMs: number): number {
  const change = changes.find((c) => c.to === state && c.atMs >= fromMs);
  return change === undefined ? Infinity : change.atMs - fromMs;
}

/** The states the peer went through from `fromMs` on, repeats folded. */
function statesFrom(changes: Change[], fromMs: number): HealthState[] {
  return changes.filter((c) => c.atMs >= fromMs).map((c) => c.to)
    .filter((s, i, all) => s !== all[i - 1]);
}

/**
 * Crash moments over two probe periods after the peer settled, every `stepMs` (a
 * divisor of the tick, so the moments right after each probe, the worst ones, are in).
 */
function crashMoments(policy: HealthPolicy, stepMs: number): number[] {
  const period = Math.max(policy.intervalMs, policy.timeoutMs);
  const moments: number[] = [];
  for (let t = 3_000; t < 3_000 + 2 * period; t += stepMs) moments.push(t);
  return moments;
}

for (const [name, policy] of [...PRESETS, ...OTHER_POLICIES]) {
  const bound = detectionTimeBoundMs(policy);
  const slack = policy.deadAfterFailures * TICK_MS;
  const preset = PRESETS.some(([n]) => n === name);

  Deno.test(`HealthChecker (${name} policy): a peer killed at any moment is suspect, then dead within detectionTimeBoundMs`, async () => {
    const random = seeded(7);
    for (const crash of crashMoments(policy, 25)) {
      const changes = await runChecker(policy, {
        failsAtMs: crash,
        how: "killed",
        latencyMs: () => Math.floor(random() * policy.timeoutMs),
      }, crash + bound + slack + 100);
      const label = `killed at ${crash} ms`;
      assert.ok(
        changes.every((c) => c.atMs >= crash),
        `${label}: changed state before: ${JSON.stringify(changes)}`,
      );
      const expected: HealthState[] = policy.deadAfterFailures > 1 ? ["suspect", "dead"] : ["dead"];
      assert.deepEqual(statesFrom(changes, crash), expected, label);
      const took = timeTo(changes, "dead", crash);
      assert.ok(took <= bound + slack, `${label}: dead after ${took} ms > ${bound} + ${slack}`);
      if (preset) assert.ok(took <= TARGET_MS, `${label}: dead after ${took} ms`);
    }
  });

  Deno.test(`HealthChecker (${name} policy): a paused peer is dead within detectionTimeBoundMs at worst, which it reaches; alive again after it resumes`, async () => {
    const random = seeded(3);
    const recovery = Math.max(policy.deadProbeIntervalMs, policy.timeoutMs) + policy.timeoutMs;
    let worst = 0;
    for (const pause of crashMoments(policy, 25)) {
      const resume = pause + bound + slack + Math.floor(random() * 3_000);
      const changes = await runChecker(policy, {
        failsAtMs: pause,
        how: "paused",
        backAtMs: resume,
        // Instant answers, so the worst moment (right after an answer) is hit.
        latencyMs: () => 0,
      }, resume + recovery + TICK_MS + 100);
      const label = `paused ${pause}..${resume} ms`;
      assert.ok(changes.every((c) => c.atMs >= pause), `${label}: ${JSON.stringify(changes)}`);
      const dead = timeTo(changes, "dead", pause);
      assert.ok(dead <= bound + slack, `${label}: dead after ${dead} ms > ${bound} + ${slack}`);
      if (preset) assert.ok(dead <= TARGET_MS, `${label}: dead after ${dead} ms`);
      worst = Math.max(worst, dead);
      const back = timeTo(changes, "alive", resume);
      assert.ok(back <= recovery + TICK_MS, `${label}: alive again after ${back} ms`);
      assert.equal(changes.at(-1)?.to, "alive", label);
    }
    // The bound is not loose: some pause moment takes the whole of it.
    assert.ok(worst >= bound, `worst ${worst} ms < bound ${bound} ms`);
  });
}

Deno.test("HealthChecker (default policy): a killed peer that restarts is alive again at its next dead-peer probe", async () => {
  const policy = healthPolicyOf(DEFAULT_CONFIG);
  const crash = 3_050;
  for (const downMs of [3_000, 4_321, 10_000]) {
    const back = crash + downMs;
    const changes = await runChecker(policy, {
      failsAtMs: crash,
      how: "killed",
      backAtMs: back,
      latencyMs: () => 5,
    }, back + 5_000);
    assert.deepEqual(statesFrom(changes, crash), ["suspect", "dead", "alive"], `down ${downMs}`);
    const took = timeTo(changes, "alive", back);
    assert.ok(took <= policy.deadProbeIntervalMs + TICK_MS + 5, `down ${downMs}: ${took} ms`);
  }
});

Deno.test("HealthChecker (presets): a peer answering every probe under the timeout is never dead, whatever its forwards", async () => {
  for (const [name, policy] of PRESETS) {
    const random = seeded(11);
    const changes = await runChecker(policy, {
      failsAtMs: Infinity,
      how: "paused",
      // Slow answers, some just under the timeout.
      latencyMs: () => policy.timeoutMs - 1 - Math.floor(random() * policy.timeoutMs * 0.3),
      unansweredForwardsAtMs: Array.from({ length: 40 }, (_, i) => 500 + i * 733),
    }, 30_000);
    assert.ok(!changes.some((c) => c.to === "dead"), `${name}: ${JSON.stringify(changes)}`);
    // Unanswered forwards only made it suspect, until the next probe answered.
    assert.ok(changes.some((c) => c.to === "suspect"), name);
    assert.equal(changes.at(-1)?.to, "alive", name);
  }
});

Deno.test("HealthChecker (presets): answered forwards keep a peer whose probes fail from dead; unanswered ones never make it dead", async () => {
  // A forward every 250 ms: more often than probes fail.
  const forwards = Array.from({ length: 119 }, (_, i) => 100 + i * 250);
  const cases: Array<{
    probes: "answer" | "fail";
    forwards: "answered" | "unanswered" | "none";
    /** Every state the peer moved to, sorted. */
    states: HealthState[];
  }> = [
    { probes: "answer", forwards: "none", states: [] },
    { probes: "answer", forwards: "answered", states: [] },
    // Demoted after each unanswered forward, back at the next probe; never dead.
    { probes: "answer", forwards: "unanswered", states: ["alive", "suspect"] },
    // Suspect after each failed probe, alive again at the next answered forward.
    { probes: "fail", forwards: "answered", states: ["alive", "suspect"] },
    { probes: "fail", forwards: "unanswered", states: ["dead", "suspect"] },
    { probes: "fail", forwards: "none", states: ["dead", "suspect"] },
  ];
  for (const [name, policy] of PRESETS) {
    for (const { probes, forwards: kind, states } of cases) {
      const label = `${name}: probes ${probes}, forwards ${kind}`;
      const changes = await runChecker(policy, {
        failsAtMs: probes === "fail" ? 0 : Infinity,
        how: "killed",
        latencyMs: () => 20,
        answeredForwardsAtMs: kind === "answered" ? forwards : [],
        unansweredForwardsAtMs: kind === "unanswered" ? forwards : [],
      }, 30_000);
      assert.deepEqual([...new Set(changes.map((c) => c.to))].sort(), states, label);
      if (states.includes("dead")) {
        assert.ok(timeTo(changes, "dead", 0) <= detectionTimeBoundMs(policy), label);
        assert.equal(changes.at(-1)?.to, "dead", label);
      }
    }
  }
});
