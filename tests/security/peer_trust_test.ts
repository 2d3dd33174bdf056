import assert from "node:assert/strict";
import {
  type HelloOutcome,
  type PeerTrust,
  peerTrust,
  trusted,
  type TrustEvidence,
  type TrustSettings,
} from "../../lib/security/peer_trust.ts";

const TOKEN_NODE: TrustSettings = {
  credentials: true,
  sharedToken: true,
  meshCa: false,
  allowSkillLitePeers: false,
};
const KEYRING_NODE: TrustSettings = { ...TOKEN_NODE, sharedToken: false };
const MTLS_NODE: TrustSettings = { ...TOKEN_NODE, sharedToken: false, meshCa: true };
const OPEN_NODE: TrustSettings = { ...TOKEN_NODE, credentials: false, sharedToken: false };
const peer = (hello: HelloOutcome, extra: Partial<TrustEvidence> = {}): TrustEvidence => ({
  configured: false,
  scheme: "http",
  hello,
  tlsVerified: false,
  ...extra,
});

Deno.test("peerTrust() trusts only what proved membership, a named seed, or an opt-in", () => {
  const cases: Array<[string, TrustSettings, TrustEvidence, PeerTrust]> = [
    ["nothing to protect: open", OPEN_NODE, peer("unsupported"), "open"],
    ["token mesh: proven", TOKEN_NODE, peer("proven"), "token"],
    ["token mesh: mDNS spoof answering 404", TOKEN_NODE, peer("unsupported"), "unproven"],
    ["token mesh: relayed challenge", TOKEN_NODE, peer("refused"), "unproven"],
    ["token mesh: not reached yet", TOKEN_NODE, peer("pending"), "unproven"],
    ["token mesh: a node without the token", TOKEN_NODE, peer("no_proof"), "unproven"],
    [
      "token mesh: a configured seed must prove too",
      TOKEN_NODE,
      peer("no_proof", { configured: true }),
      "unproven",
    ],
    [
      "token mesh: SkillLite peer with the opt-in",
      { ...TOKEN_NODE, allowSkillLitePeers: true },
      peer("unsupported"),
      "skilllite",
    ],
    [
      "opt-in does not cover a wrong proof",
      { ...TOKEN_NODE, allowSkillLitePeers: true },
      peer("refused"),
      "unproven",
    ],
    [
      "keyring mesh: configured swarm seed",
      KEYRING_NODE,
      peer("no_proof", { configured: true }),
      "configured",
    ],
    ["keyring mesh: mDNS swarm peer", KEYRING_NODE, peer("no_proof"), "unproven"],
    [
      "keyring mesh: configured SkillLite seed without opt-in",
      KEYRING_NODE,
      peer("unsupported", { configured: true }),
      "unproven",
    ],
    [
      "mTLS mesh: certificate from the mesh CA",
      MTLS_NODE,
      peer("no_proof", { scheme: "https", tlsVerified: true }),
      "tls",
    ],
    [
      "mTLS mesh: https seed without a mesh certificate",
      MTLS_NODE,
      peer("no_proof", { scheme: "https", configured: true }),
      "unproven",
    ],
    [
      "mTLS mesh: plain-http seed cannot be asked for a certificate",
      MTLS_NODE,
      peer("no_proof", { scheme: "http", configured: true }),
      "configured",
    ],
  ];
  for (const [name, node, evidence, want] of cases) {
    const decision = peerTrust(node, evidence);
    assert.equal(decision.trust, want, name);
    assert.ok(decision.reason.length > 0, name);
  }
});

Deno.test("peerTrust() says why a peer is unproven", () => {
  assert.match(peerTrust(TOKEN_NODE, peer("unsupported")).reason, /--allow-skilllite-peers/);
  assert.match(peerTrust(TOKEN_NODE, peer("refused")).reason, /relayed challenge/);
  assert.match(peerTrust(KEYRING_NODE, peer("no_proof")).reason, /shared token or TLS/);
});

Deno.test("trusted() is false only for unproven and unknown peers", () => {
  const all: PeerTrust[] = ["open", "tls", "token", "configured", "skilllite", "unproven"];
  assert.deepEqual(all.filter(trusted), ["open", "tls", "token", "configured", "skilllite"]);
  assert.equal(trusted(undefined), false);
});
