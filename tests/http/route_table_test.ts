import assert from "node:assert/strict";
import { Hono } from "hono";
import {
  allowedMethods,
  compareRoutes,
  findRoute,
  mountedDeclarations,
  requirePublic,
  type RouteDeclaration,
  ROUTES,
} from "../../lib/http/route_table.ts";
import { EventStreamHub } from "../../lib/observability/event_stream.ts";
import { type Action, ACTIONS, type Grant } from "../../lib/security/grant.ts";
import { makeApp, NODE_ID, TOKEN } from "./_fake.ts";

/** A token verifier knowing one scoped token per action set: `scoped:task,read`. */
function scopedTokens(token: string): Promise<Grant> {
  if (!token.startsWith("scoped:")) return Promise.reject(new Error("unknown token"));
  const actions = token.slice("scoped:".length).split(",").filter((a) => a !== "") as Action[];
  return Promise.resolve({
    method: "token",
    subject: "ci",
    actions,
    capabilities: ["*"],
    skills: ["*"],
  });
}

/** The real app with every optional route mounted (metrics, events, membership hello). */
function fullApp(): { app: Hono; hub: EventStreamHub } {
  const hub = new EventStreamHub();
  const { app } = makeApp({
    metrics: () => Promise.resolve({ contentType: "text/plain", body: "" }),
    events: hub,
    meshHello: {
      nodeId: NODE_ID,
      token: () => TOKEN,
      self: () => ({ host: "127.0.0.1", port: 7700, interfaces: () => ["127.0.0.1"] }),
    },
    verifyToken: () => scopedTokens,
    sync: {
      digests: () => [],
      root: () => "r",
      envelope: () => Promise.resolve(undefined),
      receive: () => Promise.resolve({ digest: "d", verdict: "accepted", missing: [] }),
      readBlob: () => Promise.resolve(undefined),
      putBlob: async (body) => await body.cancel(),
      maxBlobBytes: 1024,
      view: () => Promise.resolve({}),
    },
  });
  return { app, hub };
}

async function send(
  app: Hono,
  route: { method: string; path: string },
  bearer?: string,
): Promise<Response> {
  const response = await app.request(`http://localhost${route.path}`, {
    method: route.method,
    headers: bearer === undefined ? {} : { authorization: `Bearer ${bearer}` },
    body: route.method === "POST" ? "{}" : undefined,
  });
  return response;
}

Deno.test("createApp() mounts every declared route and no undeclared one", () => {
  const { app, hub } = fullApp();
  assert.deepEqual(compareRoutes(app.routes, ROUTES), { undeclared: [], unmounted: [] });
  hub.close();
});

Deno.test("createApp() with no optional routes mounts only declared ones", () => {
  const { app } = makeApp();
  const { undeclared, unmounted } = compareRoutes(app.routes, ROUTES);
  assert.deepEqual(undeclared, []);
  assert.deepEqual(unmounted.sort(), [
    "GET /events",
    "GET /metrics",
    "GET /sync/blob",
    "GET /sync/digests",
    "GET /sync/release",
    "GET /sync/skills",
    "POST /mesh/hello",
    "POST /sync/release",
    "PUT /sync/blob",
  ]);
});

Deno.test("ROUTES declares each method and path once, as exact upper-case paths", () => {
  const names = ROUTES.map((r) => `${r.method} ${r.path}`);
  assert.equal(new Set(names).size, names.length, names.join());
  for (const route of ROUTES) {
    assert.match(route.method, /^[A-Z]+$/);
    assert.match(route.path, /^\/[a-z-]+(\/[a-z-]+)*$/, route.path);
  }
});

for (const route of ROUTES.filter((r) => !r.public)) {
  const { method, path } = route;
  const action = (route as RouteDeclaration & { public: false }).action;

  Deno.test(`createApp() answers ${method} ${path} 401 without a credential`, async () => {
    const { app, hub } = fullApp();
    const response = await send(app, route);
    assert.equal(response.status, 401);
    assert.equal((await response.json()).error, "unauthorized");
    hub.close();
  });

  Deno.test(`createApp() answers ${method} ${path} 403 to a token without '${action}'`, async () => {
    const { app, hub } = fullApp();
    const others = ACTIONS.filter((a) => a !== action && a !== "admin");
    const response = await send(app, route, `scoped:${others.join(",")}`);
    assert.equal(response.status, 403);
    assert.equal((await response.json()).missing_scope, `action:${action}`);
    hub.close();
  });

  Deno.test(`createApp() lets ${method} ${path} through to a token holding '${action}'`, async () => {
    const { app, hub } = fullApp();
    const response = await send(app, route, `scoped:${action}`);
    assert.ok(![401, 403, 404, 405].includes(response.status), `${response.status}`);
    await response.body?.cancel();
    hub.close();
  });
}

for (const route of ROUTES.filter((r) => r.public)) {
  Deno.test(`createApp() answers ${route.method} ${route.path} without a credential`, async () => {
    const { app, hub } = fullApp();
    const response = await send(app, route);
    assert.ok(![401, 403, 404, 405].includes(response.status), `${response.status}`);
    await response.body?.cancel();
    hub.close();
  });
}

Deno.test("createApp() answers a route it leaves out as unknown, not 405 nor public", async () => {
  const { app } = makeApp();
  const metrics = await send(app, { method: "GET", path: "/metrics" }, TOKEN);
  assert.equal(metrics.status, 404);
  assert.equal((await metrics.json()).message, "No route for GET /metrics");
  const hello = await send(app, { method: "POST", path: "/mesh/hello" });
  assert.equal(hello.status, 401);
  await hello.body?.cancel();
});

Deno.test("createApp() answers another method on a declared path 405 with every Allow", async () => {
  const { app, hub } = fullApp();
  for (const route of ROUTES) {
    const declared = allowedMethods(ROUTES, route.path);
    const method = ["GET", "POST", "DELETE"].find((m) => !declared.includes(m))!;
    const response = await send(app, { method, path: route.path }, TOKEN);
    assert.equal(response.status, 405, `${method} ${route.path}`);
    assert.equal(response.headers.get("allow"), allowedMethods(ROUTES, route.path).join(", "));
    await response.body?.cancel();
  }
  hub.close();
});

const FIND: Array<[method: string, path: string, expected: "public" | Action | undefined]> = [
  ["POST", "/task", "task"],
  ["GET", "/status", "read"],
  ["HEAD", "/status", "read"],
  ["GET", "/can-do", "read"],
  ["GET", "/events", "read"],
  ["GET", "/metrics", "read"],
  ["GET", "/healthz", "public"],
  ["HEAD", "/healthz", "public"],
  ["GET", "/readyz", "public"],
  ["POST", "/mesh/hello", "public"],
  // Not declared: refused, never given a default action.
  ["GET", "/task", undefined],
  ["HEAD", "/task", undefined],
  ["POST", "/status", undefined],
  ["POST", "/healthz", undefined],
  ["GET", "/mesh/hello", undefined],
  ["GET", "/healthz/", undefined],
  ["POST", "/task/", undefined],
  ["POST", "/tasks", undefined],
  ["post", "/task", undefined],
  ["GET", "/nope", undefined],
];

for (const [method, path, expected] of FIND) {
  Deno.test(`findRoute() finds ${method} ${path} as ${expected ?? "undeclared"}`, () => {
    const route = findRoute(ROUTES, method, path);
    assert.equal(
      route === undefined ? undefined : route.public ? "public" : route.action,
      expected,
    );
  });
}

Deno.test("allowedMethods() lists a path's methods in declaration order, none for an unknown path", () => {
  const routes: RouteDeclaration[] = [
    { method: "GET", path: "/skills", public: false, action: "read" },
    { method: "PUT", path: "/skills", public: false, action: "publish" },
    { method: "GET", path: "/other", public: true },
  ];
  assert.deepEqual(allowedMethods(routes, "/skills"), ["GET", "PUT"]);
  assert.deepEqual(allowedMethods(routes, "/skills/"), []);
  assert.deepEqual(allowedMethods(ROUTES, "/task"), ["POST"]);
});

Deno.test("compareRoutes() skips middleware and names undeclared and unmounted routes", () => {
  const app = new Hono();
  app.use(async (_c, next) => await next());
  app.get("/status", (c) => c.text("in"));
  app.get("/status", (c) => c.text("twice"));
  app.all("/anything", (c) => c.text("in"));
  app.put("/status", (c) => c.text("in"));
  const { undeclared, unmounted } = compareRoutes(app.routes, ROUTES);
  assert.deepEqual(undeclared, ["ALL /anything", "PUT /status"]);
  assert.deepEqual(
    unmounted,
    ROUTES.slice(0).filter((r) => r.path !== "/status").map((r) => `${r.method} ${r.path}`),
  );
});

Deno.test("mountedDeclarations() picks the mounted declarations in declaration order", () => {
  const picked = mountedDeclarations([
    { method: "GET", path: "/healthz" },
    { method: "ALL", path: "/*" },
    { method: "POST", path: "/task" },
  ]);
  assert.deepEqual(picked.map((r) => `${r.method} ${r.path}`), ["POST /task", "GET /healthz"]);
});

Deno.test("mountedDeclarations() refuses an undeclared route with a TypeError naming it", () => {
  assert.throws(
    () =>
      mountedDeclarations([{ method: "POST", path: "/task" }, { method: "DELETE", path: "/task" }]),
    (err: unknown) =>
      err instanceof TypeError &&
      err.message ===
        "Cannot mount a route without a declaration in lib/http/route_table.ts: DELETE /task",
  );
});

Deno.test("docs/protocol.md lists every declared route with its credential and action", async () => {
  const doc = await Deno.readTextFile(new URL("../../docs/protocol.md", import.meta.url));
  const rows = [
    ...doc.matchAll(/^\| `([A-Z]+) (\/\S*)` +\| (required|none) +\| (?:`(\w+)`|—) +\|$/gm),
  ]
    .map(([, method, path, credential, action]) =>
      `${method} ${path} ${credential === "none" ? "public" : action}`
    );
  const declared = ROUTES.map((r) => `${r.method} ${r.path} ${r.public ? "public" : r.action}`);
  assert.deepEqual(rows, declared);
});

Deno.test("requirePublic() accepts public routes and refuses gated or undeclared ones", () => {
  const routes: RouteDeclaration[] = [
    { method: "POST", path: "/mesh/hello", public: true },
    { method: "GET", path: "/status", public: false, action: "read" },
  ];
  requirePublic([{ method: "POST", path: "/mesh/hello" }], routes);
  requirePublic([], routes);
  assert.throws(
    () =>
      requirePublic(
        [{ method: "POST", path: "/mesh/hello" }, { method: "GET", path: "/status" }],
        routes,
      ),
    (err: unknown) =>
      err instanceof TypeError &&
      err.message === "Cannot mount a route ahead of authentication unless public: GET /status",
  );
  assert.throws(() => requirePublic([{ method: "GET", path: "/x" }], routes), TypeError);
});
