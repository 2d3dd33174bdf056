import assert from "node:assert/strict";
import { authJson, errorBody, makeApp, postTask, task, TOKEN } from "./_fake.ts";
import { createApp } from "../../lib/http/app.ts";
import { RateLimiter } from "../../lib/security/token_bucket.ts";

const GATED: Array<[method: string, path: string]> = [
  ["POST", "/task"],
  ["POST", "/task?stream=1"],
  ["GET", "/status"],
  ["GET", "/can-do?required=calc"],
  // Public only for GET: another method on a public path is not.
  ["POST", "/healthz"],
  ["GET", "/no-such-route"],
];

const BAD_AUTH: Array<[name: string, header: string | undefined]> = [
  ["no Authorization header", undefined],
  ["a wrong token", "Bearer nope"],
  ["the token without a scheme", TOKEN],
  ["a Basic scheme", `Basic ${TOKEN}`],
  ["extra parts", `Bearer ${TOKEN} extra`],
  ["an empty bearer", "Bearer "],
];

for (const [name, header] of BAD_AUTH) {
  Deno.test(`createApp() answers 401 to ${name} on every route`, async () => {
    const { app, router } = makeApp();
    for (const [method, path] of GATED) {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (header !== undefined) headers.authorization = header;
      const response = await app.request(`http://localhost${path}`, {
        method,
        headers,
        body: method === "POST" ? JSON.stringify(task()) : undefined,
      });
      const body = await errorBody(response, 401, "unauthorized");
      assert.deepEqual(Object.keys(body).sort(), ["error", "message"], `${method} ${path}`);
      assert.equal(response.headers.get("www-authenticate"), "Bearer");
    }
    assert.equal(router.calls.length, 0);
  });
}

Deno.test("createApp() accepts the bearer scheme in lower case", async () => {
  const { app, router } = makeApp();
  const response = await postTask(app, task(), {
    headers: { authorization: `bearer ${TOKEN}`, "content-type": "application/json" },
  });
  assert.equal(response.status, 200);
  assert.equal(router.calls.length, 1);
});

Deno.test("createApp() checks the token before reading the body", async () => {
  const { app, router } = makeApp();
  let pulled = false;
  // A body that never ends: reading it would hang the request.
  const body = new ReadableStream<Uint8Array>({
    pull() {
      pulled = true;
      return new Promise(() => {});
    },
  }, { highWaterMark: 0 });
  const response = await app.request("http://localhost/task", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  await errorBody(response, 401, "unauthorized");
  assert.equal(pulled, false, "the body was never read");
  assert.equal(router.calls.length, 0);
  await body.cancel();
});

Deno.test("createApp() answers 401, not 400, to malformed JSON without a token", async () => {
  const { app } = makeApp();
  const response = await postTask(app, "{not json", {
    headers: { "content-type": "application/json" },
  });
  await errorBody(response, 401, "unauthorized");
});

Deno.test("createApp() answers 401, not 413 or 415, to any body without a token", async () => {
  const { app } = makeApp({ maxBodyBytes: 10 });
  const tooBig = await postTask(app, "x".repeat(100), {
    headers: { "content-type": "text/plain" },
  });
  await errorBody(tooBig, 401, "unauthorized");
});

Deno.test("createApp() lets every request through when no token is configured", async () => {
  const { app, router } = makeApp({ token: () => undefined });
  const response = await postTask(app, task(), { headers: { "content-type": "application/json" } });
  assert.equal(response.status, 200);
  assert.equal((await app.request("http://localhost/status")).status, 200);
  assert.equal(router.calls.length, 1);
});

Deno.test("createApp() answers a known route with the wrong method with 405 JSON and Allow", async () => {
  const { app } = makeApp();
  for (
    const [method, path, allow] of [["GET", "/task", "POST"], ["POST", "/status", "GET"], [
      "DELETE",
      "/can-do",
      "GET",
    ]]
  ) {
    const response = await app.request(`http://localhost${path}`, { method, headers: authJson() });
    assert.equal(response.headers.get("allow"), allow);
    const body = await errorBody(response, 405, "method_not_allowed");
    assert.equal(body.message, `${path} accepts ${allow}, not ${method}`);
  }
});

Deno.test("createApp() answers an unknown route with 404 JSON", async () => {
  const { app } = makeApp();
  for (const [method, path] of [["GET", "/nope"], ["POST", "/tasks"], ["GET", "/status/x"]]) {
    const response = await app.request(`http://localhost${path}`, {
      method,
      headers: authJson(),
    });
    const body = await errorBody(response, 404, "not_found");
    assert.deepEqual(Object.keys(body).sort(), ["error", "message"]);
    assert.equal(body.message, `No route for ${method} ${path}`);
  }
});

Deno.test("createApp() tags every answer with an x-request-id", async () => {
  const { app } = makeApp();
  const ok = await app.request("http://localhost/healthz", { headers: authJson() });
  assert.match(ok.headers.get("x-request-id") ?? "", /\S/);
  const denied = await app.request("http://localhost/status");
  assert.equal(denied.status, 401);
  assert.match(denied.headers.get("x-request-id") ?? "", /\S/);
  const echoed = await app.request("http://localhost/healthz", {
    headers: authJson({ "x-request-id": "req-42" }),
  });
  assert.equal(echoed.headers.get("x-request-id"), "req-42");
});

Deno.test("createApp() logs an unexpected router error and answers 500 internal", async () => {
  const { app, logged } = makeApp({
    router: {
      calls: [],
      route: () => Promise.reject(new TypeError("router bug")),
    },
  });
  const body = await errorBody(await postTask(app, task()), 500, "internal");
  assert.equal(body.message, "router bug");
  assert.equal(logged.length, 1);
  assert.equal(logged[0].message, "Unhandled error");
  assert.match(String(logged[0].props.error), /router bug/);
});

Deno.test("createApp() tags a streamed task answer with an x-request-id too", async () => {
  const { app } = makeApp({
    router: {
      calls: [],
      route: (t, options) => {
        options.onEvent?.({ event: "executing" });
        return Promise.resolve({
          task_id: t.id,
          response: "",
          task_completed: true,
          tool_calls: 0,
        });
      },
    },
  });
  const response = await postTask(app, task(), {
    path: "/task?stream=1",
    headers: authJson({ "x-request-id": "req-43" }),
  });
  await response.text();
  assert.equal(response.headers.get("content-type"), "application/x-ndjson");
  assert.equal(response.headers.get("x-request-id"), "req-43");
});

Deno.test("createApp() answers /healthz and /readyz without a credential, and ignores a bad one", async () => {
  const { app } = makeApp();
  const cases: Array<[path: string, headers: Record<string, string>]> = [
    ["/healthz", {}],
    ["/readyz", {}],
    ["/healthz", { authorization: "Bearer wrong" }],
    ["/readyz", { authorization: "Basic Zm9vOmJhcg==" }],
  ];
  for (const [path, headers] of cases) {
    const response = await app.request(`http://localhost${path}`, { headers });
    assert.equal(response.status, 200, `${path} ${JSON.stringify(headers)}`);
    const body = await response.json();
    // Nothing beyond the node id and its load (readiness): no token, peers or skills.
    assert.deepEqual(
      Object.keys(body).sort(),
      path === "/healthz"
        ? ["node_id", "queued_tasks", "running_tasks", "status"]
        : ["node_id", "status"],
    );
  }
});

Deno.test("createApp() throttles failed authentications per address: 429 with Retry-After, never for a valid token", async () => {
  let now = 0;
  const limiter = new RateLimiter({ ratePerSecond: 1, burst: 3, now: () => now });
  const failures: Array<[string, string, string]> = [];
  const { deps } = makeApp();
  const app = createApp(deps, {
    authFailureLimiter: limiter,
    onAuthFailure: (reason, path, source) => failures.push([reason, path, source]),
  });
  const from = (remoteAddress: string, authorization?: string) =>
    app.request(
      "http://localhost/status",
      { headers: authorization ? { authorization } : {} },
      { remoteAddress },
    );
  for (let i = 0; i < 3; i++) {
    await errorBody(await from("10.0.0.9", "Bearer nope"), 401, "unauthorized");
  }
  const throttled = await from("10.0.0.9", "Bearer nope");
  const body = await errorBody(throttled, 429, "rate_limited");
  assert.equal(body.reason, "auth_failures");
  assert.equal(throttled.headers.get("retry-after"), "1");
  assert.match(String(body.message), /^Too many failed authentications from this address/);
  // Missing credentials count as failures too.
  await errorBody(await from("10.0.0.9"), 429, "rate_limited");
  // The same address with the right token still gets in; another address is not throttled.
  assert.equal((await from("10.0.0.9", `Bearer ${TOKEN}`)).status, 200);
  await errorBody(await from("10.0.0.10", "Bearer nope"), 401, "unauthorized");
  // Every failure is still reported (metrics stay exact), with its source.
  assert.equal(failures.length, 6);
  assert.deepEqual(failures[0], ["invalid", "/status", "10.0.0.9"]);
  assert.deepEqual(failures.at(-1), ["invalid", "/status", "10.0.0.10"]);
  now = 1_000;
  await errorBody(await from("10.0.0.9", "Bearer nope"), 401, "unauthorized");
});
