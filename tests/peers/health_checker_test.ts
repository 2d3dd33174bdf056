import assert from "node:assert/strict";
import { HealthChecker } from "../../lib/peers/health_checker.ts";
import { DEFAULT_HEALTH_POLICY, type HealthState } from "../../lib/peers/health_state.ts";
import type { Peer } from "../../lib/routing/types.ts";
import { serve, sleep, type TestServer } from "../client/_serve.ts";
import { peer } from "../routing/_peer.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";

const POLICY = { ...DEFAULT_HEALTH_POLICY, intervalMs: 100, timeoutMs: 300 };

/** Runs a checker over `peers` until `done()` holds (at most 3 s), then stops it. */
async function probe(
  peers: Peer[],
  done: (checker: HealthChecker) => boolean,
  changes: Array<[string, HealthState, HealthState]> = [],
): Promise<HealthChecker> {
  const checker = new HealthChecker({
    policy: POLICY,
    peers: () => Promise.resolve(peers),
    onChange: (p, from, to) => changes.push([p.id, from, to]),
  });
  checker.start();
  try {
    const deadline = Date.now() + 3000;
    while (!done(checker) && Date.now() < deadline) await sleep(20);
  } finally {
    checker.stop();
  }
  return checker;
}

function at(server: TestServer, id = "p"): Peer {
  return peer(id, { address: server.address });
}

Deno.test("HealthChecker probes /healthz with no credential", async () => {
  const server = serve(() => Response.json({ status: "ok", running_tasks: 1, queued_tasks: 1 }));
  try {
    const checker = new HealthChecker({
      policy: POLICY,
      peers: () => Promise.resolve([at(server)]),
      onChange: () => {},
    });
    checker.start();
    const deadline = Date.now() + 3000;
    while (server.requests.length < 2 && Date.now() < deadline) await sleep(20);
    checker.stop();
    assert.ok(server.requests.length >= 2);
    for (const seen of server.requests) {
      assert.equal(seen.path, "/healthz");
      assert.equal(seen.headers.get("authorization"), null);
    }
    assert.equal(checker.health("p").load, 2);
  } finally {
    await server.close();
  }
});

Deno.test("HealthChecker believes only a sane load: a negative one is unknown", async () => {
  const server = serve(() => Response.json({ status: "ok", running_tasks: -1_000_000 }));
  try {
    const checker = await probe([at(server)], () => server.requests.length >= 2);
    assert.equal(checker.health("p").state, "alive");
    assert.equal(checker.health("p").load, undefined);
    const [annotated] = checker.annotate([{ ...at(server), load: -7 }]);
    assert.equal(annotated.load, undefined, "a row's own unbelievable load is dropped too");
    assert.equal(checker.annotate([{ ...at(server), load: 4 }])[0].load, 4);
  } finally {
    await server.close();
  }
});

Deno.test("HealthChecker reads at most 64 KiB of a /healthz answer", async () => {
  const sent = { bytes: 0, cancelled: false };
  const chunk = new TextEncoder().encode(" ".repeat(65_536));
  const server = serve(() =>
    new Response(
      new ReadableStream<Uint8Array>({
        pull(controller) {
          sent.bytes += chunk.length;
          controller.enqueue(chunk);
        },
        cancel() {
          sent.cancelled = true;
        },
      }),
      { headers: { "content-type": "application/json" } },
    )
  );
  try {
    const checker = await probe([at(server)], () => sent.cancelled);
    await sleep(50);
    assert.ok(sent.cancelled, "the probe stopped reading");
    assert.ok(sent.bytes < 16 * 1024 * 1024, `the peer sent ${sent.bytes} bytes`);
    // Any HTTP answer still means the process serves: alive, without a load figure.
    assert.equal(checker.health("p").state, "alive");
    assert.equal(checker.health("p").load, undefined);
  } finally {
    await server.close();
  }
});

Deno.test("HealthChecker does not follow a redirect", async () => {
  const target = serve(() => Response.json({ status: "ok", running_tasks: 0 }));
  const server = serve(() =>
    new Response(null, { status: 307, headers: { location: `${target.url}/healthz` } })
  );
  try {
    await probe([at(server)], () => server.requests.length >= 2);
    assert.ok(server.requests.length >= 2);
    assert.equal(target.requests.length, 0);
  } finally {
    await Promise.all([server.close(), target.close()]);
  }
});

Deno.test("HealthChecker marks a silent peer suspect, then dead", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const address = `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
  listener.close();
  const changes: Array<[string, HealthState, HealthState]> = [];
  await probe(
    [peer("gone", { address })],
    (c) => c.health("gone").state === "dead",
    changes,
  );
  assert.deepEqual(changes, [["gone", "alive", "suspect"], ["gone", "suspect", "dead"]]);
});

Deno.test("HealthChecker.annotate() keeps dead peers, marked dead and unhealthy", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const address = `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
  listener.close();
  const gone = peer("gone", { address });
  const checker = await probe([gone], (c) => c.health("gone").state === "dead");
  const rows = checker.annotate([gone, peer("new")]);
  assert.deepEqual(rows.map((r) => [r.id, r.state, r.healthy]), [
    ["gone", "dead", false],
    ["new", "alive", true],
  ]);
});

Deno.test("HealthChecker.annotate() marks suspects and rows whose last contact failed unhealthy", () => {
  const checker = new HealthChecker({
    policy: POLICY,
    peers: () => Promise.resolve([]),
    onChange: () => {},
  });
  checker.forwardOutcome(peer("s"), { answered: false });
  checker.forwardOutcome(peer("a"), { answered: true });
  const rows = checker.annotate([peer("s"), peer("a"), peer("x", { healthy: false })]);
  assert.deepEqual(rows.map((r) => [r.id, r.state, r.healthy]), [
    ["s", "suspect", false],
    ["a", "alive", true],
    ["x", "alive", false],
  ]);
});

Deno.test("HealthChecker.forwardOutcome(): answered forwards keep a peer whose probes fail from being dead, and the reverse", async () => {
  const cases: Array<{
    probes: "answer" | "fail";
    /** Whether the forward made before each probe was answered; none when undefined. */
    forward?: boolean;
    /** Every state the peer moved to, sorted. */
    states: HealthState[];
    last: HealthState;
  }> = [
    { probes: "answer", states: [], last: "alive" },
    { probes: "answer", forward: true, states: [], last: "alive" },
    // Demoted after each unanswered forward, alive at the next probe; never dead.
    { probes: "answer", forward: false, states: ["alive", "suspect"], last: "alive" },
    // Suspect after each failed probe, alive at the next answered forward; never dead.
    { probes: "fail", forward: true, states: ["alive", "suspect"], last: "suspect" },
    { probes: "fail", forward: false, states: ["dead", "suspect"], last: "dead" },
    { probes: "fail", states: ["dead", "suspect"], last: "dead" },
  ];
  for (const { probes, forward, states, last } of cases) {
    const label = `probes ${probes}, forwards ${forward ?? "none"}`;
    const target = peer("p", { address: "127.0.0.1:9" });
    const seen: HealthState[] = [];
    let probed = 0;
    const checker: HealthChecker = new HealthChecker({
      policy: { ...POLICY, deadProbeIntervalMs: 100 },
      peers: () => Promise.resolve([target]),
      onChange: (_peer, _from, to) => seen.push(to),
      // Each probe comes right after a forward to the peer: answers and failures interleave.
      fetch: () => {
        probed++;
        if (forward !== undefined) checker.forwardOutcome(target, { answered: forward });
        return probes === "answer"
          ? Promise.resolve(Response.json({ status: "ok", running_tasks: 0 }))
          : Promise.reject(new TypeError("Connection refused"));
      },
    });
    checker.start();
    try {
      const deadline = Date.now() + 3000;
      while (probed < 6 && Date.now() < deadline) await sleep(20);
    } finally {
      checker.stop();
    }
    assert.ok(probed >= 6, `${label}: ${probed} probes`);
    assert.deepEqual([...new Set(seen)].sort(), states, label);
    assert.equal(checker.health("p").state, last, label);
  }
});

/** A fetch the test scripts: each probe's answer, and the time each probe started. */
function scriptedFetch(clock: FakeClock, answer: (signal: AbortSignal) => Promise<Response>) {
  const probedAt: number[] = [];
  const fetch = ((_url: string | URL | Request, init?: RequestInit) => {
    probedAt.push(clock.now());
    return answer(init!.signal!);
  }) as typeof globalThis.fetch;
  return { fetch, probedAt };
}

const refused = () => Promise.reject(new TypeError("Connection refused"));
const answered = () => Promise.resolve(Response.json({ status: "ok", running_tasks: 0 }));
const CLOCKED_POLICY = {
  ...DEFAULT_HEALTH_POLICY,
  intervalMs: 1_000,
  timeoutMs: 500,
  deadAfterFailures: 2,
  deadProbeIntervalMs: 5_000,
};

Deno.test("HealthChecker on a fake clock: alive, suspect, dead by failed probes; dead peers probed at the dead interval", async () => {
  const clock = new FakeClock();
  let reply: () => Promise<Response> = refused;
  const { fetch, probedAt } = scriptedFetch(clock, () => reply());
  const changes: Array<[number, HealthState, HealthState]> = [];
  const checker = new HealthChecker({
    policy: CLOCKED_POLICY,
    peers: () => Promise.resolve([peer("p")]),
    onChange: (_p, from, to) => changes.push([clock.now(), from, to]),
    fetch,
    clock,
  });
  checker.start();
  try {
    await clock.advance(0);
    assert.deepEqual(changes, [[0, "alive", "suspect"]], "one failed probe: suspect");
    await clock.advance(999);
    assert.deepEqual(probedAt, [0], "not probed again before intervalMs");
    await clock.advance(1);
    assert.deepEqual(changes.at(-1), [1_000, "suspect", "dead"], "two in a row: dead");
    await clock.advance(5_000 - 1);
    assert.deepEqual(probedAt, [0, 1_000], "a dead peer waits deadProbeIntervalMs");
    await clock.advance(1);
    assert.deepEqual(probedAt, [0, 1_000, 6_000]);
    assert.equal(checker.health("p").state, "dead", "still dead while it does not answer");
    reply = answered;
    await clock.advance(5_000);
    assert.deepEqual(probedAt, [0, 1_000, 6_000, 11_000]);
    assert.deepEqual(changes.at(-1), [11_000, "dead", "alive"], "back at its next probe");
    await clock.advance(1_000);
    assert.deepEqual(probedAt.at(-1), 12_000, "alive again: probed every intervalMs");
    assert.equal(checker.health("p").sinceMs, 11_000, "state times come from the clock");
  } finally {
    checker.stop();
  }
  assert.equal(clock.pending, 0, "stop() leaves no timer");
});

Deno.test("HealthChecker on a fake clock: a probe unanswered after timeoutMs fails", async () => {
  const clock = new FakeClock();
  // A peer that accepts the connection and never answers: only the time limit ends it.
  const { fetch, probedAt } = scriptedFetch(clock, (signal) =>
    new Promise((_resolve, reject) => {
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    }));
  const checker = new HealthChecker({
    policy: CLOCKED_POLICY,
    peers: () => Promise.resolve([peer("p")]),
    onChange: () => {},
    fetch,
    clock,
  });
  checker.start();
  try {
    await clock.advance(499);
    assert.equal(checker.health("p").state, "alive", "within its time limit");
    await clock.advance(1);
    assert.equal(checker.health("p").state, "suspect");
    await clock.advance(999);
    assert.deepEqual(probedAt, [0, 1_000], "probes start every intervalMs");
    assert.equal(checker.health("p").state, "suspect");
    await clock.advance(1);
    assert.equal(checker.health("p").state, "dead", "the second probe timed out too");
  } finally {
    checker.stop();
  }
});

Deno.test("HealthChecker on a fake clock: latency is the clock time a probe took", async () => {
  const clock = new FakeClock();
  const { fetch } = scriptedFetch(clock, () =>
    new Promise((resolve) => {
      clock.setTimeout(() => resolve(Response.json({ status: "ok", running_tasks: 3 })), 40);
    }));
  const checker = new HealthChecker({
    policy: CLOCKED_POLICY,
    peers: () => Promise.resolve([peer("p")]),
    onChange: () => {},
    fetch,
    clock,
  });
  checker.start();
  try {
    await clock.advance(100);
    assert.equal(checker.health("p").latencyEwmaMs, 40);
    assert.equal(checker.health("p").load, 3);
    assert.equal(checker.health("p").lastOkMs, 40);
  } finally {
    checker.stop();
  }
});

Deno.test("HealthChecker on a fake clock: answered forwards between failed probes keep a peer from dead", async () => {
  const clock = new FakeClock();
  const { fetch, probedAt } = scriptedFetch(clock, refused);
  const seen: HealthState[] = [];
  const target = peer("p");
  const checker = new HealthChecker({
    policy: CLOCKED_POLICY,
    peers: () => Promise.resolve([target]),
    onChange: (_p, _from, to) => seen.push(to),
    fetch,
    clock,
  });
  checker.start();
  try {
    for (let round = 0; round < 5; round++) {
      await clock.advance(round === 0 ? 0 : 1_000);
      assert.equal(checker.health("p").state, "suspect", `after probe ${round + 1}`);
      checker.forwardOutcome(target, { answered: true });
      assert.equal(checker.health("p").state, "alive", `after forward ${round + 1}`);
    }
    assert.equal(probedAt.length, 5);
    assert.ok(!seen.includes("dead"));
    // Without the answered forwards, the next two failed probes make it dead.
    await clock.advance(2_000);
    assert.equal(checker.health("p").state, "dead");
  } finally {
    checker.stop();
  }
});
