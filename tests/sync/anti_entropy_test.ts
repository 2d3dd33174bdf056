import assert from "node:assert/strict";
import fc from "fast-check";
import { pickGossipPeers, planExchange } from "../../lib/sync/anti_entropy.ts";

Deno.test("planExchange() fetches what only the peer has and pushes what only this node has", () => {
  const cases: [string[], string[], { maxFetch: number; maxPush: number }, string[], string[]][] = [
    [[], [], { maxFetch: 9, maxPush: 9 }, [], []],
    [["a"], ["a"], { maxFetch: 9, maxPush: 9 }, [], []],
    [["b", "a"], ["c", "b"], { maxFetch: 9, maxPush: 9 }, ["c"], ["a"]],
    [["a", "a"], ["b", "b"], { maxFetch: 9, maxPush: 9 }, ["b"], ["a"]],
    [["x"], ["d", "c", "b", "a"], { maxFetch: 2, maxPush: 9 }, ["a", "b"], ["x"]],
    [["d", "c", "b", "a"], [], { maxFetch: 9, maxPush: 3 }, [], ["a", "b", "c"]],
    [["a"], ["b"], { maxFetch: 0, maxPush: 0 }, [], []],
  ];
  for (const [ours, theirs, limits, fetch, push] of cases) {
    assert.deepEqual(planExchange(ours, theirs, limits), { fetch, push }, `${ours} vs ${theirs}`);
  }
});

Deno.test("planExchange(): rounds of push-pull between two nodes converge to the union", () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.integer({ min: 0, max: 99 }).map((n) => `d${n}`), { maxLength: 40 }),
      fc.uniqueArray(fc.integer({ min: 0, max: 99 }).map((n) => `d${n}`), { maxLength: 40 }),
      fc.integer({ min: 1, max: 5 }),
      (a0, b0, limit) => {
        const a = new Set(a0);
        const b = new Set(b0);
        const union = new Set([...a, ...b]);
        // Each round moves at least one missing digest each way while any is missing.
        for (let round = 0; round < 100 && (a.size < union.size || b.size < union.size); round++) {
          const plan = planExchange([...a], [...b], { maxFetch: limit, maxPush: limit });
          for (const d of plan.fetch) a.add(d);
          for (const d of plan.push) b.add(d);
        }
        assert.deepEqual([...a].sort(), [...union].sort());
        assert.deepEqual([...b].sort(), [...union].sort());
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("pickGossipPeers() picks distinct peers, at most fanout, from the candidates only", () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.string(), { maxLength: 12 }),
      fc.integer({ min: -1, max: 15 }),
      fc.array(fc.double({ min: 0, max: 0.9999999, noNaN: true }), {
        minLength: 15,
        maxLength: 15,
      }),
      (peers, fanout, draws) => {
        let i = 0;
        const picked = pickGossipPeers(peers, fanout, () => draws[i++ % draws.length]);
        assert.equal(picked.length, Math.min(peers.length, Math.max(0, fanout)));
        assert.equal(new Set(picked).size, picked.length);
        for (const p of picked) assert.ok(peers.includes(p));
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("pickGossipPeers() reaches every peer over rounds", () => {
  const peers = ["a", "b", "c", "d", "e", "f"];
  const seen = new Set<string>();
  let seed = 7;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  for (let round = 0; round < 50; round++) {
    for (const p of pickGossipPeers(peers, 2, random)) seen.add(p);
  }
  assert.deepEqual([...seen].sort(), peers);
});
