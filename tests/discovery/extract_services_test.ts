import assert from "node:assert/strict";
import { extractServices, MAX_RECORDS_PER_PACKET } from "../../lib/discovery/extract_services.ts";
import { allRecords } from "../../lib/discovery/service_records.ts";
import { isValidInstancePart } from "../../lib/discovery/names.ts";
import { PROTOCOL_VERSION } from "../../lib/protocol/types.ts";
import { HOST, ID, INSTANCE, local } from "./_local.ts";
import { decode, encode, prng, roundTrip } from "./_wire.ts";

const SERVICE = "_skilllite-swarm._udp.local";
// deno-lint-ignore no-control-regex -- checking that no control character reaches a log
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const ptr = (instance: string, ttl = 120) => ({ name: SERVICE, type: "PTR", ttl, data: instance });
const srv = (instance: string, target: unknown, port: unknown, ttl = 120) => ({
  name: instance,
  type: "SRV",
  ttl,
  data: { target, port },
});
const txt = (instance: string, data: unknown, ttl = 120) => ({
  name: instance,
  type: "TXT",
  ttl,
  data,
});
const a = (host: string, data: unknown, ttl = 120) => ({
  name: host,
  type: "A",
  ttl,
  data,
  flush: true,
});

/** A compact description of what was found, for table comparisons. */
function summary(packet: unknown): string[] {
  const found = extractServices(packet);
  return [
    ...found.services.map((s) =>
      [
        `${s.id}`,
        s.ptr ? `ptr ${s.ptr.ttl}` : "",
        s.srv ? `srv ${s.srv.host}:${s.srv.port} ${s.srv.ttl}` : "",
        s.txt ? `txt ${JSON.stringify(s.txt.info)}` : "",
      ].filter((x) => x).join(" | ")
    ),
    ...found.hosts.map((h) =>
      `${h.host} ${h.addresses.map((x) => `${x.address}/${x.ttl}${x.flush ? "!" : ""}`).join(",")}`
    ),
  ];
}

Deno.test("extractServices() gathers PTR, SRV, TXT per instance and addresses per host", () => {
  const cases: { name: string; packet: unknown; want: string[]; problems?: RegExp[] }[] = [
    {
      name: "a complete swarm announcement",
      packet: { type: "response", answers: allRecords(local({ scheme: "https" }), 120) },
      want: [
        `${ID} | ptr 120 | srv ${HOST}:7700 120 | txt {"capabilities":["calc"],"scheme":"https","nodeId":"${ID}","protocolVersion":${PROTOCOL_VERSION}}`,
        `${HOST} 10.0.0.2/120!,fd00::2/120!`,
      ],
    },
    {
      name: "a SkillLite node: capabilities only, split over answers and additionals",
      packet: {
        answers: [ptr("sk._skilllite-swarm._udp.local.")],
        additionals: [
          srv("sk._skilllite-swarm._udp.local.", "sk.local.", 7700),
          txt("sk._skilllite-swarm._udp.local.", ['capabilities=["web"]']),
          a("sk.local.", "192.168.1.9"),
        ],
      },
      want: [
        'sk | ptr 120 | srv sk.local:7700 120 | txt {"capabilities":["web"],"scheme":"http"}',
        "sk.local 192.168.1.9/120!",
      ],
    },
    {
      name: "missing TXT: no txt, no problem",
      packet: { answers: [ptr(`n1.${SERVICE}`), srv(`n1.${SERVICE}`, "n1.local", 1)] },
      want: ["n1 | ptr 120 | srv n1.local:1 120"],
    },
    {
      name: "goodbyes (TTL 0) kept",
      packet: { answers: [ptr(`n1.${SERVICE}`, 0), a("n1.local", "10.0.0.2", 0)] },
      want: ["n1 | ptr 0", "n1.local 10.0.0.2/0!"],
    },
    {
      name: "names compared case-insensitively: one instance",
      packet: {
        answers: [ptr(`N1.${SERVICE}`), srv(`n1.${SERVICE.toUpperCase()}`, "n1.local", 7)],
      },
      want: ["N1 | ptr 120 | srv n1.local:7 120"],
    },
    {
      name: "a later record of the same kind replaces an earlier one",
      packet: { answers: [srv(`n1.${SERVICE}`, "a.local", 1), srv(`n1.${SERVICE}`, "b.local", 2)] },
      want: ["n1 | srv b.local:2 120"],
    },
    {
      name: "duplicate addresses merged, canonical",
      packet: {
        answers: [a("h.local", "10.0.0.2"), { ...a("h.local", "FD00:0::1"), type: "AAAA" }],
      },
      want: ["h.local 10.0.0.2/120!,fd00::1/120!"],
    },
    {
      name: "other services and types ignored silently",
      packet: {
        answers: [
          { name: "_http._tcp.local", type: "PTR", ttl: 120, data: "web._http._tcp.local" },
          srv("web._http._tcp.local", "web.local", 80),
          txt("web._http._tcp.local", ["path=/"]),
          { name: "n1.local", type: "HINFO", ttl: 120, data: { cpu: "x", os: "y" } },
          { name: `n1.${SERVICE}`, type: "NSEC", ttl: 120, data: {} },
        ],
      },
      want: [],
    },
    {
      name: "dotted instance label: identity is the first label",
      packet: { answers: [ptr(`My Node v1.2.${SERVICE}`)] },
      want: ["My Node v1 | ptr 120"],
    },
  ];
  for (const c of cases) {
    assert.deepEqual(summary(c.packet), c.want, c.name);
    if (!c.problems) assert.deepEqual(extractServices(c.packet).problems, [], c.name);
  }
});

Deno.test("extractServices() skips malformed records and says why", () => {
  const I = `n1.${SERVICE}`;
  const cases: { name: string; records: unknown[]; problem: RegExp; want?: string[] }[] = [
    { name: "record not an object", records: [42], problem: /record that is 42/ },
    { name: "null record", records: [null], problem: /record that is null/ },
    { name: "no name", records: [{ type: "PTR", ttl: 1, data: I }], problem: /name undefined/ },
    {
      name: "type not a string",
      records: [{ name: SERVICE, type: 12, data: I }],
      problem: /type 12/,
    },
    {
      name: "PTR data not a string",
      records: [{ ...ptr(I), data: { x: 1 } }],
      problem: /PTR record with data of an object/,
    },
    {
      name: "PTR to the bare service type",
      records: [ptr(SERVICE)],
      problem: /invalid instance name/,
    },
    {
      name: "PTR to another service",
      records: [ptr("x._http._tcp.local")],
      problem: /invalid instance name/,
    },
    {
      name: "PTR to an addr: id",
      records: [ptr(`addr:10.0.0.1:7700.${SERVICE}`)],
      problem: /invalid instance name/,
    },
    {
      name: "PTR to a 64-byte label",
      records: [ptr(`${"x".repeat(64)}.${SERVICE}`)],
      problem: /invalid instance name/,
    },
    { name: "PTR with negative TTL", records: [ptr(I, -1)], problem: /with TTL -1/ },
    { name: "PTR with fractional TTL", records: [ptr(I, 1.5)], problem: /PTR record .* with TTL/ },
    { name: "PTR with huge TTL", records: [ptr(I, 2 ** 32)], problem: /PTR record .* with TTL/ },
    {
      name: "PTR with string TTL",
      records: [{ ...ptr(I), ttl: "120" }],
      problem: /with TTL "120"/,
    },
    { name: "PTR in class CH", records: [{ ...ptr(I), class: "CH" }], problem: /class "CH"/ },
    { name: "SRV port 0", records: [srv(I, "n1.local", 0)], problem: /with port 0/ },
    { name: "SRV port 70000", records: [srv(I, "n1.local", 70000)], problem: /with port 70000/ },
    { name: "SRV port string", records: [srv(I, "n1.local", "7700")], problem: /with port "7700"/ },
    { name: "SRV root target", records: [srv(I, ".", 7700)], problem: /with target "."/ },
    {
      name: "SRV target with NUL",
      records: [srv(I, "a\u0000.local", 7700)],
      problem: /with target/,
    },
    { name: "SRV target empty label", records: [srv(I, "a..local", 7700)], problem: /with target/ },
    {
      name: "SRV data missing",
      records: [{ name: I, type: "SRV", ttl: 1 }],
      problem: /with target undefined/,
    },
    {
      name: "SRV of an invalid instance",
      records: [srv(`\ufffd.${SERVICE}`, "h.local", 1)],
      problem: /invalid instance name/,
    },
    { name: "TXT data a number", records: [txt(I, 5)], problem: /TXT record .* data of 5/ },
    {
      name: "TXT data an object",
      records: [txt(I, { a: 1 })],
      problem: /TXT record .* data of an object/,
    },
    {
      name: "A data not an IPv4",
      records: [a("h.local", "fd00::1")],
      problem: /A record of "h.local" with data "fd00::1"/,
    },
    { name: "A data a number", records: [a("h.local", 167772162)], problem: /with data 167772162/ },
    {
      name: "AAAA data an IPv4",
      records: [{ ...a("h.local", "10.0.0.1"), type: "AAAA" }],
      problem: /AAAA record/,
    },
    {
      name: "A data with leading zeros",
      records: [a("h.local", "010.0.0.1")],
      problem: /with data/,
    },
    { name: "A unspecified", records: [a("h.local", "0.0.0.0")], problem: /unspecified address/ },
    { name: "A multicast", records: [a("h.local", "224.0.0.251")], problem: /multicast address/ },
    {
      name: "A broadcast",
      records: [a("h.local", "255.255.255.255")],
      problem: /broadcast address/,
    },
    {
      name: "A of a host with odd bytes",
      records: [a("h\u0007.local", "10.0.0.1")],
      problem: /invalid host name/,
    },
  ];
  for (const c of cases) {
    const found = extractServices({ answers: c.records });
    assert.deepEqual(summary({ answers: c.records }), c.want ?? [], c.name);
    assert.ok(found.problems.some((p) => c.problem.test(p)), `${c.name}: ${found.problems}`);
  }
});

Deno.test("extractServices() reports odd TXT values yet keeps the peer", () => {
  const I = `n1.${SERVICE}`;
  const cases: { name: string; data: unknown; info: unknown; problem?: RegExp }[] = [
    {
      name: "bad JSON",
      data: ["capabilities=[calc"],
      info: { capabilities: [], scheme: "http" },
      problem: /invalid TXT capabilities/,
    },
    {
      name: "not an array",
      data: ['capabilities={"a":1}'],
      info: { capabilities: [], scheme: "http" },
      problem: /invalid TXT capabilities/,
    },
    {
      name: "unknown scheme",
      data: ["scheme=gopher"],
      info: { capabilities: [], scheme: "http" },
      problem: /unknown TXT scheme/,
    },
    {
      name: "scheme in capitals",
      data: ["scheme=HTTPS"],
      info: { capabilities: [], scheme: "https" },
    },
    {
      name: "bad proto",
      data: ["proto=v1"],
      info: { capabilities: [], scheme: "http" },
      problem: /invalid TXT proto/,
    },
    {
      name: "node_id differs from the instance",
      data: ["node_id=other"],
      info: { capabilities: [], scheme: "http", nodeId: "other" },
      problem: /node_id "other" differs/,
    },
    {
      name: "empty node_id ignored",
      data: ["node_id="],
      info: { capabilities: [], scheme: "http" },
    },
    {
      name: "oversized string skipped",
      data: [`capabilities=["${"x".repeat(250)}"]`],
      info: { capabilities: [], scheme: "http" },
    },
    { name: "empty TXT", data: [], info: { capabilities: [], scheme: "http" } },
    {
      name: "a single empty byte (RFC 6763 §6.1)",
      data: [new Uint8Array(0)],
      info: { capabilities: [], scheme: "http" },
    },
  ];
  for (const c of cases) {
    const found = extractServices({ answers: [txt(I, c.data)] });
    assert.deepEqual(found.services[0]?.txt?.info, c.info, c.name);
    if (c.problem) {
      assert.ok(found.problems.some((p) => c.problem!.test(p)), `${c.name}: ${found.problems}`);
    } else assert.deepEqual(found.problems, [], c.name);
  }
});

Deno.test("extractServices() ignores non-responses and non-packets", () => {
  const cases: { name: string; packet: unknown; problem: RegExp }[] = [
    { name: "undefined", packet: undefined, problem: /packet that is undefined/ },
    { name: "null", packet: null, problem: /packet that is null/ },
    { name: "string", packet: "response", problem: /packet that is "response"/ },
    { name: "bytes", packet: new Uint8Array(12), problem: /answers/ },
    {
      name: "a query",
      packet: { type: "query", answers: [ptr(INSTANCE)] },
      problem: /type "query"/,
    },
    {
      name: "rcode NXDOMAIN",
      packet: { rcode: "NXDOMAIN", answers: [ptr(INSTANCE)] },
      problem: /rcode "NXDOMAIN"/,
    },
    {
      name: "opcode UPDATE",
      packet: { opcode: "UPDATE", answers: [ptr(INSTANCE)] },
      problem: /opcode "UPDATE"/,
    },
    {
      name: "answers not a list",
      packet: { answers: { 0: ptr(INSTANCE) } },
      problem: /answers that are not a list/,
    },
    {
      name: "additionals a string",
      packet: { additionals: "x" },
      problem: /additionals that are not a list/,
    },
  ];
  for (const c of cases) {
    const found = extractServices(c.packet);
    assert.deepEqual(found.services, [], c.name);
    if (c.name !== "bytes") {
      assert.ok(found.problems.some((p) => c.problem.test(p)), `${c.name}: ${found.problems}`);
    }
  }
});

Deno.test("extractServices() never throws, even on hostile objects", () => {
  const throwing = new Proxy({}, {
    get() {
      throw new Error("boom");
    },
  });
  const badToString = {
    toString: () => {
      throw new Error("no");
    },
  };
  const cases: unknown[] = [
    throwing,
    { answers: [throwing] },
    {
      answers: [{
        name: SERVICE,
        type: "PTR",
        ttl: 1,
        get data() {
          throw badToString;
        },
      }],
    },
    {
      get answers() {
        throw new Error("boom");
      },
    },
    { answers: new Array(1e7) },
    { answers: [{ name: SERVICE, type: { toUpperCase: () => "PTR" }, ttl: 1, data: INSTANCE }] },
    { answers: [{ name: { endsWith: () => true }, type: "SRV", ttl: 1, data: {} }] },
  ];
  for (const packet of cases) {
    const found = extractServices(packet);
    assert.ok(Array.isArray(found.services) && Array.isArray(found.problems));
    assert.ok(found.problems.every((p) => typeof p === "string"));
  }
});

Deno.test("extractServices() reads real wire bytes of a swarm node and a SkillLite node", () => {
  const swarm = roundTrip({ type: "response", answers: allRecords(local(), 120) });
  assert.deepEqual(extractServices(swarm).problems, []);
  assert.equal(extractServices(swarm).services[0].txt?.info.capabilities[0], "calc");
  const skill = roundTrip({
    type: "response",
    answers: [ptr(`sk.${SERVICE}`)],
    additionals: [
      srv(`sk.${SERVICE}`, "sk.local", 7700),
      txt(`sk.${SERVICE}`, ['capabilities=["calc","web"]']),
      a("sk.local", "192.168.1.9"),
      { name: "sk.local", type: "AAAA", ttl: 120, data: "fe80::1" },
    ],
  });
  const found = extractServices(skill);
  assert.deepEqual(found.problems, []);
  assert.deepEqual(found.services[0].txt?.info, { capabilities: ["calc", "web"], scheme: "http" });
  assert.deepEqual(found.hosts[0].addresses.map((x) => x.address), ["192.168.1.9", "fe80::1"]);
});

/** Encodes `packet` with the placeholder label `zzzzzzzz` replaced by `odd` (8 bytes). */
function withOddLabel(packet: object, odd: number[]): Uint8Array {
  const bytes = encode(packet);
  const marker = new TextEncoder().encode("zzzzzzzz");
  for (let i = 0; i + marker.length <= bytes.length; i++) {
    if (marker.every((b, j) => bytes[i + j] === b)) bytes.set(odd, i);
  }
  return bytes;
}

Deno.test("extractServices() drops names with odd bytes (invalid UTF-8, NUL, controls)", () => {
  const odd: number[][] = [
    [0xff, 0xfe, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66],
    [0x61, 0x00, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67],
    [0x61, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0x66, 0x67],
    [0xc3, 0x28, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66],
  ];
  for (const bytes of odd) {
    const packet = decode(withOddLabel({
      type: "response",
      answers: [ptr(`zzzzzzzz.${SERVICE}`)],
      additionals: [
        srv(`zzzzzzzz.${SERVICE}`, "zzzzzzzz.local", 7700),
        a("zzzzzzzz.local", "10.0.0.5"),
      ],
    }, bytes));
    const found = extractServices(packet);
    assert.deepEqual(found.services, [], JSON.stringify(bytes));
    assert.deepEqual(found.hosts, [], JSON.stringify(bytes));
    assert.ok(found.problems.length >= 2);
    // Problems are printable: no raw control characters reach the log.
    for (const p of found.problems) assert.ok(!CONTROL.test(p), p);
  }
});

Deno.test("extractServices() survives every truncation and random corruption of real packets", () => {
  const sample = encode({
    type: "response",
    answers: allRecords(local({ capabilities: ["calc", "web"] }), 120),
  });
  let decoded = 0;
  let withServices = 0;
  const check = (bytes: Uint8Array) => {
    let packet: unknown;
    try {
      packet = decode(bytes);
    } catch {
      return; // multicast-dns drops what dns-packet cannot decode.
    }
    decoded++;
    const found = extractServices(packet);
    if (found.services.length > 0) withServices++;
    for (const p of found.problems) assert.ok(!CONTROL.test(p), p);
    for (const s of found.services) {
      assert.ok(isValidInstancePart(s.id));
      if (s.srv) assert.ok(Number.isInteger(s.srv.port) && s.srv.port >= 1 && s.srv.port <= 65535);
      if (s.txt) assert.ok(Array.isArray(s.txt.info.capabilities));
    }
  };
  for (let n = 0; n <= sample.length; n++) check(sample.slice(0, n));
  const random = prng(42);
  for (let round = 0; round < 2000; round++) {
    const bytes = sample.slice();
    const flips = 1 + Math.floor(random() * 8);
    for (let i = 0; i < flips; i++) {
      bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
    }
    check(bytes);
  }
  for (let round = 0; round < 500; round++) {
    const bytes = new Uint8Array(12 + Math.floor(random() * 500));
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
    bytes[2] |= 0x80; // a response
    check(bytes);
  }
  // The corpus did reach extractServices, with and without usable records.
  assert.ok(decoded > 500, `${decoded} decoded`);
  assert.ok(withServices > 100, `${withServices} with services`);
});

Deno.test("extractServices() bounds its work on a flood of 10k records", () => {
  // Each record reports being read, so the work is counted rather than timed.
  const read = new Set<number>();
  const records = Array.from({ length: 10_000 }, (_, i) =>
    new Proxy(ptr(`flood-${i}.${SERVICE}`), {
      get(target, key) {
        read.add(i);
        return Reflect.get(target, key);
      },
    }));
  const found = extractServices({ answers: records, additionals: records });
  assert.equal(read.size, MAX_RECORDS_PER_PACKET, "records looked at");
  assert.equal(found.services.length, MAX_RECORDS_PER_PACKET);
  assert.ok(found.problems.some((p) => /Ignored 18976 records beyond the first 1024/.test(p)));
  const junk = Array.from({ length: 10_000 }, (_, i) => ({ name: `x${i}`, type: "SRV", ttl: -1 }));
  const many = extractServices({
    answers: junk.map((r) => ({ ...r, name: `${r.name}.${SERVICE}` })),
  });
  assert.ok(many.problems.length <= 21, "problems are bounded");
  assert.match(many.problems.at(-1) ?? "", /^And \d+ more problems$/);
});
