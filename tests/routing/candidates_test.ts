import assert from "node:assert/strict";
import { fallbackChain, matchingPeers } from "../../lib/routing/candidates.ts";
import type { Peer } from "../../lib/routing/types.ts";
import { ids, peer } from "./_peer.ts";

interface Case {
  name: string;
  peers: Peer[];
  required: string[];
  exclude?: string[];
  want: string[];
}

Deno.test("matchingPeers() keeps peers holding every tag, by id, best first", () => {
  const calc = ["calc"];
  const cases: Case[] = [
    { name: "no peers", peers: [], required: calc, want: [] },
    {
      name: "all tags needed, exact and case-sensitive",
      peers: [
        peer("a", { capabilities: ["calc", "web"] }),
        peer("b", { capabilities: ["calc"] }),
        peer("c", { capabilities: ["Calc", "web"] }),
        peer("d", { capabilities: ["calculator", "web"] }),
      ],
      required: ["calc", "web"],
      want: ["a"],
    },
    {
      name: "self and excluded ids removed",
      peers: [
        peer("me", { capabilities: calc }),
        peer("a", { capabilities: calc }),
        peer("b", { capabilities: calc }),
      ],
      required: calc,
      exclude: ["b"],
      want: ["a"],
    },
    {
      name: "same port on two machines stays two candidates",
      peers: [
        peer("n2", { address: "10.0.0.2:7700", capabilities: calc }),
        peer("n1", { address: "10.0.0.1:7700", capabilities: calc }),
      ],
      required: calc,
      want: ["n1", "n2"],
    },
    {
      name: "duplicate id: the most recently seen row decides (newer lacks the tag)",
      peers: [
        peer("a", { capabilities: calc, lastSeenMs: 1 }),
        peer("a", { capabilities: [], lastSeenMs: 2 }),
      ],
      required: calc,
      want: [],
    },
    {
      name: "duplicate id: the most recently seen row decides (newer has the tag)",
      peers: [
        peer("a", { capabilities: [], lastSeenMs: 5 }),
        peer("a", { capabilities: calc, lastSeenMs: 9, address: "10.0.0.9:7700" }),
        peer("b", { capabilities: calc, address: "10.0.0.1:7700" }),
      ],
      required: calc,
      want: ["b", "a"],
    },
    {
      name: "healthy before unhealthy, whatever the load",
      peers: [
        peer("sick", { capabilities: calc, healthy: false, load: 0 }),
        peer("busy", { capabilities: calc, load: 9 }),
      ],
      required: calc,
      want: ["busy", "sick"],
    },
    {
      name: "dead peers are never candidates, however good their other figures",
      peers: [
        peer("dead", { capabilities: calc, address: "127.0.0.1:7700", load: 0, state: "dead" }),
        peer("busy", { capabilities: calc, load: 9, state: "alive" }),
      ],
      required: calc,
      want: ["busy"],
    },
    {
      name: "only dead peers match: none",
      peers: [peer("dead", { capabilities: calc, state: "dead" })],
      required: calc,
      want: [],
    },
    {
      name: "a dead newer row of an id hides its older row",
      peers: [
        peer("a", { capabilities: calc, lastSeenMs: 1 }),
        peer("a", { capabilities: calc, lastSeenMs: 2, state: "dead" }),
      ],
      required: calc,
      want: [],
    },
    {
      name: "suspect after alive, whatever the load; no state counts as alive",
      peers: [
        peer("suspect", { capabilities: calc, address: "127.0.0.1:1", load: 0, state: "suspect" }),
        peer("busy", { capabilities: calc, address: "10.0.0.2:7700", load: 5, state: "alive" }),
        peer("unjudged", { capabilities: calc, address: "10.0.0.1:7700", load: 5 }),
      ],
      required: calc,
      want: ["unjudged", "busy", "suspect"],
    },
    {
      name: "lower load first; no load counts as 0",
      peers: [
        peer("two", { capabilities: calc, load: 2 }),
        peer("none", { capabilities: calc }),
        peer("one", { capabilities: calc, load: 1 }),
      ],
      required: calc,
      want: ["none", "one", "two"],
    },
    {
      name: "an unbelievable load (negative, fractional, huge) counts as 0 and wins nothing",
      peers: [
        peer("liar", { capabilities: calc, address: "10.0.0.9:7700", load: -1_000_000 }),
        peer("frac", { capabilities: calc, address: "10.0.0.8:7700", load: -0.5 }),
        peer("huge", { capabilities: calc, address: "10.0.0.7:7700", load: 1e12 }),
        peer("idle", { capabilities: calc, address: "10.0.0.1:7700", load: 0 }),
        peer("busy", { capabilities: calc, address: "10.0.0.0:7700", load: 1 }),
      ],
      required: calc,
      want: ["idle", "huge", "frac", "liar", "busy"],
    },
    {
      name: "loopback before other addresses, then by address string",
      peers: [
        peer("lan", { capabilities: calc, address: "10.0.0.1:7700" }),
        peer("v6", { capabilities: calc, address: "[::1]:7702" }),
        peer("lo2", { capabilities: calc, address: "127.0.0.1:7701" }),
        peer("name", { capabilities: calc, address: "localhost:7703" }),
        peer("lo1", { capabilities: calc, address: "127.0.0.1:7700" }),
        peer("v6lan", { capabilities: calc, address: "[fd00::1]:7700" }),
      ],
      required: calc,
      want: ["lo1", "lo2", "v6", "name", "lan", "v6lan"],
    },
    {
      name: "no tags: every other peer",
      peers: [peer("me"), peer("b"), peer("a", { capabilities: calc })],
      required: [],
      want: ["a", "b"],
    },
  ];
  for (const { name, peers, required, exclude, want } of cases) {
    assert.deepEqual(ids(matchingPeers(peers, required, { selfId: "me", exclude })), want, name);
  }
});

Deno.test("matchingPeers() does not reorder or change its input", () => {
  const peers = [peer("b", { capabilities: ["calc"] }), peer("a", { capabilities: ["calc"] })];
  const copy = structuredClone(peers);
  matchingPeers(peers, ["calc"], { selfId: "me" });
  assert.deepEqual(peers, copy);
});

Deno.test("fallbackChain() lists peers with any capability, most capabilities first", () => {
  const cases: Omit<Case, "required">[] = [
    { name: "empty table", peers: [], want: [] },
    {
      name: "peers without capabilities and self left out",
      peers: [
        peer("me", { capabilities: ["calc", "web", "data"] }),
        peer("bare"),
        peer("a", { capabilities: ["calc"] }),
      ],
      want: ["a"],
    },
    {
      name: "most capabilities first; a repeated tag counts once",
      peers: [
        peer("one", { capabilities: ["calc"] }),
        peer("dup", { capabilities: ["calc", "calc"] }),
        peer("three", { capabilities: ["calc", "web", "data"] }),
        peer("two", { capabilities: ["calc", "web"] }),
      ],
      want: ["three", "two", "dup", "one"],
    },
    {
      name: "equal counts: health, load, loopback, address",
      peers: [
        peer("sick", { capabilities: ["x"], healthy: false }),
        peer("lan", { capabilities: ["x"], address: "10.0.0.1:7700" }),
        peer("lo", { capabilities: ["y"], address: "127.0.0.1:7700" }),
        peer("busy", { capabilities: ["z"], address: "127.0.0.1:7699", load: 3 }),
      ],
      want: ["lo", "lan", "busy", "sick"],
    },
    {
      name: "dead peers left out, suspects after alive ones",
      peers: [
        peer("dead", { capabilities: ["x", "y", "z"], state: "dead" }),
        peer("suspect", { capabilities: ["x"], address: "127.0.0.1:1", state: "suspect" }),
        peer("alive", { capabilities: ["y"], address: "10.0.0.1:7700", state: "alive" }),
      ],
      want: ["alive", "suspect"],
    },
    {
      name: "excluded ids and duplicate ids",
      peers: [
        peer("a", { capabilities: ["x", "y"], lastSeenMs: 1 }),
        peer("a", { capabilities: ["x"], lastSeenMs: 2 }),
        peer("b", { capabilities: ["x"], address: "127.0.0.1:1" }),
        peer("c", { capabilities: ["x", "y", "z"] }),
      ],
      exclude: ["c"],
      want: ["b", "a"],
    },
  ];
  for (const { name, peers, exclude, want } of cases) {
    assert.deepEqual(ids(fallbackChain(peers, { selfId: "me", exclude })), want, name);
  }
});

Deno.test("matchingPeers() orders by latency only when it clearly differs", () => {
  const at = (id: string, address: string, latencyMs?: number) =>
    peer(id, {
      address,
      capabilities: ["calc"],
      ...(latencyMs === undefined ? {} : { latencyMs }),
    });
  const jitter = matchingPeers([at("b", "127.0.0.1:2", 1), at("a", "127.0.0.1:1", 9)], ["calc"], {
    selfId: "me",
  });
  assert.deepEqual(jitter.map((p) => p.id), ["a", "b"], "a few ms is noise: address decides");
  const slow = matchingPeers([at("a", "127.0.0.1:1", 300), at("b", "127.0.0.1:2", 15)], ["calc"], {
    selfId: "me",
  });
  assert.deepEqual(slow.map((p) => p.id), ["b", "a"], "300 ms vs 15 ms: the fast one first");
  const unknown = matchingPeers([at("a", "127.0.0.1:1"), at("b", "127.0.0.1:2", 500)], ["calc"], {
    selfId: "me",
  });
  assert.deepEqual(unknown.map((p) => p.id), ["b", "a"], "unknown latency sorts last");
});
