import assert from "node:assert/strict";
import { checkRequired, parseRequired } from "../../../lib/http/routes/can_do.ts";
import { SwarmError } from "../../../lib/protocol/errors.ts";
import { authJson, makeApp, NODE_ID } from "../_fake.ts";

const PARSED: Array<[value: string | undefined, expected: string[]]> = [
  [undefined, []],
  ["", []],
  [" , ,", []],
  ["calc", ["calc"]],
  ["calc,web", ["calc", "web"]],
  [" a, ,b ", ["a", "b"]],
  ["a,,b,", ["a", "b"]],
  ["Calc", ["Calc"]],
  ["web search", ["web search"]],
];

for (const [value, expected] of PARSED) {
  Deno.test(`parseRequired() splits ${JSON.stringify(value)} into ${JSON.stringify(expected)}`, () => {
    assert.deepEqual(parseRequired(value), expected);
  });
}

const ANSWERS: Array<[query: string, canDo: boolean]> = [
  ["", true],
  ["?required=", true],
  ["?required=%20,%20", true],
  ["?required=calc", true],
  ["?required=calc,web", true],
  ["?required=%20calc,%20,web%20", true],
  ["?required=calc,gpu", false],
  ["?required=gpu", false],
  ["?required=Calc", false],
  ["?required=CALC,web", false],
  ["?required=cal", false],
  ["?other=gpu", true],
];

for (const [query, canDo] of ANSWERS) {
  Deno.test(`canDoRoutes() GET /can-do${query} answers can_do ${canDo}`, async () => {
    const { app } = makeApp({ localCapabilities: () => ["calc", "web"] });
    const response = await app.request(`http://localhost/can-do${query}`, { headers: authJson() });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { can_do: canDo, instance_name: NODE_ID });
  });
}

Deno.test("canDoRoutes() reads the local capabilities on every request", async () => {
  let capabilities: string[] = [];
  const { app } = makeApp({ localCapabilities: () => capabilities });
  const ask = async () =>
    (await (await app.request("http://localhost/can-do?required=calc", { headers: authJson() }))
      .json()).can_do;
  assert.equal(await ask(), false);
  capabilities = ["calc"];
  assert.equal(await ask(), true);
});

const tags = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`).join(",");

const LIMITED: Array<[name: string, query: string, status: number, message?: string]> = [
  ["64 tags", `?required=${tags(64)}`, 200],
  [
    "65 tags",
    `?required=${tags(65)}`,
    400,
    "Query parameter 'required' has more than 64 tags: it has 65",
  ],
  ["a 64-character tag", `?required=calc,${"a".repeat(64)}`, 200],
  [
    "a 65-character tag",
    `?required=calc,${"a".repeat(65)}`,
    400,
    "Query parameter 'required' tag 1 is longer than 64 characters",
  ],
  [
    "a tag with a control character",
    "?required=a%00b",
    400,
    "Query parameter 'required' tag 0 contains a control character",
  ],
  [
    "a tag with a newline",
    "?required=calc,a%0Ab",
    400,
    "Query parameter 'required' tag 1 contains a control character",
  ],
];

for (const [name, query, status, message] of LIMITED) {
  Deno.test(`canDoRoutes() GET /can-do with ${name} answers ${status}`, async () => {
    const { app } = makeApp({ localCapabilities: () => ["calc"] });
    const response = await app.request(`http://localhost/can-do${query}`, { headers: authJson() });
    assert.equal(response.status, status);
    const body = await response.json();
    if (status === 200) assert.equal(body.can_do, false);
    else assert.deepEqual(body, { error: "invalid_request", message, field: "required" });
  });
}

Deno.test("checkRequired() returns the tags it accepts and throws invalid_request otherwise", () => {
  assert.deepEqual(checkRequired(["a", "b"]), ["a", "b"]);
  assert.deepEqual(checkRequired([]), []);
  assert.throws(() => checkRequired(["a", ""]), (err: unknown) => {
    assert.ok(err instanceof SwarmError);
    assert.equal(err.code, "invalid_request");
    assert.equal(err.status, 400);
    assert.equal(err.message, "Query parameter 'required' tag 1 is empty");
    return true;
  });
});
