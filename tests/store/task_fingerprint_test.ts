import assert from "node:assert/strict";
import { taskFingerprint } from "../../lib/store/task_fingerprint.ts";
import type { NodeTask } from "../../lib/protocol/types.ts";

/** A task as parsed from JSON text, so key order and whitespace come from the text. */
function parsed(text: string): NodeTask {
  return JSON.parse(text) as NodeTask;
}

const BASE = `{"id":"t1","description":"add","context":{"workspace":".","session_key":"default",
  "required_capabilities":["calc","web"]},"tool_hint":"calculator","input":{"a":1,"b":[1,2]}}`;

Deno.test("taskFingerprint() is the SHA-256 hex of sorted-key JSON without whitespace", async () => {
  // Expected value computed independently with Python:
  // json.dumps(task, sort_keys=True, separators=(",", ":"), ensure_ascii=False), hashlib.sha256.
  const task = {
    id: "t1",
    description: "add",
    context: { workspace: ".", session_key: "default", required_capabilities: ["calc"] },
    tool_hint: "calculator",
    input: { b: [2, { y: 1, x: "é\n" }], a: 1 },
    timeout_ms: 5000,
  };
  assert.equal(
    await taskFingerprint(task),
    "e10fea8dba81494ed183518c7a9333ab067fb84ddd1c3322f1e3008fc382cc06",
  );
});

const SAME: Array<[string, string]> = [
  [
    "top-level keys reordered",
    `{"input":{"a":1,"b":[1,2]},"tool_hint":"calculator","context":{"workspace":".",
      "session_key":"default","required_capabilities":["calc","web"]},"description":"add","id":"t1"}`,
  ],
  [
    "context keys reordered",
    `{"id":"t1","description":"add","context":{"required_capabilities":["calc","web"],
      "session_key":"default","workspace":"."},"tool_hint":"calculator","input":{"a":1,"b":[1,2]}}`,
  ],
  [
    "nested input keys reordered",
    `{"id":"t1","description":"add","context":{"workspace":".","session_key":"default",
      "required_capabilities":["calc","web"]},"tool_hint":"calculator","input":{"b":[1,2],"a":1}}`,
  ],
  [
    "whitespace everywhere",
    `{ "id" : "t1" ,
       "description" : "add" ,
       "context" : { "workspace" : "." , "session_key" : "default" ,
                     "required_capabilities" : [ "calc" , "web" ] } ,
       "tool_hint" : "calculator" , "input" : { "a" : 1 , "b" : [ 1 , 2 ] } }`,
  ],
  [
    "the same number written differently",
    `{"id":"t1","description":"add","context":{"workspace":".","session_key":"default",
      "required_capabilities":["calc","web"]},"tool_hint":"calculator","input":{"a":1.0,"b":[1e0,2]}}`,
  ],
  [
    "an extra field outside the client-visible content",
    `{"id":"t1","description":"add","context":{"workspace":".","session_key":"default",
      "required_capabilities":["calc","web"],"trace":"x"},"tool_hint":"calculator",
      "input":{"a":1,"b":[1,2]},"hops":3}`,
  ],
];

for (const [what, text] of SAME) {
  Deno.test(`taskFingerprint() is unchanged by ${what}`, async () => {
    assert.equal(await taskFingerprint(parsed(text)), await taskFingerprint(parsed(BASE)));
  });
}

const base = parsed(BASE);
const DIFFERENT: Array<[string, NodeTask]> = [
  ["another id", { ...base, id: "t2" }],
  ["another description", { ...base, description: "add " }],
  ["another workspace", { ...base, context: { ...base.context, workspace: "/tmp" } }],
  ["another session key", { ...base, context: { ...base.context, session_key: "s2" } }],
  [
    "capabilities in another order",
    { ...base, context: { ...base.context, required_capabilities: ["web", "calc"] } },
  ],
  [
    "one capability fewer",
    { ...base, context: { ...base.context, required_capabilities: ["calc"] } },
  ],
  ["another tool hint", { ...base, tool_hint: "calc" }],
  ["no tool hint", { ...base, tool_hint: undefined }],
  ["another input value", { ...base, input: { a: 2, b: [1, 2] } }],
  ["an input value of another type", { ...base, input: { a: "1", b: [1, 2] } }],
  ["input array reordered", { ...base, input: { a: 1, b: [2, 1] } }],
  ["an extra input key", { ...base, input: { a: 1, b: [1, 2], c: null } }],
  ["null input", { ...base, input: null }],
  ["no input", { ...base, input: undefined }],
  ["a timeout", { ...base, timeout_ms: 1000 }],
];

for (const [what, task] of DIFFERENT) {
  Deno.test(`taskFingerprint() changes with ${what}`, async () => {
    assert.notEqual(await taskFingerprint(task), await taskFingerprint(base));
  });
}

Deno.test("taskFingerprint() tells timeouts apart", async () => {
  const a = await taskFingerprint({ ...base, timeout_ms: 1000 });
  const b = await taskFingerprint({ ...base, timeout_ms: 2000 });
  assert.notEqual(a, b);
});

Deno.test("taskFingerprint() counts missing required_capabilities as the default []", async () => {
  const context = { workspace: ".", session_key: "default" } as NodeTask["context"];
  const missing = await taskFingerprint({ id: "t", description: "d", context });
  const empty = await taskFingerprint({
    id: "t",
    description: "d",
    context: { ...context, required_capabilities: [] },
  });
  assert.equal(missing, empty);
});

Deno.test("taskFingerprint() rejects input JSON cannot carry with a TypeError", async () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  await assert.rejects(taskFingerprint({ ...base, input: cyclic }), TypeError);
  await assert.rejects(taskFingerprint({ ...base, input: { n: 1n } }), TypeError);
});

Deno.test("taskFingerprint() accepts the same object twice in input (not a cycle)", async () => {
  const shared = { x: 1 };
  const fingerprint = await taskFingerprint({ ...base, input: [shared, shared] });
  assert.equal(fingerprint, await taskFingerprint({ ...base, input: [{ x: 1 }, { x: 1 }] }));
});
