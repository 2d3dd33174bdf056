import assert from "node:assert/strict";
import { parseRequired } from "../../../lib/http/routes/can_do.ts";
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
