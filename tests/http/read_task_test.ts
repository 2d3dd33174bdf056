import assert from "node:assert/strict";
import { authJson, errorBody, makeApp, postTask, task, TOKEN } from "./_fake.ts";

const ACCEPTED_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "Application/JSON",
  "  application/json ;charset=UTF-8",
  "application/vnd.swarm.task+json",
];

for (const type of ACCEPTED_TYPES) {
  Deno.test(`readTask() accepts Content-Type ${JSON.stringify(type)}`, async () => {
    const { app, router } = makeApp();
    const response = await postTask(app, task(), { headers: authJson({ "content-type": type }) });
    assert.equal(response.status, 200);
    assert.equal(router.calls.length, 1);
  });
}

const REFUSED_TYPES = [
  "text/plain",
  "text/plain;charset=UTF-8",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/jsonx",
  "application/json-patch",
  "json",
];

for (const type of REFUSED_TYPES) {
  Deno.test(`readTask() answers 415 to Content-Type ${JSON.stringify(type)}`, async () => {
    const { app, router } = makeApp();
    const response = await postTask(app, task(), { headers: authJson({ "content-type": type }) });
    const body = await errorBody(response, 415, "unsupported_media_type");
    assert.deepEqual(Object.keys(body).sort(), ["error", "message"]);
    assert.match(String(body.message), /^Expected Content-Type application\/json: got '/);
    assert.equal(router.calls.length, 0);
  });
}

Deno.test("readTask() answers 415 to a body without Content-Type", async () => {
  const { app, router } = makeApp();
  // A byte body makes the Request carry no Content-Type at all (a string would get text/plain).
  const response = await app.request("http://localhost/task", {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}` },
    body: new TextEncoder().encode(JSON.stringify(task())),
  });
  const body = await errorBody(response, 415, "unsupported_media_type");
  assert.equal(body.message, "Expected Content-Type application/json: got 'none'");
  assert.equal(router.calls.length, 0);
});

const MALFORMED = ["{not json", "", "   ", '{"id": "t1",}', "[1, 2", "'single'"];

for (const text of MALFORMED) {
  Deno.test(`readTask() answers 400 invalid_json to ${JSON.stringify(text)}`, async () => {
    const { app, router } = makeApp();
    const body = await errorBody(await postTask(app, text), 400, "invalid_json");
    assert.match(String(body.message), /^Malformed JSON body: /);
    assert.deepEqual(Object.keys(body).sort(), ["error", "message"]);
    assert.equal(router.calls.length, 0);
  });
}

Deno.test("readTask() answers 422 naming the field to {} (SkillLite's own probe body)", async () => {
  const { app, router } = makeApp();
  const body = await errorBody(await postTask(app, {}), 422, "invalid_task");
  assert.equal(body.field, "id");
  assert.match(String(body.message), /'id'/);
  assert.equal(router.calls.length, 0);
});

const BAD_FIELDS: Array<[body: unknown, field: string]> = [
  [{ id: "t1" }, "description"],
  [{ id: "t1", description: "d" }, "context"],
  [{ id: "t1", description: "d", context: {} }, "context.workspace"],
  [{ id: "t1", description: "d", context: { workspace: "." } }, "context.session_key"],
  [
    { ...task(), context: { workspace: ".", session_key: "k", required_capabilities: "calc" } },
    "context.required_capabilities",
  ],
  [{ ...task(), tool_hint: 3 }, "tool_hint"],
  [{ ...task(), id: 7 }, "id"],
  [[], ""],
  [null, ""],
  ["a string", ""],
];

for (const [input, field] of BAD_FIELDS) {
  Deno.test(`readTask() answers 422 naming '${field}' for ${JSON.stringify(input)}`, async () => {
    const { app } = makeApp();
    const body = await errorBody(await postTask(app, JSON.stringify(input)), 422, "invalid_task");
    assert.equal(body.field, field);
  });
}
