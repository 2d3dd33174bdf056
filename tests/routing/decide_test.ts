import assert from "node:assert/strict";
import { decideRoute, type RouteInput } from "../../lib/routing/decide.ts";
import { ids, peer } from "./_peer.ts";

type Want = "local" | "no_match" | { forward: string[] } | { broadcast: string[] };

function summary(input: RouteInput): Want {
  const decision = decideRoute(input);
  switch (decision.kind) {
    case "forward":
      return { forward: ids(decision.candidates) };
    case "broadcast":
      return { broadcast: ids(decision.peers) };
    default:
      return decision.kind;
  }
}

Deno.test("decideRoute() follows SkillLite's routing rules with swarm's candidate order", () => {
  const calcA = peer("a", { capabilities: ["calc"], address: "10.0.0.1:7700" });
  const calcB = peer("b", { capabilities: ["calc"], address: "10.0.0.2:7700" });
  const webC = peer("c", { capabilities: ["web"], address: "10.0.0.3:7700" });
  const bareD = peer("d", { address: "10.0.0.4:7700" });
  const self = peer("me", { capabilities: ["calc", "gpu"] });
  const cases: Array<{ name: string; input: Omit<RouteInput, "selfId">; want: Want }> = [
    // Rule 1: tags given.
    {
      name: "all tags local: local, even when peers match too",
      input: { required: ["calc"], localCapabilities: ["calc", "web"], peers: [calcA] },
      want: "local",
    },
    {
      name: "some tags local only: forward to the peers holding all",
      input: {
        required: ["calc", "web"],
        localCapabilities: ["calc"],
        peers: [calcA, peer("cw", { capabilities: ["calc", "web"] })],
      },
      want: { forward: ["cw"] },
    },
    {
      name: "port collision: two machines on 7700 are both candidates",
      input: { required: ["calc"], localCapabilities: [], peers: [calcB, calcA] },
      want: { forward: ["a", "b"] },
    },
    {
      name: "no match among known tags: broadcast to every other peer",
      input: { required: ["gpu"], localCapabilities: ["calc"], peers: [webC, calcA, bareD] },
      want: { broadcast: ["a", "c", "d"] },
    },
    {
      name: "only a peer without capabilities: broadcast to it",
      input: { required: ["gpu"], localCapabilities: [], peers: [bareD] },
      want: { broadcast: ["d"] },
    },
    {
      name: "no other peer: no match",
      input: { required: ["gpu"], localCapabilities: ["calc"], peers: [] },
      want: "no_match",
    },
    {
      name: "own row in the table does not count as a peer",
      input: { required: ["web"], localCapabilities: ["calc"], peers: [self] },
      want: "no_match",
    },
    {
      name: "matching peer excluded (already visited): broadcast to the others",
      input: { required: ["calc"], localCapabilities: [], peers: [calcA, webC], exclude: ["a"] },
      want: { broadcast: ["c"] },
    },
    {
      name: "every peer excluded: no match",
      input: { required: ["calc"], localCapabilities: [], peers: [calcA], exclude: ["a"] },
      want: "no_match",
    },
    {
      name: "dead matching peer: broadcast to the live others only, suspects last",
      input: {
        required: ["calc"],
        localCapabilities: [],
        peers: [{ ...calcA, state: "dead" }, { ...webC, state: "suspect" }, bareD],
      },
      want: { broadcast: ["d", "c"] },
    },
    {
      name: "every other peer dead: no match (nobody is asked)",
      input: {
        required: ["gpu"],
        localCapabilities: [],
        peers: [{ ...calcA, state: "dead" }, { ...bareD, state: "dead" }],
      },
      want: "no_match",
    },
    {
      name: "tags are case-sensitive locally too",
      input: { required: ["Calc"], localCapabilities: ["calc"], peers: [] },
      want: "no_match",
    },
    // Rule 2: no tags.
    {
      name: "no tags, local has a capability: local",
      input: { required: [], localCapabilities: ["calc"], peers: [webC] },
      want: "local",
    },
    {
      name: "no tags, local has none: fallback chain, most capabilities first",
      input: {
        required: [],
        localCapabilities: [],
        peers: [calcA, bareD, peer("cw", { capabilities: ["calc", "web"] })],
      },
      want: { forward: ["cw", "a"] },
    },
    {
      name: "no tags, nobody has capabilities: local",
      input: { required: [], localCapabilities: [], peers: [bareD] },
      want: "local",
    },
    {
      name: "no tags, no peers: local",
      input: { required: [], localCapabilities: [], peers: [] },
      want: "local",
    },
    {
      name: "no tags, the only capable peer dead: local",
      input: { required: [], localCapabilities: [], peers: [{ ...calcA, state: "dead" }, bareD] },
      want: "local",
    },
    {
      name: "no tags, the only capable peer excluded: local",
      input: { required: [], localCapabilities: [], peers: [calcA, bareD], exclude: ["a"] },
      want: "local",
    },
  ];
  for (const { name, input, want } of cases) {
    assert.deepEqual(summary({ ...input, selfId: "me" }), want, name);
  }
});
