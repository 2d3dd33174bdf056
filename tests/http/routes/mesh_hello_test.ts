import assert from "node:assert/strict";
import { meshHelloRoutes } from "../../../lib/http/routes/mesh_hello.ts";
import { onError } from "../../../lib/http/middleware/errors.ts";
import { newNonce, verifyHelloAnswer } from "../../../lib/security/membership.ts";

function app(token: string | undefined) {
  const routes = meshHelloRoutes({
    nodeId: "node-b",
    token: () => token,
    self: () => ({ host: "0.0.0.0", port: 7700, interfaces: () => ["10.0.0.2", "127.0.0.1"] }),
  });
  routes.onError(onError(() => {}));
  return routes;
}

const hello = (target = "10.0.0.2:7700") => ({
  v: 1,
  node_id: "node-a",
  nonce: newNonce(),
  target,
});

const post = (token: string | undefined, body: unknown) =>
  app(token).request("http://localhost/mesh/hello", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

Deno.test("POST /mesh/hello proves the shared token for this node's own address", async () => {
  const request = hello();
  const res = await post("mesh-secret", request);
  assert.equal(res.status, 200);
  const answer = await res.json();
  assert.equal(answer.node_id, "node-b");
  assert.ok(await verifyHelloAnswer("mesh-secret", request, answer));
  assert.ok(!JSON.stringify(answer).includes("mesh-secret"));
});

Deno.test("POST /mesh/hello answers proof null without a shared token", async () => {
  const res = await post(undefined, hello());
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { v: 1, node_id: "node-b", proof: null });
});

Deno.test("POST /mesh/hello refuses a target that is not this node (a relayed challenge) with 421", async () => {
  const res = await post("mesh-secret", hello("10.0.0.66:7700"));
  assert.equal(res.status, 421);
  const body = await res.json();
  assert.equal(body.error, "misdirected");
  assert.match(body.message, /10\.0\.0\.66:7700 is not an address of this node/);
  assert.ok(!("proof" in body));
});

Deno.test("POST /mesh/hello refuses bad bodies with the field named", async () => {
  const cases: Array<[string, unknown, number, string, RegExp]> = [
    ["not JSON", "{", 400, "invalid_json", /not JSON/],
    ["no nonce", { ...hello(), nonce: undefined }, 400, "invalid_request", /'nonce'/],
    ["oversized", { ...hello(), pad: "x".repeat(5000) }, 413, "payload_too_large", /4096/],
  ];
  for (const [name, body, status, code, message] of cases) {
    const res = await post("mesh-secret", body);
    assert.equal(res.status, status, name);
    const json = await res.json();
    assert.equal(json.error, code, name);
    assert.match(json.message, message, name);
  }
});
