import assert from "node:assert/strict";
import { SwarmError } from "../../lib/protocol/errors.ts";
import { HOPS_HEADER, VIA_HEADER } from "../../lib/protocol/types.ts";
import {
  canForward,
  checkArrival,
  forwardHeaders,
  MAX_VIA_ENTRIES,
  parseHopHeaders,
} from "../../lib/routing/hops.ts";

Deno.test("checkArrival() accepts, or refuses loops and exceeded hop limits", () => {
  const cases: Array<{ via: string[]; hops: number; maxHops: number; want: string | null }> = [
    { via: [], hops: 0, maxHops: 0, want: null },
    { via: ["a", "b"], hops: 2, maxHops: 2, want: null },
    { via: ["a", "me"], hops: 2, maxHops: 8, want: "loop_detected" },
    { via: ["me"], hops: 9, maxHops: 2, want: "loop_detected" },
    { via: ["a"], hops: 3, maxHops: 2, want: "hop_limit_exceeded" },
    { via: ["Me"], hops: 0, maxHops: 1, want: null },
  ];
  for (const { via, hops, maxHops, want } of cases) {
    const run = () => checkArrival({ selfId: "me", via, hops, maxHops });
    const label = JSON.stringify({ via, hops, maxHops });
    if (want === null) {
      assert.doesNotThrow(run, label);
    } else {
      assert.throws(
        run,
        (err) => err instanceof SwarmError && err.code === want && err.status === 508,
        label,
      );
    }
  }
});

Deno.test("checkArrival() names the node and the limit in its messages", () => {
  assert.throws(
    () => checkArrival({ selfId: "me", via: ["a", "me"], hops: 2, maxHops: 4 }),
    { message: "Loop detected: task already passed through node me (via a, me)" },
  );
  assert.throws(
    () => checkArrival({ selfId: "me", via: [], hops: 5, maxHops: 4 }),
    { message: "Hop limit exceeded: task crossed 5 hops, limit is 4" },
  );
});

Deno.test("canForward() allows one more hop only within the limit", () => {
  const cases: Array<[number, number, boolean]> = [[0, 0, false], [0, 1, true], [3, 4, true], [
    4,
    4,
    false,
  ], [5, 4, false]];
  for (const [hops, maxHops, want] of cases) {
    assert.equal(canForward(hops, maxHops), want, `${hops}/${maxHops}`);
  }
});

Deno.test("parseHopHeaders() reads counts and via lists, tolerating bad values", () => {
  const many = Array.from({ length: 40 }, (_, i) => `n${i}`);
  const cases: Array<[Record<string, string>, { hops: number; via: string[] }]> = [
    [{}, { hops: 0, via: [] }],
    [{ [HOPS_HEADER]: "3", [VIA_HEADER]: "a,b,c" }, { hops: 3, via: ["a", "b", "c"] }],
    [{ [HOPS_HEADER]: " 2 ", [VIA_HEADER]: " a , ,b,, " }, { hops: 2, via: ["a", "b"] }],
    [{ [HOPS_HEADER]: "-1" }, { hops: 0, via: [] }],
    [{ [HOPS_HEADER]: "1.5" }, { hops: 0, via: [] }],
    [{ [HOPS_HEADER]: "abc" }, { hops: 0, via: [] }],
    [{ [HOPS_HEADER]: "99999999999999999999" }, { hops: 0, via: [] }],
    [{ [VIA_HEADER]: many.join(",") }, { hops: 0, via: many.slice(0, MAX_VIA_ENTRIES) }],
  ];
  for (const [headers, want] of cases) {
    assert.deepEqual(parseHopHeaders(new Headers(headers)), want, JSON.stringify(headers));
  }
});

Deno.test("forwardHeaders() adds one hop and this node to the via list", () => {
  assert.deepEqual(forwardHeaders({ hops: 0, via: [], selfId: "me" }), {
    [HOPS_HEADER]: "1",
    [VIA_HEADER]: "me",
  });
  assert.deepEqual(forwardHeaders({ hops: 2, via: ["a", "b"], selfId: "me" }), {
    [HOPS_HEADER]: "3",
    [VIA_HEADER]: "a,b,me",
  });
  const round = parseHopHeaders(new Headers(forwardHeaders({ hops: 1, via: ["a"], selfId: "me" })));
  assert.deepEqual(round, { hops: 2, via: ["a", "me"] });
});
