/**
 * The pure parts of two nodes talking over real mDNS wire bytes: browse, answer,
 * extract, cache; known-answer suppression; re-announcement; goodbye.
 */
import assert from "node:assert/strict";
import { answerQuery } from "../../lib/discovery/answer_query.ts";
import { browseQuery } from "../../lib/discovery/browse_query.ts";
import { chooseAddress, formatAddress } from "../../lib/discovery/address_choice.ts";
import { extractServices } from "../../lib/discovery/extract_services.ts";
import { PeerCache } from "../../lib/discovery/peer_cache.ts";
import { allRecords, goodbyeRecords } from "../../lib/discovery/service_records.ts";
import type { LocalService } from "../../lib/discovery/types.ts";
import { PROTOCOL_VERSION } from "../../lib/protocol/types.ts";
import { roundTrip } from "./_wire.ts";

const A_ID = "aaaaaaaa-0000-4000-8000-000000000001";
const B: LocalService = {
  nodeId: "bbbbbbbb-0000-4000-8000-000000000002",
  port: 7701,
  scheme: "https",
  capabilities: ["calc"],
  addresses: ["10.0.0.2", "fd00::2"],
};

/** B's side: answer a query that went over the wire, sending the response back over the wire. */
function bAnswers(query: object, local: LocalService) {
  const res = answerQuery(roundTrip({ type: "query", ...query }), local, 120);
  return res && roundTrip({ type: "response", ...res });
}

Deno.test("two nodes: browse, answer, discover, suppress, update, goodbye", () => {
  const cache = new PeerCache({ selfId: A_ID });
  // A browses; B answers with PTR + SRV/TXT/A/AAAA additionals.
  const res = bAnswers(browseQuery(cache.knownAnswers(0)), B);
  assert.ok(res);
  const found = extractServices(res);
  assert.deepEqual(found.problems, []);
  const up = cache.apply(found, 0);
  assert.equal(up.length, 1);
  assert.deepEqual(up[0], {
    type: "up",
    peer: {
      id: B.nodeId,
      instance: `${B.nodeId}._skilllite-swarm._udp.local`,
      host: `${B.nodeId}.local`,
      port: 7701,
      addresses: ["10.0.0.2", "fd00::2"],
      scheme: "https",
      capabilities: ["calc"],
      swarm: true,
      protocolVersion: PROTOCOL_VERSION,
    },
  });
  const ip = chooseAddress(up[0].peer.addresses, { kind: "list", hosts: ["10.0.0.0/8"] });
  assert.equal(formatAddress(ip!, up[0].peer.port), "10.0.0.2:7701");

  // A browses again: its known answer silences B.
  assert.equal(bAnswers(browseQuery(cache.knownAnswers(1000)), B), null);
  // Past half the TTL, the PTR is no longer listed, and B answers again.
  const again = bAnswers(browseQuery(cache.knownAnswers(61_000)), B);
  assert.ok(again);
  assert.deepEqual(cache.apply(extractServices(again), 61_000), []);
  assert.equal(cache.nextExpiryMs(), 181_000, "refreshed");

  // B's capabilities change: its re-announcement updates A.
  const announced = roundTrip({
    type: "response",
    answers: allRecords({ ...B, capabilities: ["calc", "web"] }, 120),
  });
  const update = cache.apply(extractServices(announced), 62_000);
  assert.deepEqual(update.map((c) => [c.type, c.peer.capabilities]), [["update", ["calc", "web"]]]);

  // A's own announcement, looped back, is ignored.
  const self = roundTrip({ type: "response", answers: allRecords({ ...B, nodeId: A_ID }, 120) });
  assert.deepEqual(cache.apply(extractServices(self), 62_500), []);

  // B says goodbye.
  const bye = roundTrip({ type: "response", answers: goodbyeRecords(B) });
  const down = cache.apply(extractServices(bye), 63_000);
  assert.deepEqual(down.map((c) => [c.type, c.peer.id, c.reason]), [["down", B.nodeId, "goodbye"]]);
  assert.equal(cache.size, 0);
});

Deno.test("two nodes: a SkillLite peer (capabilities only) is found as plain http, not swarm", () => {
  const instance = "0e0e0e0e-1111-4222-8333-444455556666._skilllite-swarm._udp.local";
  const skilllite = roundTrip({
    type: "response",
    answers: [{ name: "_skilllite-swarm._udp.local", type: "PTR", ttl: 120, data: instance }],
    additionals: [
      {
        name: instance,
        type: "SRV",
        ttl: 120,
        flush: true,
        data: { target: "0e0e0e0e-1111-4222-8333-444455556666.local", port: 7700 },
      },
      { name: instance, type: "TXT", ttl: 120, flush: true, data: ['capabilities=["calc"]'] },
      {
        name: "0e0e0e0e-1111-4222-8333-444455556666.local",
        type: "A",
        ttl: 120,
        flush: true,
        data: "192.168.1.20",
      },
    ],
  });
  const cache = new PeerCache();
  const [change] = cache.apply(extractServices(skilllite), 0);
  assert.equal(change.type, "up");
  assert.equal(change.peer.id, "0e0e0e0e-1111-4222-8333-444455556666");
  assert.equal(change.peer.scheme, "http");
  assert.equal(change.peer.swarm, false);
  assert.deepEqual(change.peer.capabilities, ["calc"]);
  assert.equal(change.peer.protocolVersion, undefined);
});

Deno.test("two nodes: an answer missing addresses is completed by a refresh question", () => {
  const cache = new PeerCache();
  const res = bAnswers(browseQuery([]), { ...B });
  assert.ok(res);
  // Drop the address records, as if they were lost or sent in another packet.
  const partial = {
    ...res,
    additionals: (res.additionals as { type: string }[]).filter((r) =>
      r.type === "SRV" || r.type === "TXT"
    ),
  };
  assert.deepEqual(cache.apply(extractServices(partial), 0), []);
  const questions = cache.refreshQuestions(0);
  assert.deepEqual(questions.map((q) => q.type), ["A", "AAAA"]);
  const answer = bAnswers({ questions }, B);
  assert.ok(answer);
  assert.deepEqual(cache.apply(extractServices(answer), 10).map((c) => c.type), ["up"]);
});
