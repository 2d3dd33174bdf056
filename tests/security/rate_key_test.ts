import assert from "node:assert/strict";
import { fullGrant, type Grant } from "../../lib/security/grant.ts";
import { rateKey } from "../../lib/security/rate_key.ts";

const CERT = { commonName: "node-b", fingerprint256: "AA:BB:CC" };

function token(overrides: Partial<Grant> = {}): Grant {
  return {
    method: "token",
    subject: "ci",
    tokenId: "jti-1",
    actions: ["task"],
    capabilities: ["*"],
    skills: ["*"],
    token: "eyJhbGciOiJFZERTQSJ9.e30.c2ln",
    ...overrides,
  };
}

const KEYS: Array<[name: string, grant: Grant, address: string, expected: string]> = [
  ["a scoped token by its id", token(), "10.0.0.2", "token:jti-1"],
  ["a scoped token over mTLS by its id", token({ clientCert: CERT }), "10.0.0.2", "token:jti-1"],
  [
    "a token grant without an id by address",
    token({ tokenId: undefined }),
    "10.0.0.2",
    "addr:10.0.0.2",
  ],
  [
    "a token grant with an empty id by address",
    token({ tokenId: "" }),
    "10.0.0.3",
    "addr:10.0.0.3",
  ],
  [
    "a client certificate by its fingerprint",
    { ...fullGrant("client-cert", "node-b"), clientCert: CERT },
    "10.0.0.2",
    "cert:AA:BB:CC",
  ],
  [
    "the shared secret over mTLS by the certificate",
    { ...fullGrant("shared-secret", "shared-token"), clientCert: CERT },
    "10.0.0.2",
    "cert:AA:BB:CC",
  ],
  [
    "the shared secret by address",
    fullGrant("shared-secret", "shared-token"),
    "10.0.0.4",
    "addr:10.0.0.4",
  ],
  ["an open node's caller by address", fullGrant("open", "anonymous"), "::1", "addr:::1"],
  ["a caller with no address", fullGrant("open", "anonymous"), "", "addr:"],
  [
    "a non-token grant with a tokenId by address",
    { ...fullGrant("shared-secret", "shared-token"), tokenId: "jti-x" },
    "10.0.0.5",
    "addr:10.0.0.5",
  ],
];

for (const [name, grant, address, expected] of KEYS) {
  Deno.test(`rateKey() keys ${name}`, () => {
    assert.equal(rateKey(grant, address), expected);
  });
}

Deno.test("rateKey() gives one token the same key from any address, and two tokens two keys", () => {
  assert.equal(rateKey(token(), "10.0.0.2"), rateKey(token(), "10.0.0.9"));
  assert.notEqual(rateKey(token(), "10.0.0.2"), rateKey(token({ tokenId: "jti-2" }), "10.0.0.2"));
});

Deno.test("rateKey() never contains the raw token", () => {
  const grant = token({ clientCert: CERT });
  for (const address of ["10.0.0.2", ""]) {
    const key = rateKey(grant, address);
    assert.ok(!key.includes(grant.token!), key);
    for (const part of grant.token!.split(".")) assert.ok(!key.includes(part), key);
  }
});
