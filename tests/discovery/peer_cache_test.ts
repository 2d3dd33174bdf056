import assert from "node:assert/strict";
import {
  MAX_REFRESH_QUESTIONS,
  PeerCache,
  type PeerChange,
} from "../../lib/discovery/peer_cache.ts";
import type {
  AddressRecord,
  HostRecordSet,
  ServiceRecordSet,
  TxtInfo,
} from "../../lib/discovery/types.ts";

const S = "_skilllite-swarm._udp.local";
const inst = (id: string) => `${id}.${S}`;
const TXT: TxtInfo = { capabilities: ["calc"], scheme: "http" };

/** Instance records of `id`; pass `undefined` fields to leave a record out. */
function svc(
  id: string,
  fields: Partial<Omit<ServiceRecordSet, "instance" | "id">> = {},
): ServiceRecordSet {
  return { instance: inst(id), id, ...fields };
}
const ptr = (ttl = 120) => ({ ptr: { ttl } });
const srv = (host: string, port = 7700, ttl = 120) => ({ srv: { ttl, host, port } });
const txt = (info: Partial<TxtInfo> = {}, ttl = 120) => ({
  txt: { ttl, entries: {}, info: { ...TXT, ...info } },
});
const addr = (address: string, ttl = 120, flush = true): AddressRecord => ({
  address,
  family: address.includes(":") ? 6 : 4,
  ttl,
  flush,
});
const host = (name: string, ...addresses: AddressRecord[]): HostRecordSet => ({
  host: name,
  addresses,
});
/** A complete announcement of `id` at `ip`. */
const full = (id: string, ip = "10.0.0.2", ttl = 120) => ({
  services: [svc(id, { ...ptr(ttl), ...srv(`${id}.local`, 7700, ttl), ...txt({}, ttl) })],
  hosts: [host(`${id}.local`, addr(ip, ttl))],
});
/** Changes as short strings: `type id [reason] [detail]`. */
const show = (changes: PeerChange[]) =>
  changes.map((c) =>
    [
      c.type,
      c.peer.id,
      c.reason,
      `${c.peer.port}`,
      c.peer.addresses.join(","),
      c.peer.capabilities.join(","),
    ]
      .filter((x) => x !== undefined).join(" ")
  );

Deno.test("PeerCache.apply() brings a peer up once it has PTR, SRV and an address", () => {
  const cache = new PeerCache();
  const changes = cache.apply(full("n1"), 0);
  assert.deepEqual(show(changes), ["up n1 7700 10.0.0.2 calc"]);
  assert.deepEqual(cache.peers(), [{
    id: "n1",
    instance: inst("n1"),
    host: "n1.local",
    port: 7700,
    addresses: ["10.0.0.2"],
    scheme: "http",
    capabilities: ["calc"],
    swarm: false,
  }]);
});

Deno.test("PeerCache.apply() merges records arriving in separate packets", () => {
  const cases: { name: string; steps: Parameters<PeerCache["apply"]>[0][]; want: string[][] }[] = [
    {
      name: "PTR, then SRV, then address",
      steps: [
        { services: [svc("n1", ptr())] },
        { services: [svc("n1", srv("n1.local"))] },
        { services: [], hosts: [host("n1.local", addr("10.0.0.2"))] },
      ],
      want: [[], [], ["up n1 7700 10.0.0.2 "]],
    },
    {
      name: "address before any SRV points to it is ignored",
      steps: [
        { services: [], hosts: [host("n1.local", addr("10.0.0.2"))] },
        { services: [svc("n1", { ...ptr(), ...srv("n1.local") })] },
        { services: [], hosts: [host("N1.LOCAL.", addr("10.0.0.3"))] },
      ],
      want: [[], [], ["up n1 7700 10.0.0.3 "]],
    },
    {
      name: "SRV without PTR is not a peer yet",
      steps: [
        { services: [svc("n1", srv("n1.local"))], hosts: [host("n1.local", addr("10.0.0.2"))] },
        { services: [svc("n1", ptr())] },
      ],
      want: [[], ["up n1 7700 10.0.0.2 "]],
    },
    {
      name: "TXT later updates capabilities",
      steps: [
        {
          services: [svc("n1", { ...ptr(), ...srv("n1.local") })],
          hosts: [host("n1.local", addr("10.0.0.2"))],
        },
        { services: [svc("n1", txt({ capabilities: ["web"] }))] },
      ],
      want: [["up n1 7700 10.0.0.2 "], ["update n1 7700 10.0.0.2 web"]],
    },
    {
      name: "instance names compared case-insensitively",
      steps: [
        { services: [svc("n1", ptr())] },
        {
          services: [{ instance: inst("N1").toUpperCase(), id: "N1", ...srv("n1.local") }],
          hosts: [host("n1.local", addr("10.0.0.2"))],
        },
      ],
      want: [[], ["up n1 7700 10.0.0.2 "]],
    },
    {
      name: "two instances on one host",
      steps: [
        {
          services: [
            svc("a", { ...ptr(), ...srv("box.local", 1) }),
            svc("b", { ...ptr(), ...srv("box.local", 2) }),
          ],
          hosts: [host("box.local", addr("10.0.0.9"))],
        },
        { services: [], hosts: [host("box.local", addr("10.0.0.9", 0))] },
      ],
      want: [["up a 1 10.0.0.9 ", "up b 2 10.0.0.9 "], [
        "down a goodbye 1 10.0.0.9 ",
        "down b goodbye 2 10.0.0.9 ",
      ]],
    },
  ];
  for (const c of cases) {
    const cache = new PeerCache();
    c.steps.forEach((step, i) =>
      assert.deepEqual(show(cache.apply(step, i)), c.want[i], `${c.name} #${i}`)
    );
  }
});

Deno.test("PeerCache.apply() reports updates only when the description changes", () => {
  const cases: { name: string; next: Parameters<PeerCache["apply"]>[0]; want: string[] }[] = [
    { name: "same records again (refresh)", next: full("n1"), want: [] },
    {
      name: "port changed",
      next: { services: [svc("n1", srv("n1.local", 7701))] },
      want: ["update n1 7701 10.0.0.2 calc"],
    },
    {
      name: "address added",
      next: { services: [], hosts: [host("n1.local", addr("fd00::2"))] },
      want: ["update n1 7700 10.0.0.2,fd00::2 calc"],
    },
    {
      name: "capabilities changed",
      next: { services: [svc("n1", txt({ capabilities: ["calc", "web"] }))] },
      want: ["update n1 7700 10.0.0.2 calc,web"],
    },
    {
      name: "scheme changed",
      next: { services: [svc("n1", txt({ scheme: "https" }))] },
      want: ["update n1 7700 10.0.0.2 calc"],
    },
    {
      name: "node id appeared (now swarm)",
      next: { services: [svc("n1", txt({ nodeId: "n1", protocolVersion: 1 }))] },
      want: ["update n1 7700 10.0.0.2 calc"],
    },
    {
      name: "SRV moved to an unknown host: down, no reason",
      next: { services: [svc("n1", srv("other.local"))] },
      want: ["down n1 7700 10.0.0.2 calc"],
    },
  ];
  for (const c of cases) {
    const cache = new PeerCache();
    cache.apply(full("n1"), 0);
    assert.deepEqual(show(cache.apply(c.next, 1000)), c.want, c.name);
  }
});

Deno.test("PeerCache.apply() handles goodbyes (TTL 0) at once", () => {
  const cases: {
    name: string;
    bye: Parameters<PeerCache["apply"]>[0];
    want: string[];
    size: number;
  }[] = [
    {
      name: "PTR goodbye",
      bye: { services: [svc("n1", ptr(0))] },
      want: ["down n1 goodbye 7700 10.0.0.2 calc"],
      size: 1,
    },
    {
      name: "SRV goodbye",
      bye: { services: [svc("n1", srv("n1.local", 7700, 0))] },
      want: ["down n1 goodbye 7700 10.0.0.2 calc"],
      size: 1,
    },
    {
      name: "last address goodbye",
      bye: { services: [], hosts: [host("n1.local", addr("10.0.0.2", 0))] },
      want: ["down n1 goodbye 7700 10.0.0.2 calc"],
      size: 1,
    },
    {
      name: "TXT goodbye: capabilities gone",
      bye: { services: [svc("n1", txt({}, 0))] },
      want: ["update n1 7700 10.0.0.2 "],
      size: 1,
    },
    {
      name: "everything",
      bye: full("n1", "10.0.0.2", 0),
      want: ["down n1 goodbye 7700 10.0.0.2 calc"],
      size: 0,
    },
    { name: "goodbye of an unknown instance", bye: full("zz", "10.0.0.3", 0), want: [], size: 1 },
    {
      name: "goodbye of an unknown address",
      bye: { services: [], hosts: [host("n1.local", addr("10.0.0.3", 0))] },
      want: [],
      size: 1,
    },
  ];
  for (const c of cases) {
    const cache = new PeerCache();
    cache.apply(full("n1"), 0);
    assert.deepEqual(show(cache.apply(c.bye, 5000)), c.want, c.name);
    assert.equal(cache.size, c.size, c.name);
  }
  const two = new PeerCache();
  two.apply({ ...full("n1"), hosts: [host("n1.local", addr("10.0.0.2"), addr("10.0.0.3"))] }, 0);
  assert.deepEqual(
    show(two.apply({ services: [], hosts: [host("n1.local", addr("10.0.0.2", 0))] }, 1)),
    ["update n1 7700 10.0.0.3 calc"],
    "one of two addresses gone",
  );
});

Deno.test("PeerCache.expire() removes records past their TTL", () => {
  const cache = new PeerCache();
  cache.apply({
    services: [svc("n1", { ...ptr(120), ...srv("n1.local", 7700, 120), ...txt({}, 30) })],
    hosts: [host("n1.local", addr("10.0.0.2", 120), addr("10.0.0.3", 60))],
  }, 1000);
  assert.equal(cache.nextExpiryMs(), 31_000);
  assert.deepEqual(cache.expire(30_999), []);
  assert.deepEqual(show(cache.expire(31_000)), ["update n1 7700 10.0.0.2,10.0.0.3 "]);
  assert.equal(cache.nextExpiryMs(), 61_000);
  assert.deepEqual(show(cache.expire(61_000)), ["update n1 7700 10.0.0.2 "]);
  assert.deepEqual(show(cache.expire(121_000)), ["down n1 expired 7700 10.0.0.2 "]);
  assert.equal(cache.size, 0);
  assert.equal(cache.nextExpiryMs(), null);
  assert.deepEqual(cache.expire(10_000_000), []);
});

Deno.test("PeerCache.expire() downs a peer when its PTR, SRV or last address lapses", () => {
  const cases: { name: string; ttls: [number, number, number]; at: number }[] = [
    { name: "PTR first", ttls: [10, 100, 100], at: 10_000 },
    { name: "SRV first", ttls: [100, 10, 100], at: 10_000 },
    { name: "address first", ttls: [100, 100, 10], at: 10_000 },
  ];
  for (const c of cases) {
    const cache = new PeerCache();
    const [p, s, a] = c.ttls;
    cache.apply({
      services: [svc("n1", { ...ptr(p), ...srv("n1.local", 7700, s) })],
      hosts: [host("n1.local", addr("10.0.0.2", a))],
    }, 0);
    assert.deepEqual(cache.expire(c.at - 1), [], c.name);
    assert.deepEqual(show(cache.expire(c.at)), ["down n1 expired 7700 10.0.0.2 "], c.name);
  }
});

Deno.test("PeerCache.apply() expires stale records first, reporting those changes first", () => {
  const cache = new PeerCache();
  cache.apply(full("old", "10.0.0.1", 10), 0);
  assert.deepEqual(show(cache.apply(full("new", "10.0.0.2"), 10_000)), [
    "down old expired 7700 10.0.0.1 calc",
    "up new 7700 10.0.0.2 calc",
  ]);
});

Deno.test("PeerCache caps TTLs so a huge one still lapses", () => {
  const cache = new PeerCache({ maxTtlS: 100 });
  cache.apply(full("n1", "10.0.0.2", 0xffffffff), 0);
  assert.equal(cache.nextExpiryMs(), 100_000);
  assert.equal(show(cache.expire(100_000))[0], "down n1 expired 7700 10.0.0.2 calc");
});

Deno.test("PeerCache.apply() honours the cache-flush bit on addresses after one second", () => {
  const cases: { name: string; at: number; flush: boolean; want: string[] }[] = [
    {
      name: "flush after 5 s: old address lapses a second later",
      at: 5000,
      flush: true,
      want: ["update n1 7700 10.0.0.9 calc"],
    },
    { name: "no flush bit: both kept", at: 5000, flush: false, want: [] },
    { name: "flush within a second of the old record: kept", at: 500, flush: true, want: [] },
  ];
  for (const c of cases) {
    const cache = new PeerCache();
    cache.apply({
      ...full("n1", "10.0.0.2"),
      hosts: [host("n1.local", addr("10.0.0.2"), addr("fd00::2"))],
    }, 0);
    cache.apply({ services: [], hosts: [host("n1.local", addr("10.0.0.9", 120, c.flush))] }, c.at);
    const changes = show(cache.expire(c.at + 1000)).map((s) => s.replace(",fd00::2", ""));
    assert.deepEqual(changes, c.want, c.name);
    assert.ok(cache.peers()[0].addresses.includes("fd00::2"), `${c.name}: other family untouched`);
  }
});

Deno.test("PeerCache ignores its own instance, whatever the case", () => {
  const cache = new PeerCache({ selfId: "Me" });
  assert.deepEqual(cache.apply(full("me"), 0), []);
  assert.deepEqual(cache.apply(full("ME"), 0), []);
  assert.equal(cache.size, 0);
  assert.equal(show(cache.apply(full("other"), 0))[0], "up other 7700 10.0.0.2 calc");
});

Deno.test("PeerCache stays bounded under a flood of 10k instances", () => {
  const cache = new PeerCache({ maxInstances: 1024 });
  cache.apply(full("real"), 0);
  const flood = Array.from({ length: 10_000 }, (_, i) => svc(`flood-${i}`, ptr()));
  for (let i = 0; i < 10_000; i += 1000) cache.apply({ services: flood.slice(i, i + 1000) }, 1);
  assert.equal(cache.size, 1024);
  assert.deepEqual(cache.peers().map((p) => p.id), ["real"], "a complete peer is never evicted");
  assert.equal(
    show(cache.apply(full("late"), 2))[0],
    "up late 7700 10.0.0.2 calc",
    "a new peer still joins",
  );
  assert.equal(cache.droppedCount, 0);

  const small = new PeerCache({ maxInstances: 2 });
  small.apply(full("a"), 0);
  small.apply(full("b"), 0);
  assert.deepEqual(small.apply(full("c"), 0), []);
  assert.equal(small.droppedCount, 1);
  assert.deepEqual(small.peers().map((p) => p.id), ["a", "b"]);
});

Deno.test("PeerCache bounds addresses per host", () => {
  const cache = new PeerCache({ maxAddressesPerHost: 4 });
  const many = Array.from({ length: 100 }, (_, i) => addr(`10.0.1.${i + 1}`));
  cache.apply({ services: full("n1").services, hosts: [host("n1.local", ...many)] }, 0);
  assert.equal(cache.peers()[0].addresses.length, 4);
});

Deno.test("PeerCache.knownAnswers() lists PTRs with more than half their TTL left", () => {
  const cache = new PeerCache();
  cache.apply(full("a", "10.0.0.2", 120), 0);
  const known = (now: number) => cache.knownAnswers(now).map((k) => `${k.data} ${k.ttl}`);
  assert.deepEqual(known(0), [`${inst("a")} 120`]);
  cache.apply(full("b", "10.0.0.3", 120), 30_000);
  assert.deepEqual(
    known(0),
    [`${inst("b")} 120`, `${inst("a")} 120`],
    "a clock stepping back: TTL capped",
  );
  assert.deepEqual(known(30_000), [`${inst("b")} 120`, `${inst("a")} 90`]);
  assert.deepEqual(known(59_999), [`${inst("b")} 90`, `${inst("a")} 60`]);
  assert.deepEqual(known(60_000), [`${inst("b")} 90`], "exactly half left: not listed");
  assert.deepEqual(known(90_000), []);
  const k = cache.knownAnswers(30_000)[0];
  assert.deepEqual({ ...k, data: "" }, { name: S, type: "PTR", class: "IN", ttl: 120, data: "" });
});

Deno.test("PeerCache.knownAnswers() returns at most maxKnownAnswers, longest-lived first", () => {
  const cache = new PeerCache({ maxKnownAnswers: 3 });
  for (let i = 0; i < 10; i++) cache.apply(full(`n${i}`, `10.0.0.${i + 1}`), i * 1000);
  assert.deepEqual(cache.knownAnswers(10_000).map((k) => k.data), [
    inst("n9"),
    inst("n8"),
    inst("n7"),
  ]);
});

Deno.test("PeerCache.refreshQuestions() asks for missing records, backing off", () => {
  const cache = new PeerCache();
  cache.apply({ services: [svc("n1", ptr(4500))] }, 0);
  const q = (now: number) => cache.refreshQuestions(now).map((x) => `${x.name} ${x.type}`);
  assert.deepEqual(q(0), [`${inst("n1")} SRV`, `${inst("n1")} TXT`]);
  assert.deepEqual(q(500), []);
  assert.equal(cache.nextRefreshMs(), 1000);
  assert.deepEqual(q(1000), [`${inst("n1")} SRV`, `${inst("n1")} TXT`]);
  assert.deepEqual(q(2999), []);
  assert.deepEqual(q(3000), [`${inst("n1")} SRV`, `${inst("n1")} TXT`]);
  assert.deepEqual(q(7000), [`${inst("n1")} SRV`, `${inst("n1")} TXT`]);
  assert.deepEqual(q(60_000), [], "gives up after four asks");
  // News resets the back-off: the SRV arrives, now its host's addresses are missing.
  cache.apply({ services: [svc("n1", srv("n1.local", 7700, 120))] }, 61_000);
  assert.deepEqual(q(61_000), ["n1.local A", "n1.local AAAA"]);
  cache.apply({ services: [], hosts: [host("n1.local", addr("10.0.0.2"))] }, 61_100);
  assert.deepEqual(q(61_100), []);
});

Deno.test("PeerCache.refreshQuestions() re-asks SRV, TXT and addresses at 80-95 % of their TTL", () => {
  // An avahi-like peer: PTR and TXT for 4500 s, SRV and A for 120 s. The PTR stays a
  // known answer long after the SRV and A would lapse, so browsing alone won't refresh them.
  const cache = new PeerCache();
  cache.apply({
    services: [svc("av", { ...ptr(4500), ...srv("av.local", 7700, 120), ...txt({}, 4500) })],
    hosts: [host("av.local", addr("10.0.0.7", 120))],
  }, 0);
  const q = (now: number) => cache.refreshQuestions(now).map((x) => `${x.name} ${x.type}`);
  assert.equal(cache.nextRefreshMs(), 96_000);
  assert.deepEqual(q(95_999), []);
  assert.deepEqual(q(96_000), [`${inst("av")} SRV`, "av.local A"]);
  assert.deepEqual(q(96_001), []);
  assert.equal(cache.nextRefreshMs(), 102_000);
  assert.deepEqual(q(110_000), [`${inst("av")} SRV`, "av.local A"], "missed marks are asked once");
  assert.deepEqual(q(114_000), [`${inst("av")} SRV`, "av.local A"]);
  assert.equal(cache.nextRefreshMs(), 3_600_000, "then only the TXT at 80 % of 4500 s");
  // The answers arrive: the schedule starts over.
  cache.apply({
    services: [svc("av", srv("av.local", 7700, 120))],
    hosts: [host("av.local", addr("10.0.0.7", 120))],
  }, 115_000);
  assert.equal(cache.nextRefreshMs(), 211_000);
  assert.equal(cache.expire(120_000).length, 0, "refreshed in time: no down");
});

Deno.test("PeerCache.refreshQuestions() returns a bounded batch; the rest stay due", () => {
  const cache = new PeerCache();
  const ids = Array.from({ length: 100 }, (_, i) => `p${i}`);
  cache.apply({ services: ids.map((id) => svc(id, ptr())) }, 0);
  const asked = new Set<string>();
  for (let round = 0; round < 20; round++) {
    const batch = cache.refreshQuestions(0);
    assert.ok(batch.length <= MAX_REFRESH_QUESTIONS);
    for (const q of batch) asked.add(`${q.name} ${q.type}`);
  }
  assert.equal(asked.size, 200, "every instance's SRV and TXT asked once, over several batches");
  assert.deepEqual(cache.refreshQuestions(0), []);
  assert.equal(cache.nextRefreshMs(), 1000);
});

Deno.test("PeerCache refuses non-positive limits", () => {
  for (
    const options of [{ maxInstances: 0 }, { maxTtlS: -1 }, { maxAddressesPerHost: 1.5 }, {
      maxKnownAnswers: NaN,
    }]
  ) {
    assert.throws(() => new PeerCache(options), RangeError, JSON.stringify(options));
  }
});
