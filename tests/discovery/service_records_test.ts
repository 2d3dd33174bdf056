import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  allRecords,
  goodbyeRecords,
  probeQuery,
  serviceRecords,
} from "../../lib/discovery/service_records.ts";
import { PROTOCOL_VERSION } from "../../lib/protocol/types.ts";
import { HOST, ID, INSTANCE, local } from "./_local.ts";
import { encode, roundTrip } from "./_wire.ts";

const txtText = (data: (string | Uint8Array)[]) =>
  data.map((d) => typeof d === "string" ? d : new TextDecoder().decode(d));

Deno.test("serviceRecords() builds PTR, SRV, TXT and A/AAAA as DESIGN.md §3 says", () => {
  const r = serviceRecords(local({ scheme: "https", capabilities: ["calc", "web"] }), 120);
  assert.deepEqual(r.ptr, {
    name: "_skilllite-swarm._udp.local",
    type: "PTR",
    class: "IN",
    ttl: 120,
    flush: false,
    data: INSTANCE,
  });
  assert.deepEqual(r.srv, {
    name: INSTANCE,
    type: "SRV",
    class: "IN",
    ttl: 120,
    flush: true,
    data: { target: HOST, port: 7700, priority: 0, weight: 0 },
  });
  assert.deepEqual(r.txt, {
    name: INSTANCE,
    type: "TXT",
    class: "IN",
    ttl: 120,
    flush: true,
    data: [
      'capabilities=["calc","web"]',
      "scheme=https",
      `proto=${PROTOCOL_VERSION}`,
      `node_id=${ID}`,
    ],
  });
  assert.deepEqual(r.addresses, [
    { name: HOST, type: "A", class: "IN", ttl: 120, flush: true, data: "10.0.0.2" },
    { name: HOST, type: "AAAA", class: "IN", ttl: 120, flush: true, data: "fd00::2" },
  ]);
  assert.deepEqual(r.omittedCapabilities, []);
});

Deno.test("serviceRecords() normalises addresses and capabilities", () => {
  const cases: {
    name: string;
    addresses: string[];
    capabilities?: string[];
    want: string[];
    wantTxt0?: string;
  }[] = [
    { name: "none", addresses: [], want: [] },
    { name: "duplicates removed", addresses: ["10.0.0.2", "10.0.0.2"], want: ["A 10.0.0.2"] },
    {
      name: "IPv6 canonical and deduplicated",
      addresses: ["FD00:0:0::2", "fd00::2"],
      want: ["AAAA fd00::2"],
    },
    { name: "IPv6 zone dropped", addresses: ["fe80::1%eth0"], want: ["AAAA fe80::1"] },
    {
      name: "order kept",
      addresses: ["fd00::2", "192.168.1.2", "10.0.0.2"],
      want: ["AAAA fd00::2", "A 192.168.1.2", "A 10.0.0.2"],
    },
    {
      name: "capabilities deduplicated",
      addresses: [],
      capabilities: ["a", "b", "a"],
      want: [],
      wantTxt0: 'capabilities=["a","b"]',
    },
    {
      name: "no capabilities",
      addresses: [],
      capabilities: [],
      want: [],
      wantTxt0: "capabilities=[]",
    },
  ];
  for (const c of cases) {
    const r = serviceRecords(local({ addresses: c.addresses, capabilities: c.capabilities }), 60);
    assert.deepEqual(r.addresses.map((a) => `${a.type} ${a.data}`), c.want, c.name);
    if (c.wantTxt0) assert.equal(r.txt.data[0], c.wantTxt0, c.name);
  }
});

Deno.test("serviceRecords() keeps each TXT string within 255 bytes, reporting tags left out", () => {
  const caps = Array.from({ length: 40 }, (_, i) => `capability-${i}`);
  const r = serviceRecords(local({ capabilities: [...caps, "é".repeat(200), "x"] }), 120);
  for (const s of r.txt.data) assert.ok(new TextEncoder().encode(txtText([s])[0]).length <= 255);
  const kept = JSON.parse(txtText(r.txt.data)[0].slice("capabilities=".length)) as string[];
  assert.deepEqual(
    [...kept, ...r.omittedCapabilities].sort(),
    [...caps, "é".repeat(200), "x"].sort(),
  );
  assert.ok(r.omittedCapabilities.includes("é".repeat(200)));
  assert.ok(kept.includes("x"), "a short tag after a long one still fits");
  // Still encodable (an oversized string would corrupt the packet).
  const back = roundTrip({ type: "response", answers: [r.txt] });
  const data = (back.answers as { data: Buffer[] }[])[0].data;
  assert.equal(data[0].toString(), txtText(r.txt.data)[0]);
});

Deno.test("serviceRecords() refuses invalid input with RangeError", () => {
  const cases: { name: string; fields: Parameters<typeof local>[0]; ttl?: number; msg: RegExp }[] =
    [
      { name: "dotted node id", fields: { nodeId: "a.b" }, msg: /nodeId/ },
      { name: "empty node id", fields: { nodeId: "" }, msg: /nodeId/ },
      { name: "64-byte node id", fields: { nodeId: "x".repeat(64) }, msg: /nodeId/ },
      { name: "control char in node id", fields: { nodeId: "a\nb" }, msg: /nodeId/ },
      { name: "port 0", fields: { port: 0 }, msg: /port/ },
      { name: "port 65536", fields: { port: 65536 }, msg: /port/ },
      { name: "fractional port", fields: { port: 77.5 }, msg: /port/ },
      { name: "host name address", fields: { addresses: ["example.local"] }, msg: /not an IP/ },
      { name: "bad IPv4", fields: { addresses: ["10.0.0.256"] }, msg: /not an IP/ },
      { name: "negative TTL", fields: {}, ttl: -1, msg: /ttlS/ },
      { name: "fractional TTL", fields: {}, ttl: 1.5, msg: /ttlS/ },
      { name: "NaN TTL", fields: {}, ttl: NaN, msg: /ttlS/ },
    ];
  for (const c of cases) {
    assert.throws(() => serviceRecords(local(c.fields), c.ttl ?? 120), {
      name: "RangeError",
      message: c.msg,
    }, c.name);
  }
});

Deno.test("allRecords() lists PTR, SRV, TXT then addresses; goodbyeRecords() the same with TTL 0", () => {
  const all = allRecords(local(), 120);
  assert.deepEqual(all.map((r) => r.type), ["PTR", "SRV", "TXT", "A", "AAAA"]);
  assert.ok(all.every((r) => r.ttl === 120));
  assert.deepEqual(all.map((r) => r.flush), [false, true, true, true, true]);
  const bye = goodbyeRecords(local());
  assert.deepEqual(bye.map((r) => [r.type, r.ttl]), all.map((r) => [r.type, 0]));
  assert.deepEqual(bye.map((r) => r.data), all.map((r) => r.data));
});

Deno.test("allRecords() survives the wire: dns-packet encodes and decodes it unchanged", () => {
  const sent = allRecords(local({ capabilities: ["calc", "ünïcode"] }), 120);
  const back = roundTrip({ type: "response", answers: sent }).answers as Record<string, unknown>[];
  assert.equal(back.length, sent.length);
  for (let i = 0; i < sent.length; i++) {
    const want = sent[i];
    const got = back[i];
    assert.equal(got.name, want.name);
    assert.equal(got.type, want.type);
    assert.equal(got.ttl, want.ttl);
    assert.equal(got.flush, want.flush);
    if (want.type === "TXT") {
      assert.deepEqual((got.data as Buffer[]).map((b) => b.toString()), txtText(want.data));
    } else if (want.type === "SRV") {
      assert.equal((got.data as { port: number }).port, 7700);
      assert.equal((got.data as { target: string }).target, HOST);
    } else {
      assert.equal(got.data, want.data);
    }
  }
});

Deno.test("serviceRecords() returns fresh objects on each call", () => {
  const a = serviceRecords(local(), 120);
  encode({ type: "response", answers: [a.txt] });
  const b = serviceRecords(local(), 120);
  assert.notEqual(a.txt.data, b.txt.data);
  assert.equal(typeof b.txt.data[0], "string");
});

Deno.test("probeQuery() asks ANY for the instance and host names, proposing SRV, TXT, A/AAAA", () => {
  const probe = probeQuery(local(), 120);
  assert.deepEqual(probe.questions, [
    { name: INSTANCE, type: "ANY", class: "IN" },
    { name: HOST, type: "ANY", class: "IN" },
  ]);
  assert.deepEqual(probe.authorities.map((r) => r.type), ["SRV", "TXT", "A", "AAAA"]);
  const back = roundTrip({ type: "query", ...probe });
  assert.equal((back.questions as unknown[]).length, 2);
  assert.equal((back.authorities as unknown[]).length, 4);
});
