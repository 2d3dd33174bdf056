import assert from "node:assert/strict";
import { browseQuery } from "../../lib/discovery/browse_query.ts";
import { PeerCache } from "../../lib/discovery/peer_cache.ts";
import { roundTrip } from "./_wire.ts";

Deno.test("browseQuery() asks PTR for the service type with the known answers given", () => {
  assert.deepEqual(browseQuery([]), {
    questions: [{ name: "_skilllite-swarm._udp.local", type: "PTR", class: "IN" }],
    answers: [],
  });
  const cache = new PeerCache();
  cache.apply({
    services: [{ instance: "n1._skilllite-swarm._udp.local", id: "n1", ptr: { ttl: 120 } }],
  }, 0);
  const known = cache.knownAnswers(1000);
  const q = browseQuery(known);
  assert.deepEqual(q.answers, known);
  assert.notEqual(q.answers, known, "a copy");
  const back = roundTrip({ type: "query", ...q });
  assert.deepEqual(
    (back.answers as { name: string; type: string; ttl: number; data: string }[])
      .map((a) => [a.name, a.type, a.ttl, a.data]),
    [["_skilllite-swarm._udp.local", "PTR", 119, "n1._skilllite-swarm._udp.local"]],
  );
  assert.equal((back.questions as { type: string }[])[0].type, "PTR");
});
