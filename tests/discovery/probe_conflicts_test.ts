import assert from "node:assert/strict";
import { probeConflicts } from "../../lib/discovery/probe_conflicts.ts";
import { allRecords, serviceRecords } from "../../lib/discovery/service_records.ts";
import { HOST, INSTANCE, local } from "./_local.ts";
import { roundTrip } from "./_wire.ts";

Deno.test("probeConflicts() finds another owner of our names, not our own echo", () => {
  const r = serviceRecords(local(), 120);
  const cases: { name: string; packet: unknown; want: number }[] = [
    {
      name: "our own records looped back",
      packet: roundTrip({ type: "response", answers: allRecords(local(), 120) }),
      want: 0,
    },
    { name: "our records with another TTL", packet: { answers: [{ ...r.srv, ttl: 5 }] }, want: 0 },
    {
      name: "other A for our host",
      packet: { answers: [{ ...r.addresses[0], data: "10.9.9.9" }] },
      want: 1,
    },
    {
      name: "other SRV port, name in capitals",
      packet: {
        answers: [{ ...r.srv, name: INSTANCE.toUpperCase(), data: { target: HOST, port: 1 } }],
      },
      want: 1,
    },
    {
      name: "other TXT in additionals",
      packet: { additionals: [{ ...r.txt, data: ["capabilities=[]"] }] },
      want: 1,
    },
    {
      name: "goodbye of another owner",
      packet: { answers: [{ ...r.addresses[0], data: "10.9.9.9", ttl: 0 }] },
      want: 0,
    },
    {
      name: "shared PTR is no conflict",
      packet: { answers: [{ ...r.ptr, data: "x._skilllite-swarm._udp.local" }] },
      want: 0,
    },
    {
      name: "other names",
      packet: { answers: [{ name: "x.local", type: "A", ttl: 1, data: "10.0.0.1" }] },
      want: 0,
    },
    {
      name: "a query is not an answer",
      packet: { type: "query", answers: [{ ...r.addresses[0], data: "10.9.9.9" }] },
      want: 0,
    },
    {
      name: "garbage",
      packet: { answers: [null, 3, { name: HOST }, { name: HOST, type: "A", ttl: 1, data: 5 }] },
      want: 1,
    },
    { name: "not a packet", packet: "x", want: 0 },
  ];
  for (const c of cases) assert.equal(probeConflicts(c.packet, local()).length, c.want, c.name);
  assert.match(
    probeConflicts({ answers: [{ ...r.addresses[0], data: "10.9.9.9" }] }, local())[0],
    /^A record of ".*\.local" with other data$/,
  );
});
