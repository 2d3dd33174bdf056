import assert from "node:assert/strict";
import { Hono } from "hono";
import { onError } from "../../../lib/http/middleware/errors.ts";
import {
  DEFAULT_MAX_TARGET_BYTES,
  headerLimits,
  type HeaderLimitsOptions,
  headerProblem,
} from "../../../lib/http/middleware/header_limits.ts";

/** A tiny app with the header limits in front of every route, and the error handler. */
function appWith(options: HeaderLimitsOptions) {
  const app = new Hono();
  app.use(headerLimits(options));
  app.get("*", (c) => c.json({ ok: true }));
  app.onError(onError((err) => {
    throw err;
  }));
  return app;
}

/** Headers named h0, h1, … with `value` each. */
function headersOf(count: number, value = "v"): Headers {
  const headers = new Headers();
  for (let i = 0; i < count; i++) headers.set(`h${i}`, value);
  return headers;
}

/** The size headerLimits counts for `path` and `headers`. */
function blockBytes(path: string, headers: Headers): number {
  let bytes = path.length;
  for (const [name, value] of headers) bytes += name.length + value.length + 4;
  return bytes;
}

Deno.test("headerProblem() counts name + value + 4 per header, plus the target", () => {
  const request = new Request("http://x/task?stream=1", {
    headers: { authorization: "Bearer t", "content-type": "application/json" },
  });
  const bytes = "/task?stream=1".length + (13 + 8 + 4) + (12 + 16 + 4);
  assert.equal(headerProblem(request, { maxHeaderBytes: bytes, maxHeaders: 2 }), undefined);
  assert.deepEqual(headerProblem(request, { maxHeaderBytes: bytes - 1, maxHeaders: 2 }), {
    kind: "bytes",
    bytes,
  });
  assert.deepEqual(headerProblem(request, { maxHeaderBytes: bytes, maxHeaders: 1 }), {
    kind: "count",
    count: 2,
  });
});

const OPTIONS = { maxHeaderBytes: 2_000, maxHeaders: 10 };

Deno.test("headerLimits() accepts exactly maxHeaders headers and refuses one more with 431", async () => {
  const app = appWith(OPTIONS);
  const ok = await app.request("http://localhost/status", { headers: headersOf(10) });
  assert.equal(ok.status, 200);
  const refused = await app.request("http://localhost/status", { headers: headersOf(11) });
  assert.equal(refused.status, 431);
  assert.deepEqual(await refused.json(), {
    error: "headers_too_large",
    message: "Request has 11 header fields: more than 10",
    max_headers: 10,
    max_bytes: 2_000,
  });
});

Deno.test("headerLimits() accepts exactly maxHeaderBytes and refuses one byte more with 431", async () => {
  const app = appWith(OPTIONS);
  const path = "/status";
  const fill = (extra: number) => {
    const headers = new Headers({ big: "" });
    headers.set("big", "x".repeat(OPTIONS.maxHeaderBytes - blockBytes(path, headers) + extra));
    return headers;
  };
  assert.equal(blockBytes(path, fill(0)), OPTIONS.maxHeaderBytes);
  assert.equal((await app.request(`http://localhost${path}`, { headers: fill(0) })).status, 200);
  const refused = await app.request(`http://localhost${path}`, { headers: fill(1) });
  assert.equal(refused.status, 431);
  const body = await refused.json();
  assert.equal(body.error, "headers_too_large");
  assert.equal(
    body.message,
    `Request headers are ${OPTIONS.maxHeaderBytes + 1} bytes: more than 2000`,
  );
});

Deno.test("headerLimits() counts the request target in the header bytes", async () => {
  const app = appWith({ maxHeaderBytes: 100, maxHeaders: 10 });
  assert.equal((await app.request(`http://localhost/${"a".repeat(99)}`)).status, 200);
  assert.equal((await app.request(`http://localhost/${"a".repeat(100)}`)).status, 431);
  assert.equal((await app.request(`http://localhost/?q=${"a".repeat(97)}`)).status, 431);
});

Deno.test("headerLimits() accepts an 8 KiB request target and refuses one byte more with 414", async () => {
  const app = appWith({ maxHeaderBytes: 16_384, maxHeaders: 100 });
  const prefix = "/can-do?required=";
  const at = prefix + "a".repeat(DEFAULT_MAX_TARGET_BYTES - prefix.length);
  assert.equal(at.length, 8_192);
  assert.equal((await app.request(`http://localhost${at}`)).status, 200);
  const refused = await app.request(`http://localhost${at}a`);
  assert.equal(refused.status, 414);
  assert.deepEqual(await refused.json(), {
    error: "uri_too_long",
    message: "Request target is 8193 bytes: more than 8192",
    max_bytes: 8_192,
  });
});

Deno.test("headerLimits() measures the target percent-encoded, as it travels", async () => {
  const app = appWith({ maxHeaderBytes: 16_384, maxHeaders: 100, maxTargetBytes: 20 });
  // "/?q=" + 6 × "%E7%AD%89" (等, 9 bytes encoded) = 58 bytes.
  assert.equal((await app.request(`http://localhost/?q=${"等".repeat(6)}`)).status, 414);
  assert.equal((await app.request(`http://localhost/?q=${"a".repeat(16)}`)).status, 200);
});

Deno.test("headerLimits() checks the target before the headers", async () => {
  const app = appWith({ maxHeaderBytes: 100, maxHeaders: 1, maxTargetBytes: 50 });
  const response = await app.request(`http://localhost/${"a".repeat(60)}`, {
    headers: headersOf(5),
  });
  assert.equal(response.status, 414);
});

Deno.test("headerLimits() never echoes a header's name or value", async () => {
  const secret = "Bearer eyJzZWNyZXQiOnRydWV9";
  const app = appWith({ maxHeaderBytes: 100, maxHeaders: 10 });
  const response = await app.request("http://localhost/status", {
    headers: { authorization: secret + "x".repeat(100) },
  });
  assert.equal(response.status, 431);
  const text = await response.text();
  assert.ok(!text.includes(secret) && !text.includes("authorization"), text);
});

const BAD_OPTIONS: Array<[name: string, options: HeaderLimitsOptions]> = [
  ["maxHeaderBytes 0", { maxHeaderBytes: 0, maxHeaders: 1 }],
  ["maxHeaders -1", { maxHeaderBytes: 1, maxHeaders: -1 }],
  ["fractional maxHeaders", { maxHeaderBytes: 1, maxHeaders: 1.5 }],
  ["NaN maxHeaderBytes", { maxHeaderBytes: NaN, maxHeaders: 1 }],
  ["maxTargetBytes 0", { maxHeaderBytes: 1, maxHeaders: 1, maxTargetBytes: 0 }],
  ["-Infinity maxHeaders", { maxHeaderBytes: 1, maxHeaders: -Infinity }],
];

for (const [name, options] of BAD_OPTIONS) {
  Deno.test(`headerLimits() refuses ${name} at set-up with a RangeError`, () => {
    assert.throws(() => headerLimits(options), RangeError);
  });
}

Deno.test("headerLimits() treats Infinity as no limit", async () => {
  const app = appWith({ maxHeaderBytes: Infinity, maxHeaders: Infinity, maxTargetBytes: Infinity });
  const response = await app.request(`http://localhost/${"a".repeat(20_000)}`, {
    headers: headersOf(500, "x".repeat(100)),
  });
  assert.equal(response.status, 200);
  const limited = appWith({ maxHeaderBytes: Infinity, maxHeaders: 5 });
  assert.equal((await limited.request("http://localhost/", { headers: headersOf(6) })).status, 431);
});
