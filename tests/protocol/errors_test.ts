import assert from "node:assert/strict";
import {
  ERROR_STATUS,
  type ErrorCode,
  SwarmError,
  toSwarmError,
} from "../../lib/protocol/errors.ts";
import { ConfigError } from "../../lib/config/load.ts";
import { UsageError } from "../../lib/cli/_usage.ts";
import { KeyringError } from "../../lib/security/keyring.ts";
import { TokenError } from "../../lib/security/token_verify.ts";

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

const VOCABULARY_STATUSES: Array<[code: ErrorCode, status: number]> = [
  ["peer_unreachable", 502],
  ["config_invalid", 400],
  ["keyring_invalid", 400],
  ["invalid_argument", 400],
];

for (const [code, status] of VOCABULARY_STATUSES) {
  Deno.test(`SwarmError() maps ${code} to HTTP ${status}`, () => {
    assert.equal(new SwarmError(code, "m").status, status);
  });
}

Deno.test("toSwarmError() keeps the code of every typed error of swarm", () => {
  const cases: Array<[Error, ErrorCode, string]> = [
    [new ConfigError("Option --listen must be HOST:PORT"), "config_invalid", "ConfigError"],
    [new UsageError("Unknown option '--nope'"), "invalid_argument", "UsageError"],
    [new KeyringError("Invalid keyring: not JSON"), "keyring_invalid", "KeyringError"],
    [new TokenError("expired", "Token expired"), "unauthorized", "TokenError"],
  ];
  for (const [err, code, name] of cases) {
    const swarm = toSwarmError(err);
    assert.equal(swarm, err, name);
    assert.equal(swarm.code, code, name);
    assert.equal(swarm.name, name);
    assert.equal(swarm.message, err.message, name);
    assert.equal(swarm.status, ERROR_STATUS[code], name);
  }
});

Deno.test("TokenError carries its refusal reason as a detail of its unauthorized body", () => {
  const err = new TokenError("revoked", "Token was revoked");
  assert.equal(err.reason, "revoked");
  assert.deepEqual(err.toBody(), {
    error: "unauthorized",
    message: "Token was revoked",
    reason: "revoked",
  });
});
