import assert from "node:assert/strict";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import {
  errorResponse,
  isBodyReadError,
  notFound,
  onError,
} from "../../../lib/http/middleware/errors.ts";
import { SwarmError } from "../../../lib/protocol/errors.ts";
import type { RouteDeclaration } from "../../../lib/http/route_table.ts";

/** A table where `/x` is declared for GET and `/multi` for GET and DELETE. */
const ROUTES: RouteDeclaration[] = [
  { method: "GET", path: "/x", public: false, action: "read" },
  { method: "GET", path: "/multi", public: false, action: "read" },
  { method: "DELETE", path: "/multi", public: false, action: "admin" },
];

function appThrowing(thrown: () => unknown): { app: Hono; logged: unknown[] } {
  const logged: unknown[] = [];
  const app = new Hono();
  app.get("/x", () => {
    throw thrown();
  });
  app.notFound(notFound(ROUTES));
  app.onError(onError((err) => logged.push(err)));
  return { app, logged };
}

Deno.test("onError() renders a SwarmError with its status, code and details, without logging", async () => {
  const { app, logged } = appThrowing(() =>
    new SwarmError("no_match", "No node can do: gpu", { required_capabilities: ["gpu"] })
  );
  const response = await app.request("http://localhost/x");
  assert.equal(response.status, 503);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  assert.deepEqual(await response.json(), {
    error: "no_match",
    message: "No node can do: gpu",
    required_capabilities: ["gpu"],
  });
  assert.equal(logged.length, 0);
});

Deno.test("onError() renders an unexpected error as 500 internal and logs it", async () => {
  const boom = new TypeError("boom");
  const { app, logged } = appThrowing(() => boom);
  const response = await app.request("http://localhost/x");
  assert.equal(response.status, 500);
  assert.deepEqual(await response.json(), { error: "internal", message: "boom" });
  assert.deepEqual(logged, [boom]);
});

const HTTP_EXCEPTIONS: Array<[status: 400 | 401 | 413 | 418, code: string]> = [
  [413, "payload_too_large"],
  [401, "unauthorized"],
  [400, "invalid_request"],
  [418, "invalid_request"],
];

for (const [status, code] of HTTP_EXCEPTIONS) {
  Deno.test(`onError() renders Hono's HTTPException ${status} as ${code}`, async () => {
    const { app, logged } = appThrowing(() => new HTTPException(status, { message: "nope" }));
    const response = await app.request("http://localhost/x");
    const body = await response.json();
    assert.equal(body.error, code);
    assert.equal(body.message, "nope");
    assert.equal(response.status, code === "invalid_request" ? 400 : status);
    assert.equal(logged.length, 0);
  });
}

Deno.test("onError() gives an HTTPException without message a default one", async () => {
  const { app } = appThrowing(() => new HTTPException(400));
  assert.deepEqual(await (await app.request("http://localhost/x")).json(), {
    error: "invalid_request",
    message: "Bad request",
  });
});

Deno.test("notFound() answers 404 not_found naming the method and path", async () => {
  const { app } = appThrowing(() => new Error("unused"));
  const response = await app.request("http://localhost/nowhere?q=1", { method: "DELETE" });
  assert.equal(response.status, 404);
  assert.deepEqual(await response.json(), {
    error: "not_found",
    message: "No route for DELETE /nowhere",
  });
});

Deno.test("notFound() answers 405 method_not_allowed with Allow for a declared path", async () => {
  const { app } = appThrowing(() => new Error("unused"));
  const response = await app.request("http://localhost/x?q=1", { method: "POST" });
  assert.equal(response.status, 405);
  assert.equal(response.headers.get("allow"), "GET");
  assert.deepEqual(await response.json(), {
    error: "method_not_allowed",
    message: "/x accepts GET, not POST",
  });
});

Deno.test("notFound() lists every declared method of a path in Allow", async () => {
  const { app } = appThrowing(() => new Error("unused"));
  const response = await app.request("http://localhost/multi", { method: "PUT" });
  assert.equal(response.status, 405);
  assert.equal(response.headers.get("allow"), "GET, DELETE");
  assert.equal((await response.json()).message, "/multi accepts GET, DELETE, not PUT");
});

Deno.test("notFound() answers 404 for a path declared only with another trailing slash", async () => {
  const { app } = appThrowing(() => new Error("unused"));
  const response = await app.request("http://localhost/x/", { method: "POST" });
  assert.equal(response.status, 404);
  assert.equal(response.headers.get("allow"), null);
});

Deno.test("errorResponse() adds WWW-Authenticate only to unauthorized answers", async () => {
  const app = new Hono();
  app.get(
    "/:code",
    (c) => errorResponse(c, new SwarmError(c.req.param("code") as "unauthorized", "m")),
  );
  const unauthorized = await app.request("http://localhost/unauthorized");
  assert.equal(unauthorized.status, 401);
  assert.equal(unauthorized.headers.get("www-authenticate"), "Bearer");
  const other = await app.request("http://localhost/internal");
  assert.equal(other.status, 500);
  assert.equal(other.headers.get("www-authenticate"), null);
});

Deno.test("isBodyReadError() recognises a body the client cut short, nothing else", () => {
  assert.ok(
    isBodyReadError(
      new Deno.errors.BadResource("Cannot read body as underlying resource unavailable"),
    ),
  );
  assert.ok(
    isBodyReadError(new TypeError("Cannot read request body as underlying resource unavailable")),
  );
  assert.ok(!isBodyReadError(new TypeError("x is not a function")));
  assert.ok(!isBodyReadError(new Error("Cannot read body")));
  assert.ok(!isBodyReadError("Cannot read body"));
});
