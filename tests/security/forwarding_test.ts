import assert from "node:assert/strict";
import { SwarmError } from "../../lib/protocol/errors.ts";
import { forwardingFor, type PeerKind, peerUsable } from "../../lib/security/forwarding.ts";
import { fullGrant, type Grant } from "../../lib/security/grant.ts";

const SWARM_HTTPS: PeerKind = { swarm: true, scheme: "https" };
const SWARM_HTTP: PeerKind = { swarm: true, scheme: "http" };
const SKILLLITE_HTTP: PeerKind = { swarm: false, scheme: "http" };
const SKILLLITE_HTTPS: PeerKind = { swarm: false, scheme: "https" };
const PEERS = [SWARM_HTTPS, SWARM_HTTP, SKILLLITE_HTTP, SKILLLITE_HTTPS];

function tokenGrant(overrides: Partial<Grant> = {}): Grant {
  return {
    method: "token",
    subject: "ci",
    tokenId: "jti-1",
    actions: ["task"],
    capabilities: ["calc", "text"],
    skills: ["*"],
    expiresAtMs: 2_000_000_000_000,
    token: "eyJ.scoped.token",
    ...overrides,
  };
}

const NOT_SCOPED: Array<[name: string, grant: Grant | undefined]> = [
  ["no grant", undefined],
  ["an open node", fullGrant("open", "anonymous")],
  ["the shared secret", fullGrant("shared-secret", "shared-token")],
  ["a client certificate", {
    ...fullGrant("client-cert", "node-b"),
    clientCert: { commonName: "node-b", fingerprint256: "AA:BB" },
  }],
];

const OFF = { forwardScopedToSkilllite: false };
const ON = { forwardScopedToSkilllite: true };

Deno.test("forwardingFor().authorize() lets tags within a token's capabilities through", () => {
  const rules = forwardingFor(tokenGrant(), OFF);
  for (const required of [[], ["calc"], ["text"], ["calc", "text"]]) {
    assert.doesNotThrow(() => rules.authorize(required), JSON.stringify(required));
  }
});

const OUTSIDE: Array<[required: string[], missing: string]> = [
  [["gpu"], "capability:gpu"],
  [["calc", "gpu"], "capability:gpu"],
  [["vision", "calc"], "capability:vision"],
  [["*"], "capability:*"],
];

for (const [required, missing] of OUTSIDE) {
  Deno.test(`forwardingFor().authorize() refuses ${JSON.stringify(required)} with 403 naming ${missing}`, () => {
    const rules = forwardingFor(tokenGrant(), ON);
    assert.throws(() => rules.authorize(required), (err: unknown) => {
      assert.ok(err instanceof SwarmError);
      assert.equal(err.code, "forbidden");
      assert.equal(err.status, 403);
      assert.equal(err.details.missing_scope, missing);
      assert.ok(err.message.includes(missing.slice("capability:".length)), err.message);
      assert.ok(!err.message.includes("eyJ.scoped.token"));
      return true;
    });
  });
}

Deno.test("forwardingFor().authorize() refuses a grant without the task action as action:task", () => {
  const rules = forwardingFor(tokenGrant({ actions: ["read"], capabilities: ["*"] }), OFF);
  assert.throws(() => rules.authorize([]), (err: unknown) => {
    assert.ok(err instanceof SwarmError);
    assert.deepEqual(err.toBody(), {
      error: "forbidden",
      message: "The credential does not allow action 'task'",
      missing_scope: "action:task",
    });
    return true;
  });
});

Deno.test("forwardingFor().authorize() lets any tag through for a wildcard token and full grants", () => {
  const grants = [tokenGrant({ capabilities: ["*"] }), ...NOT_SCOPED.map(([, g]) => g)];
  for (const grant of grants) {
    assert.doesNotThrow(() => forwardingFor(grant, OFF).authorize(["gpu", "vision"]));
  }
});

for (const [name, grant] of NOT_SCOPED) {
  Deno.test(`forwardingFor() with ${name}: every peer, the node's own credential`, () => {
    for (const settings of [OFF, ON]) {
      const rules = forwardingFor(grant, settings);
      for (const peer of PEERS) {
        assert.equal(rules.peerFilter(peer), true, JSON.stringify(peer));
        assert.equal(rules.credential(peer), undefined, JSON.stringify(peer));
      }
    }
  });
}

const TOKEN_PEERS: Array<
  [peer: PeerKind, allowedOff: boolean, allowedOn: boolean, sendsToken: boolean]
> = [
  [SWARM_HTTPS, true, true, true],
  [SWARM_HTTP, true, true, true],
  [SKILLLITE_HTTP, false, true, false],
  [SKILLLITE_HTTPS, false, true, false],
];

for (const [peer, allowedOff, allowedOn, sendsToken] of TOKEN_PEERS) {
  const kind = `${peer.swarm ? "swarm" : "SkillLite"} ${peer.scheme} peer`;
  Deno.test(`forwardingFor() with a scoped token: a ${kind} is ${allowedOff ? "allowed" : "excluded"} by default and ${sendsToken ? "gets the caller's token" : "gets the node's credential"}`, () => {
    const grant = tokenGrant();
    const off = forwardingFor(grant, OFF);
    const on = forwardingFor(grant, ON);
    assert.equal(off.peerFilter(peer), allowedOff);
    assert.equal(on.peerFilter(peer), allowedOn);
    for (const rules of [off, on]) {
      assert.equal(rules.credential(peer), sendsToken ? "eyJ.scoped.token" : undefined);
    }
  });
}

Deno.test("forwardingFor() never sends a client certificate's or shared secret's grant token", () => {
  // A non-token grant that somehow carries a token string must not forward it.
  const odd: Grant = { ...fullGrant("shared-secret", "shared-token"), token: "leaked" };
  assert.equal(forwardingFor(odd, OFF).credential(SWARM_HTTPS), undefined);
});

const USABLE: Array<
  [scheme: "http" | "https", tls: boolean, allowPlainPeers: boolean, usable: boolean]
> = [
  ["https", true, false, true],
  ["https", false, false, true],
  ["http", false, false, true],
  ["http", true, false, false],
  ["http", true, true, true],
];

for (const [scheme, tls, allowPlainPeers, usable] of USABLE) {
  Deno.test(`peerUsable(): a ${scheme} peer of a ${tls ? "TLS" : "plain"} node${allowPlainPeers ? " allowing plain peers" : ""} → ${usable}`, () => {
    for (const swarm of [true, false]) {
      assert.equal(peerUsable({ swarm, scheme }, { tls, allowPlainPeers }), usable);
    }
  });
}
