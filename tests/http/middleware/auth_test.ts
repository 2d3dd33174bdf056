import assert from "node:assert/strict";
import { Hono } from "hono";
import { authenticate } from "../../../lib/http/middleware/auth.ts";
import { onError } from "../../../lib/http/middleware/errors.ts";

function gated(token: () => string | undefined): { app: Hono; reached: () => number } {
  let reached = 0;
  const app = new Hono();
  app.use(authenticate({ sharedSecret: token, verifyToken: () => undefined }));
  app.get("/x", (c) => {
    reached++;
    return c.text("in");
  });
  app.onError(onError(() => {}));
  return { app, reached: () => reached };
}

Deno.test("authenticate() answers 401 unauthorized with WWW-Authenticate and stops the request", async () => {
  const { app, reached } = gated(() => "t");
  const response = await app.request("http://localhost/x", {
    headers: { authorization: "Bearer wrong" },
  });
  assert.equal(response.status, 401);
  assert.equal(response.headers.get("www-authenticate"), "Bearer");
  assert.deepEqual(await response.json(), {
    error: "unauthorized",
    message: "Missing or invalid bearer token",
  });
  assert.equal(reached(), 0);
});

Deno.test("authenticate() lets the right token through", async () => {
  const { app, reached } = gated(() => "t");
  const response = await app.request("http://localhost/x", {
    headers: { authorization: "bearer t" },
  });
  assert.equal(response.status, 200);
  assert.equal(await response.text(), "in");
  assert.equal(reached(), 1);
});

Deno.test("authenticate() lets everything through when there is no token", async () => {
  const { app } = gated(() => undefined);
  assert.equal((await app.request("http://localhost/x")).status, 200);
  const withHeader = await app.request("http://localhost/x", {
    headers: { authorization: "Bearer anything" },
  });
  assert.equal(withHeader.status, 200);
});

Deno.test("authenticate() asks for the token on every request, so rotation needs no restart", async () => {
  let token = "old";
  const { app } = gated(() => token);
  const ask = (t: string) =>
    app.request("http://localhost/x", { headers: { authorization: `Bearer ${t}` } });
  assert.equal((await ask("old")).status, 200);
  token = "new";
  assert.equal((await ask("old")).status, 401);
  assert.equal((await ask("new")).status, 200);
});
