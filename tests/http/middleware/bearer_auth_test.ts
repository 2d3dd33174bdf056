import assert from "node:assert/strict";
import { Hono } from "hono";
import { bearerAuth, isAuthorized } from "../../../lib/http/middleware/bearer_auth.ts";
import { onError } from "../../../lib/http/middleware/errors.ts";

const AUTHORIZED: Array<[header: string | null | undefined, token: string, ok: boolean]> = [
  ["Bearer s3cret", "s3cret", true],
  ["bearer s3cret", "s3cret", true],
  ["BEARER s3cret", "s3cret", true],
  ["BeArEr s3cret", "s3cret", true],
  ["  Bearer   s3cret  ", "s3cret", true],
  ["Bearer\ts3cret", "s3cret", true],
  ["Bearer s3cret\n", "s3cret", true],
  ["Bearer s3cret", "s3cre", false],
  ["Bearer s3cre", "s3cret", false],
  ["Bearer s3cret0", "s3cret", false],
  ["Bearer S3CRET", "s3cret", false],
  ["Bearer s3cret extra", "s3cret", false],
  ["Bearer", "s3cret", false],
  ["Bearer ", "s3cret", false],
  ["s3cret", "s3cret", false],
  ["Basic s3cret", "s3cret", false],
  ["Token s3cret", "s3cret", false],
  ["Bearers s3cret", "s3cret", false],
  ["", "s3cret", false],
  [null, "s3cret", false],
  [undefined, "s3cret", false],
  // A token padded with NUL bytes must not match its prefix.
  ["Bearer abc", "abc\0", false],
  ["Bearer abc\0", "abc", false],
  ["Bearer ключ", "ключ", true],
  ["Bearer ключ", "ключи", false],
];

for (const [header, token, ok] of AUTHORIZED) {
  Deno.test(`isAuthorized() says ${ok} for ${JSON.stringify(header)} against ${JSON.stringify(token)}`, () => {
    assert.equal(isAuthorized(header, token), ok);
  });
}

function gated(token: () => string | undefined): { app: Hono; reached: () => number } {
  let reached = 0;
  const app = new Hono();
  app.use(bearerAuth({ token }));
  app.get("/x", (c) => {
    reached++;
    return c.text("in");
  });
  app.onError(onError(() => {}));
  return { app, reached: () => reached };
}

Deno.test("bearerAuth() answers 401 unauthorized with WWW-Authenticate and stops the request", async () => {
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

Deno.test("bearerAuth() lets the right token through", async () => {
  const { app, reached } = gated(() => "t");
  const response = await app.request("http://localhost/x", {
    headers: { authorization: "bearer t" },
  });
  assert.equal(response.status, 200);
  assert.equal(await response.text(), "in");
  assert.equal(reached(), 1);
});

Deno.test("bearerAuth() lets everything through when there is no token", async () => {
  const { app } = gated(() => undefined);
  assert.equal((await app.request("http://localhost/x")).status, 200);
  const withHeader = await app.request("http://localhost/x", {
    headers: { authorization: "Bearer anything" },
  });
  assert.equal(withHeader.status, 200);
});

Deno.test("bearerAuth() asks for the token on every request, so rotation needs no restart", async () => {
  let token = "old";
  const { app } = gated(() => token);
  const ask = (t: string) =>
    app.request("http://localhost/x", { headers: { authorization: `Bearer ${t}` } });
  assert.equal((await ask("old")).status, 200);
  token = "new";
  assert.equal((await ask("old")).status, 401);
  assert.equal((await ask("new")).status, 200);
});
