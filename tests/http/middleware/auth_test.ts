import assert from "node:assert/strict";
import { type Context, Hono } from "hono";
import {
  authenticate,
  type AuthFailure,
  authorizeAction,
  grantOf,
} from "../../../lib/http/middleware/auth.ts";
import type { RouteDeclaration } from "../../../lib/http/route_table.ts";
import { onError } from "../../../lib/http/middleware/errors.ts";
import type { Caller } from "../../../lib/http/server.ts";
import {
  type Action,
  type ClientCertificate,
  fullGrant,
  type Grant,
} from "../../../lib/security/grant.ts";
import { createKeyring, type Keyring, serializeKeyring } from "../../../lib/security/keyring.ts";
import { generateKeyPair } from "../../../lib/security/keyring_keygen.ts";
import { addKey, recordToken, revokeToken } from "../../../lib/security/keyring_ops.ts";
import { keyringVerifier } from "../../../lib/security/keyring_verifier.ts";
import {
  type IssuedToken,
  issueToken,
  type IssueTokenOptions,
} from "../../../lib/security/token_issue.ts";

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

// ---- Scoped tokens, client certificates and authorization ----

const MESH = "mesh-authtest";
const CERT: ClientCertificate = { commonName: "node-b", fingerprint256: "AB:CD:EF" };
const HOUR_MS = 60 * 60 * 1000;

/** A keyring with one active key, and helpers to issue tokens from it. */
async function keyringFixture(): Promise<{
  keyring: Keyring;
  issue: (options?: Partial<IssueTokenOptions>, kr?: Keyring) => Promise<IssuedToken>;
  verifier: (kr?: Keyring) => Promise<(token: string) => Promise<Grant>>;
}> {
  const keyring = addKey(createKeyring(MESH), await generateKeyPair());
  return {
    keyring,
    issue: (options = {}, kr = keyring) =>
      issueToken(kr, {
        subject: "ci",
        actions: ["task", "read"],
        capabilities: ["*"],
        skills: ["*"],
        ttlMs: HOUR_MS,
        ...options,
      }),
    verifier: async (kr = keyring) => (await keyringVerifier(serializeKeyring(kr)))!,
  };
}

interface Gate {
  app: Hono;
  failures: Array<[reason: AuthFailure, path: string]>;
  reached: () => number;
}

/** An app with `authenticate` + `authorizeAction`, echoing the grant as JSON. */
function gate(
  options: {
    secret?: string;
    verify?: (token: string) => Promise<Grant>;
  },
): Gate {
  const failures: Gate["failures"] = [];
  let reached = 0;
  const app = new Hono();
  app.use(authenticate({
    sharedSecret: () => options.secret,
    verifyToken: () => options.verify,
    onFailure: (reason, path) => failures.push([reason, path]),
  }));
  app.use(authorizeAction());
  const echo = (c: Context) => {
    reached++;
    return c.json(grantOf(c));
  };
  app.get("/status", echo);
  app.get("/can-do", echo);
  app.post("/task", echo);
  app.onError(onError(() => {}));
  return { app, failures, reached: () => reached };
}

/** Sends one request as `caller` (what the server hands Hono as its env). */
function send(
  app: Hono,
  options: { method?: string; path?: string; bearer?: string; caller?: Caller } = {},
): Promise<Response> {
  const { method = "GET", path = "/status", bearer, caller } = options;
  const headers: Record<string, string> = bearer === undefined
    ? {}
    : { authorization: `Bearer ${bearer}` };
  return Promise.resolve(
    app.request(
      `http://localhost${path}`,
      { method, headers, ...(method === "POST" ? { body: "{}" } : {}) },
      caller ?? { remoteAddress: "127.0.0.1" },
    ),
  );
}

Deno.test("authenticate() gives an open node's caller the full grant, method open", async () => {
  const { app } = gate({});
  const response = await send(app);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), fullGrant("open", "anonymous"));
});

Deno.test("authenticate() names an open node's caller by its client certificate's CN", async () => {
  const { app } = gate({});
  const response = await send(app, { caller: { remoteAddress: "10.0.0.2", clientCert: CERT } });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), {
    ...fullGrant("client-cert", "node-b"),
    clientCert: CERT,
  });
});

Deno.test("authenticate() gives the shared secret the full grant, keeping the client certificate", async () => {
  const { verifier } = await keyringFixture();
  const { app } = gate({ secret: "s3cret", verify: await verifier() });
  const plain = await send(app, { bearer: "s3cret" });
  assert.equal(plain.status, 200);
  assert.deepEqual(await plain.json(), fullGrant("shared-secret", "shared-token"));
  const withCert = await send(app, {
    bearer: "s3cret",
    caller: { remoteAddress: "10.0.0.2", clientCert: CERT },
  });
  assert.deepEqual(await withCert.json(), {
    ...fullGrant("shared-secret", "shared-token"),
    clientCert: CERT,
  });
});

Deno.test("authenticate() refuses a wrong shared secret with 401 {error, message} only", async () => {
  const { app, failures, reached } = gate({ secret: "s3cret" });
  const response = await send(app, { bearer: "s3cret-not" });
  assert.equal(response.status, 401);
  const text = await response.text();
  assert.deepEqual(JSON.parse(text), {
    error: "unauthorized",
    message: "Missing or invalid bearer token",
  });
  assert.ok(!text.includes("s3cret"), "the body never echoes what was presented");
  assert.deepEqual(failures, [["invalid", "/status"]]);
  assert.equal(reached(), 0);
});

const MALFORMED_HEADERS: Array<[name: string, header: string]> = [
  ["another scheme", "Basic czNjcmV0"],
  ["three parts", "Bearer s3cret extra"],
  ["no token", "Bearer"],
];

for (const [name, header] of MALFORMED_HEADERS) {
  Deno.test(`authenticate() refuses an Authorization header with ${name} as invalid`, async () => {
    const { verifier } = await keyringFixture();
    for (const verify of [undefined, await verifier()]) {
      const { app, failures } = gate({ secret: "s3cret", verify });
      const response = await app.request("http://localhost/status", {
        headers: { authorization: header },
      }, { remoteAddress: "127.0.0.1" });
      assert.equal(response.status, 401);
      assert.deepEqual(await response.json(), {
        error: "unauthorized",
        message: "Missing or invalid bearer token",
      });
      assert.deepEqual(failures, [["invalid", "/status"]]);
    }
  });
}

Deno.test("authenticate() accepts a keyring token with method token, its id and the raw token", async () => {
  const { issue, verifier } = await keyringFixture();
  const { token, claims } = await issue({ capabilities: ["calc"], skills: ["calculator"] });
  const { app } = gate({ verify: await verifier() });
  const response = await send(app, { bearer: token });
  assert.equal(response.status, 200);
  const grant = await response.json();
  assert.deepEqual(grant, {
    method: "token",
    subject: "ci",
    tokenId: claims.jti,
    actions: ["task", "read"],
    capabilities: ["calc"],
    skills: ["calculator"],
    expiresAtMs: claims.exp * 1000,
    token,
  });
});

Deno.test("authenticate() accepts a keyring token next to a configured shared secret", async () => {
  const { issue, verifier } = await keyringFixture();
  const { token, claims } = await issue();
  const { app } = gate({ secret: "s3cret", verify: await verifier() });
  const grant = await (await send(app, {
    bearer: token,
    caller: { remoteAddress: "10.0.0.2", clientCert: CERT },
  })).json();
  assert.equal(grant.method, "token");
  assert.equal(grant.tokenId, claims.jti);
  assert.equal(grant.token, token);
  assert.deepEqual(grant.clientCert, CERT, "the certificate travels with the token's grant");
});

/** Tokens the keyring refuses, with the refusal reason the body must carry. */
const REFUSED_TOKENS: Array<
  [
    reason: string,
    make: (f: Awaited<ReturnType<typeof keyringFixture>>) => Promise<{
      token: string;
      verify: (token: string) => Promise<Grant>;
    }>,
  ]
> = [
  ["expired", async (f) => ({
    token: (await f.issue({ now: Date.now() - 3 * HOUR_MS, ttlMs: HOUR_MS })).token,
    verify: await f.verifier(),
  })],
  ["revoked", async (f) => {
    const issued = await f.issue();
    const kr = revokeToken(recordToken(f.keyring, issued.record), issued.claims.jti);
    return { token: issued.token, verify: await f.verifier(kr) };
  }],
  ["wrong_audience", async (f) => {
    // Same key, another mesh: the signature verifies, the audience does not.
    const other: Keyring = { ...f.keyring, audience: "mesh-other" };
    return { token: (await f.issue({}, other)).token, verify: await f.verifier() };
  }],
  ["malformed", async (f) => ({ token: "garbage-not-a-jwt", verify: await f.verifier() })],
  ["unknown_key", async (f) => {
    const foreign = addKey(createKeyring(MESH), await generateKeyPair());
    return { token: (await f.issue({}, foreign)).token, verify: await f.verifier() };
  }],
];

for (const [reason, make] of REFUSED_TOKENS) {
  Deno.test(`authenticate() refuses a ${reason} token with 401 naming the reason, never the token`, async () => {
    const { token, verify } = await make(await keyringFixture());
    const { app, failures, reached } = gate({ secret: "s3cret", verify });
    const response = await send(app, { bearer: token, path: "/can-do" });
    assert.equal(response.status, 401);
    assert.equal(response.headers.get("www-authenticate"), "Bearer");
    const text = await response.text();
    assert.deepEqual(JSON.parse(text), {
      error: "unauthorized",
      message: `Invalid token: ${reason.replaceAll("_", " ")}`,
      reason,
    });
    assert.ok(!text.includes(token), "the body never echoes the token");
    for (const part of token.split(".")) assert.ok(!text.includes(part), "nor any part of it");
    assert.deepEqual(failures, [[reason, "/can-do"]]);
    assert.equal(reached(), 0);
  });
}

Deno.test("authenticate() reads a token refusal without a reason as invalid, with no reason field", async () => {
  const { app, failures } = gate({ verify: () => Promise.reject(new Error("boom")) });
  const response = await send(app, { bearer: "a.b.c" });
  assert.equal(response.status, 401);
  assert.deepEqual(await response.json(), {
    error: "unauthorized",
    message: "Invalid token: invalid",
  });
  assert.deepEqual(failures, [["invalid", "/status"]]);
});

Deno.test("authenticate() refuses a token when only a shared secret is configured", async () => {
  const { issue } = await keyringFixture();
  const { app, failures } = gate({ secret: "s3cret" });
  const response = await send(app, { bearer: (await issue()).token });
  assert.equal(response.status, 401);
  assert.deepEqual(await response.json(), {
    error: "unauthorized",
    message: "Missing or invalid bearer token",
  });
  assert.deepEqual(failures, [["invalid", "/status"]]);
});

Deno.test("authenticate() does not take a client certificate alone when a secret or keyring is configured", async () => {
  const { verifier } = await keyringFixture();
  const verify = await verifier();
  const configs: Array<[name: string, options: Parameters<typeof gate>[0]]> = [
    ["a shared secret", { secret: "s3cret" }],
    ["a keyring", { verify }],
    ["both", { secret: "s3cret", verify }],
  ];
  for (const [name, options] of configs) {
    const { app, failures, reached } = gate(options);
    const response = await send(app, { caller: { remoteAddress: "10.0.0.2", clientCert: CERT } });
    assert.equal(response.status, 401, name);
    assert.deepEqual(await response.json(), {
      error: "unauthorized",
      message: "Missing or invalid bearer token",
    }, name);
    assert.deepEqual(failures, [["missing", "/status"]], name);
    assert.equal(reached(), 0, name);
  }
});

Deno.test("authenticate() reads the secret and the verifier per request (live reload)", async () => {
  const { issue, verifier } = await keyringFixture();
  const { token } = await issue();
  let verify: ((token: string) => Promise<Grant>) | undefined = undefined;
  const app = new Hono();
  app.use(authenticate({ sharedSecret: () => undefined, verifyToken: () => verify }));
  app.get("/status", (c) => c.json(grantOf(c)));
  app.onError(onError(() => {}));
  assert.equal((await (await send(app, { bearer: token })).json()).method, "open");
  verify = await verifier();
  assert.equal((await (await send(app, { bearer: token })).json()).method, "token");
  assert.equal((await send(app)).status, 401);
});

const FORBIDDEN: Array<
  [name: string, actions: Action[], method: string, path: string, missing: string]
> = [
  ["POST /task with a read-only token", ["read"], "POST", "/task", "action:task"],
  ["GET /status with a task-only token", ["task"], "GET", "/status", "action:read"],
  ["GET /can-do with a task-only token", ["task"], "GET", "/can-do", "action:read"],
  ["POST /task with a publish-only token", ["publish"], "POST", "/task", "action:task"],
];

for (const [name, actions, method, path, missing] of FORBIDDEN) {
  Deno.test(`authorizeAction() refuses ${name} with 403 naming ${missing}`, async () => {
    const { issue, verifier } = await keyringFixture();
    const { token } = await issue({ actions });
    const { app, failures, reached } = gate({ verify: await verifier() });
    const response = await send(app, { method, path, bearer: token });
    assert.equal(response.status, 403);
    const text = await response.text();
    const action = missing.slice("action:".length);
    assert.deepEqual(JSON.parse(text), {
      error: "forbidden",
      message: `Credential of 'ci' lacks the '${action}' action`,
      missing_scope: missing,
    });
    assert.ok(!text.includes(token));
    assert.deepEqual(failures, [], "a 403 is not an authentication failure");
    assert.equal(reached(), 0);
  });
}

const ALLOWED: Array<[name: string, actions: Action[], method: string, path: string]> = [
  ["POST /task with a task token", ["task"], "POST", "/task"],
  ["GET /status with a read token", ["read"], "GET", "/status"],
  ["POST /task with an admin token", ["admin"], "POST", "/task"],
  ["GET /can-do with an admin token", ["admin"], "GET", "/can-do"],
];

for (const [name, actions, method, path] of ALLOWED) {
  Deno.test(`authorizeAction() lets through ${name}`, async () => {
    const { issue, verifier } = await keyringFixture();
    const { token } = await issue({ actions });
    const { app, reached } = gate({ verify: await verifier() });
    const response = await send(app, { method, path, bearer: token });
    assert.equal(response.status, 200);
    assert.equal(reached(), 1);
  });
}

Deno.test("authorizeAction() lets the shared secret and an open node do everything", async () => {
  for (const [options, bearer] of [[{ secret: "s3cret" }, "s3cret"], [{}, undefined]] as const) {
    const { app } = gate(options);
    assert.equal((await send(app, { method: "POST", path: "/task", bearer })).status, 200);
    assert.equal((await send(app, { bearer })).status, 200);
  }
});

const UNDECLARED: Array<
  [name: string, actions: Action[], method: string, path: string, status: number]
> = [
  // Mounted below but not declared: refused even to a token holding every action.
  ["GET /undeclared with an admin token", ["admin"], "GET", "/undeclared", 404],
  ["GET /undeclared with a read token", ["read"], "GET", "/undeclared", 404],
  ["POST /undeclared with a task token", ["task"], "POST", "/undeclared", 404],
  // A declared path with another method: 405, whatever the token holds.
  ["GET /task with a read token", ["read"], "GET", "/task", 405],
  ["POST /status with a task token", ["task"], "POST", "/status", 405],
];

for (const [name, actions, method, path, status] of UNDECLARED) {
  Deno.test(`authorizeAction() refuses ${name} with ${status} before any handler`, async () => {
    const { issue, verifier } = await keyringFixture();
    const { token } = await issue({ actions });
    const { app, reached } = gate({ verify: await verifier() });
    let undeclared = 0;
    app.on(["GET", "POST"], "/undeclared", (c) => {
      undeclared++;
      return c.text("open");
    });
    app.on("GET", "/task", (c) => {
      undeclared++;
      return c.text("open");
    });
    const response = await send(app, { method, path, bearer: token });
    assert.equal(response.status, status);
    const body = await response.json();
    assert.equal(body.error, status === 404 ? "not_found" : "method_not_allowed");
    assert.equal(undeclared + reached(), 0);
  });
}

Deno.test("authorizeAction() takes the action from the route table it is given", async () => {
  const routes: RouteDeclaration[] = [
    { method: "GET", path: "/status", public: false, action: "admin" },
  ];
  const { issue, verifier } = await keyringFixture();
  const app = new Hono();
  app.use(authenticate({ sharedSecret: () => undefined, verifyToken: () => verify, routes }));
  app.use(authorizeAction({ routes }));
  app.get("/status", (c) => c.text("in"));
  app.onError(onError(() => {}));
  const verify = await verifier();
  const read = await send(app, { bearer: (await issue({ actions: ["read"] })).token });
  assert.equal(read.status, 403);
  assert.equal((await read.json()).missing_scope, "action:admin");
  const admin = await send(app, { bearer: (await issue({ actions: ["admin"] })).token });
  assert.equal(admin.status, 200);
});

Deno.test("grantOf() refuses a route reached without authenticate as internal", async () => {
  const app = new Hono();
  app.get("/x", (c) => c.json(grantOf(c)));
  app.onError(onError(() => {}));
  const response = await app.request("http://localhost/x");
  assert.equal(response.status, 500);
  assert.equal((await response.json()).error, "internal");
});

const PUBLIC: Array<[method: string, path: string, open: boolean]> = [
  ["GET", "/healthz", true],
  ["HEAD", "/healthz", true],
  ["GET", "/readyz", true],
  ["POST", "/healthz", false],
  ["GET", "/healthz/", false],
  ["GET", "/status", false],
  ["POST", "/task", false],
];

for (const [method, path, open] of PUBLIC) {
  Deno.test(`authenticate() ${open ? "skips" : "gates"} ${method} ${path}`, async () => {
    const { app, failures } = gate({ secret: "s3cret" });
    app.on(["GET", "POST"], ["/healthz", "/readyz", "/healthz/"], (c) => c.text("in"));
    const response = await send(app, { method, path });
    assert.equal(response.status === 401, !open, `${method} ${path}: ${response.status}`);
    assert.equal(failures.length, open ? 0 : 1);
  });
}

Deno.test("authenticate() skips the routes its table declares public, no others", async () => {
  const routes: RouteDeclaration[] = [{ method: "GET", path: "/status", public: true }];
  const app = new Hono();
  app.use(authenticate({ sharedSecret: () => "s3cret", verifyToken: () => undefined, routes }));
  app.get("/status", (c) => c.text("in"));
  app.get("/healthz", (c) => c.text("in"));
  app.onError(onError(() => {}));
  assert.equal((await send(app)).status, 200);
  assert.equal((await send(app, { path: "/healthz" })).status, 401);
});
