import assert from "node:assert/strict";
import {
  ERROR_STATUS,
  type ErrorCode,
  SwarmError,
  toSwarmError,
} from "../../lib/protocol/errors.ts";

const SKILLLITE_STATUSES: Array<[code: ErrorCode, status: number]> = [
  ["unauthorized", 401],
  ["no_match", 503],
  ["forward_failed", 502],
  ["local_executor_not_configured", 503],
  ["execution_failed", 500],
  ["internal", 500],
  ["invalid_json", 400],
  ["invalid_task", 422],
  ["unsupported_media_type", 415],
  ["payload_too_large", 413],
];

for (const [code, status] of SKILLLITE_STATUSES) {
  Deno.test(`SwarmError() maps ${code} to HTTP ${status}`, () => {
    assert.equal(new SwarmError(code, "m").status, status);
  });
}

Deno.test("SwarmError() maps every code to an HTTP error status", () => {
  for (const [code, status] of Object.entries(ERROR_STATUS)) {
    assert.ok(status >= 400 && status <= 599, `${code} → ${status}`);
    assert.equal(new SwarmError(code as ErrorCode, "m").status, status);
  }
});

Deno.test("SwarmError.toBody() gives {error, message} plus details", () => {
  const err = new SwarmError("no_match", "No node can do: gpu", { required_capabilities: ["gpu"] });
  assert.deepEqual(err.toBody(), {
    error: "no_match",
    message: "No node can do: gpu",
    required_capabilities: ["gpu"],
  });
  assert.equal(err.name, "SwarmError");
  assert.ok(err instanceof Error);
});

Deno.test("SwarmError.toBody() never lets details override error or message", () => {
  const err = new SwarmError("timeout", "Too slow", { error: "x", message: "y", timeout_ms: 1 });
  assert.deepEqual(err.toBody(), { error: "timeout", message: "Too slow", timeout_ms: 1 });
});

Deno.test("SwarmError() keeps its cause", () => {
  const cause = new Error("root");
  assert.equal(new SwarmError("internal", "m", {}, { cause }).cause, cause);
});

Deno.test("toSwarmError() passes a SwarmError through unchanged", () => {
  const err = new SwarmError("no_match", "m");
  assert.equal(toSwarmError(err), err);
});

Deno.test("toSwarmError() turns other errors and values into internal", () => {
  const plain = new TypeError("boom");
  const fromError = toSwarmError(plain);
  assert.equal(fromError.code, "internal");
  assert.equal(fromError.status, 500);
  assert.equal(fromError.message, "boom");
  assert.equal(fromError.cause, plain);
  assert.equal(toSwarmError("text").message, "text");
  assert.equal(toSwarmError(undefined).code, "internal");
});

const LIMIT_STATUSES: Array<[code: ErrorCode, status: number]> = [
  ["rate_limited", 429],
  ["headers_too_large", 431],
  ["uri_too_long", 414],
];

for (const [code, status] of LIMIT_STATUSES) {
  Deno.test(`SwarmError() maps the limit code ${code} to HTTP ${status}`, () => {
    assert.equal(new SwarmError(code, "m").status, status);
  });
}
