import assert from "node:assert/strict";
import { answerQuery } from "../../lib/discovery/answer_query.ts";
import { serviceRecords } from "../../lib/discovery/service_records.ts";
import type { Answer } from "../../lib/discovery/_dns_types.ts";
import { HOST, INSTANCE, local } from "./_local.ts";
import { decode, encode, roundTrip } from "./_wire.ts";

const SERVICE = "_skilllite-swarm._udp.local";
const describe = (records: Answer[]) =>
  records.map((r) => `${r.type} ${typeof r.data === "string" ? r.data : r.name}`);

Deno.test("answerQuery() answers questions about this node, with RFC 6763 §12 additionals", () => {
  const cases: {
    name: string;
    questions: { name: string; type: string; class?: string }[];
    answers: string[];
    additionals: string[];
  }[] = [
    {
      name: "PTR for the service type",
      questions: [{ name: SERVICE, type: "PTR" }],
      answers: [`PTR ${INSTANCE}`],
      additionals: [`SRV ${INSTANCE}`, `TXT ${INSTANCE}`, "A 10.0.0.2", "AAAA fd00::2"],
    },
    {
      name: "ANY for the service type",
      questions: [{ name: SERVICE, type: "ANY" }],
      answers: [`PTR ${INSTANCE}`],
      additionals: [`SRV ${INSTANCE}`, `TXT ${INSTANCE}`, "A 10.0.0.2", "AAAA fd00::2"],
    },
    {
      name: "service type in other case, trailing dot",
      questions: [{ name: "_SkillLite-Swarm._UDP.local.", type: "ptr" }],
      answers: [`PTR ${INSTANCE}`],
      additionals: [`SRV ${INSTANCE}`, `TXT ${INSTANCE}`, "A 10.0.0.2", "AAAA fd00::2"],
    },
    {
      name: "DNS-SD meta query",
      questions: [{ name: "_services._dns-sd._udp.local", type: "PTR" }],
      answers: [`PTR ${SERVICE}`],
      additionals: [],
    },
    {
      name: "SRV for the instance",
      questions: [{ name: INSTANCE, type: "SRV" }],
      answers: [`SRV ${INSTANCE}`],
      additionals: ["A 10.0.0.2", "AAAA fd00::2"],
    },
    {
      name: "TXT for the instance",
      questions: [{ name: INSTANCE, type: "TXT" }],
      answers: [`TXT ${INSTANCE}`],
      additionals: [],
    },
    {
      name: "ANY for the instance",
      questions: [{ name: INSTANCE.toUpperCase(), type: "ANY" }],
      answers: [`SRV ${INSTANCE}`, `TXT ${INSTANCE}`],
      additionals: ["A 10.0.0.2", "AAAA fd00::2"],
    },
    {
      name: "A for the host",
      questions: [{ name: HOST, type: "A" }],
      answers: ["A 10.0.0.2"],
      additionals: ["AAAA fd00::2"],
    },
    {
      name: "AAAA for the host",
      questions: [{ name: HOST, type: "AAAA" }],
      answers: ["AAAA fd00::2"],
      additionals: ["A 10.0.0.2"],
    },
    {
      name: "ANY for the host",
      questions: [{ name: HOST.toUpperCase(), type: "ANY" }],
      answers: ["A 10.0.0.2", "AAAA fd00::2"],
      additionals: [],
    },
    {
      name: "unicast-response bit (dns-packet's class UNKNOWN_32769)",
      questions: [{ name: HOST, type: "A", class: "UNKNOWN_32769" }],
      answers: ["A 10.0.0.2"],
      additionals: ["AAAA fd00::2"],
    },
    {
      name: "several questions: union, no duplicates, answers not repeated as additionals",
      questions: [
        { name: SERVICE, type: "PTR" },
        { name: INSTANCE, type: "SRV" },
        { name: SERVICE, type: "PTR" },
      ],
      answers: [`PTR ${INSTANCE}`, `SRV ${INSTANCE}`],
      additionals: [`TXT ${INSTANCE}`, "A 10.0.0.2", "AAAA fd00::2"],
    },
    {
      name: "other questions in the same query ignored",
      questions: [{ name: "_http._tcp.local", type: "PTR" }, { name: HOST, type: "A" }],
      answers: ["A 10.0.0.2"],
      additionals: ["AAAA fd00::2"],
    },
  ];
  for (const c of cases) {
    const res = answerQuery({ questions: c.questions }, local(), 120);
    assert.ok(res, c.name);
    assert.deepEqual(describe(res.answers), c.answers, c.name);
    assert.deepEqual(describe(res.additionals), c.additionals, c.name);
    assert.ok([...res.answers, ...res.additionals].every((r) => r.ttl === 120), c.name);
  }
});

Deno.test("answerQuery() returns null for questions it owes nothing to, and malformed queries", () => {
  const cases: { name: string; query: unknown }[] = [
    { name: "other service", query: { questions: [{ name: "_http._tcp.local", type: "PTR" }] } },
    { name: "other instance", query: { questions: [{ name: `x.${SERVICE}`, type: "SRV" }] } },
    { name: "other host", query: { questions: [{ name: "other.local", type: "A" }] } },
    { name: "SRV asked of the host", query: { questions: [{ name: HOST, type: "SRV" }] } },
    { name: "A asked of the instance", query: { questions: [{ name: INSTANCE, type: "A" }] } },
    {
      name: "TXT asked of the service type",
      query: { questions: [{ name: SERVICE, type: "TXT" }] },
    },
    { name: "class CH", query: { questions: [{ name: HOST, type: "A", class: "CH" }] } },
    { name: "no questions", query: { questions: [] } },
    { name: "questions not a list", query: { questions: "PTR" } },
    {
      name: "questions of wrong kinds",
      query: { questions: [null, 1, "x", { name: 1, type: "A" }] },
    },
    { name: "null query", query: null },
    { name: "string query", query: "query" },
    { name: "undefined query", query: undefined },
  ];
  for (const c of cases) assert.equal(answerQuery(c.query, local(), 120), null, c.name);
});

Deno.test("answerQuery() with no IPv6 address: AAAA question unanswered, A additional omitted", () => {
  const v4only = local({ addresses: ["10.0.0.2"] });
  assert.equal(answerQuery({ questions: [{ name: HOST, type: "AAAA" }] }, v4only, 120), null);
  const res = answerQuery({ questions: [{ name: HOST, type: "A" }] }, v4only, 120);
  assert.deepEqual(describe(res?.additionals ?? []), []);
});

Deno.test("answerQuery() suppresses answers the querier knows with at least half the TTL", () => {
  const r = serviceRecords(local(), 120);
  const ptrQuestion = [{ name: SERVICE, type: "PTR" }];
  const withPtr = (ttl: number, fields: Partial<Answer> = {}) => ({
    questions: ptrQuestion,
    answers: [{ ...r.ptr, ttl, ...fields }],
  });
  const cases: { name: string; query: unknown; want: "answered" | "suppressed" }[] = [
    { name: "known with full TTL", query: withPtr(120), want: "suppressed" },
    { name: "known with exactly half", query: withPtr(60), want: "suppressed" },
    { name: "known with less than half", query: withPtr(59), want: "answered" },
    { name: "known with TTL 0", query: withPtr(0), want: "answered" },
    {
      name: "known, name in other case",
      query: withPtr(120, { name: SERVICE.toUpperCase(), data: INSTANCE.toUpperCase() }),
      want: "suppressed",
    },
    {
      name: "another instance known",
      query: withPtr(120, { data: `other.${SERVICE}` }),
      want: "answered",
    },
    { name: "known answer without a TTL", query: withPtr(NaN), want: "answered" },
    {
      name: "known answers not a list",
      query: { questions: ptrQuestion, answers: "x" },
      want: "answered",
    },
    {
      name: "known answers of wrong kinds",
      query: { questions: ptrQuestion, answers: [null, 1, { type: "PTR" }] },
      want: "answered",
    },
  ];
  for (const c of cases) {
    const res = answerQuery(c.query, local(), 120);
    assert.equal(res === null ? "suppressed" : "answered", c.want, c.name);
  }
});

Deno.test("answerQuery() suppression compares data: a stale known SRV, TXT or A is answered", () => {
  const r = serviceRecords(local(), 120);
  const q = (question: { name: string; type: string }, known: unknown[]) =>
    answerQuery({ questions: [question], answers: known }, local(), 120);
  assert.equal(q({ name: INSTANCE, type: "SRV" }, [r.srv]), null);
  assert.ok(q({ name: INSTANCE, type: "SRV" }, [{ ...r.srv, data: { ...r.srv.data, port: 1 } }]));
  assert.equal(q({ name: INSTANCE, type: "TXT" }, [r.txt]), null);
  assert.ok(q({ name: INSTANCE, type: "TXT" }, [{ ...r.txt, data: ["capabilities=[]"] }]));
  assert.equal(q({ name: HOST, type: "A" }, [r.addresses[0]]), null);
  assert.ok(q({ name: HOST, type: "A" }, [{ ...r.addresses[0], data: "10.0.0.3" }]));
  // AAAA compared canonically.
  assert.equal(q({ name: HOST, type: "AAAA" }, [{ ...r.addresses[1], data: "FD00:0::2" }]), null);
});

Deno.test("answerQuery() leaves out additionals the querier lists as known", () => {
  const r = serviceRecords(local(), 120);
  const res = answerQuery(
    { questions: [{ name: SERVICE, type: "PTR" }], answers: [r.srv, r.addresses[1]] },
    local(),
    120,
  );
  assert.deepEqual(describe(res?.additionals ?? []), [`TXT ${INSTANCE}`, "A 10.0.0.2"]);
});

Deno.test("answerQuery() works on real wire bytes: known answers decoded by dns-packet suppress", () => {
  const r = serviceRecords(local(), 120);
  const query = decode(encode({
    type: "query",
    questions: [{ name: SERVICE, type: "PTR" }, { name: INSTANCE, type: "TXT" }],
    answers: [r.txt],
  }));
  const res = answerQuery(query, local(), 120);
  assert.deepEqual(describe(res?.answers ?? []), [`PTR ${INSTANCE}`]);
  assert.deepEqual(describe(res?.additionals ?? []), [
    `SRV ${INSTANCE}`,
    "A 10.0.0.2",
    "AAAA fd00::2",
  ]);
  const back = roundTrip({ type: "response", ...res });
  assert.equal((back.answers as unknown[]).length, 1);
  assert.equal((back.additionals as unknown[]).length, 3);
});

Deno.test("answerQuery() refuses a TTL below 1", () => {
  for (const ttl of [0, -1, NaN]) {
    assert.throws(
      () => answerQuery({ questions: [{ name: SERVICE, type: "PTR" }] }, local(), ttl),
      RangeError,
    );
  }
});

Deno.test("answerQuery() looks at a bounded number of questions", () => {
  const noise = Array.from({ length: 100_000 }, () => ({ name: "x.local", type: "A" }));
  // No answer to a question after 100k others: they were not all looked at.
  assert.equal(
    answerQuery({ questions: [...noise, { name: HOST, type: "A" }] }, local(), 120),
    null,
  );
  assert.ok(answerQuery({ questions: [{ name: HOST, type: "A" }, ...noise] }, local(), 120));
});
