import assert from "node:assert/strict";
import type { Config } from "../../lib/config/config.ts";
import { loadConfig } from "../../lib/config/load.ts";
import type { SecurityMaterial } from "../../lib/node/security_material.ts";
import { securityStatus } from "../../lib/node/security_status.ts";
import {
  createMeshCa,
  describeCertificate,
  issueCertificate,
} from "../../lib/security/certificates.ts";
import { createKeyring, type Keyring, serializeKeyring } from "../../lib/security/keyring.ts";
import { generateKeyPair } from "../../lib/security/keyring_keygen.ts";
import {
  activateKey,
  addKey,
  recordToken,
  retireKey,
  revokeToken,
} from "../../lib/security/keyring_ops.ts";
import { issueToken } from "../../lib/security/token_issue.ts";

const ca = await createMeshCa({ commonName: "status test CA" });
const node = await issueCertificate({
  caCertPem: ca.certPem,
  caKeyPem: ca.keyPem,
  commonName: "node-a",
  dns: ["node-a.lan"],
  ips: ["127.0.0.1"],
  usage: "both",
});
const nodeInfo = await describeCertificate(node.certPem);

function config(args: string[] = [], env: Record<string, string> = {}): Config {
  const result = loadConfig({
    args: ["--data-dir", ":memory:", ...args],
    env,
    cwd: "/srv/node",
    readTextFile: () => "unused",
  });
  if (result.help) throw new Error("unreachable");
  return result.config;
}

/** A keyring with an active key, a verify-only key, a retired key and one revoked token. */
async function threeKeyKeyring(): Promise<{ kr: Keyring; kids: string[]; secrets: string[] }> {
  const pairs = [await generateKeyPair(), await generateKeyPair(), await generateKeyPair()];
  let kr = createKeyring("mesh-status");
  for (const pair of pairs) kr = addKey(kr, pair);
  const [retired, verifyOnly, active] = pairs.map((p) => p.kid);
  kr = activateKey(kr, verifyOnly);
  kr = retireKey(kr, retired);
  kr = activateKey(kr, active);
  const issued = await issueToken(kr, {
    subject: "ci",
    actions: ["task"],
    capabilities: ["*"],
    skills: ["*"],
    ttlMs: 3_600_000,
  });
  kr = revokeToken(recordToken(kr, issued.record), issued.claims.jti);
  return {
    kr,
    kids: [retired, verifyOnly, active],
    secrets: [...pairs.map((p) => p.privateJwk.d), issued.token],
  };
}

/** Fails when `output` holds any secret: PEM private keys, private JWK members, tokens. */
function assertNoSecrets(output: unknown, secrets: string[]): void {
  const text = JSON.stringify(output);
  assert.ok(!/PRIVATE KEY/.test(text), "no PEM private key");
  assert.ok(!/BEGIN/.test(text), "no PEM block at all");
  assert.ok(!/"d"\s*:/.test(text), "no private JWK member d");
  assert.ok(!/private_?jwk/i.test(text), "no private JWK");
  for (const secret of secrets) assert.ok(!text.includes(secret), "no secret value");
}

Deno.test("securityStatus() of a plain node without credentials", async () => {
  assert.deepEqual(await securityStatus(config(), {}), {
    tls: { enabled: false },
    peer_ca: "system roots",
    shared_token: false,
    keyring: null,
    allow_plain_peers: false,
    forward_scoped_to_skilllite: false,
    allow_skilllite_peers: false,
    membership_proof: [],
    task_rate: { per_second: 20, burst: 40 },
    limits: { max_body_bytes: 1_048_576, max_header_bytes: 16_384, max_headers: 100 },
  });
});

Deno.test("securityStatus() shows the certificate's identity, never its key", async () => {
  const material: SecurityMaterial = { tls: { cert: node.certPem, key: node.keyPem } };
  const status = await securityStatus(config(), material);
  assert.deepEqual(status.tls, {
    enabled: true,
    mtls: false,
    certificate: {
      subject: "CN=node-a",
      not_after: nodeInfo.notAfter,
      dns: ["node-a.lan"],
      ips: ["127.0.0.1"],
      fingerprint256: nodeInfo.fingerprint256,
    },
  });
  assert.match(nodeInfo.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.equal(status.peer_ca, "system roots");
  assertNoSecrets(status, [node.keyPem.split("\n")[1], ca.keyPem.split("\n")[1]]);
});

Deno.test("securityStatus() says mTLS and a configured peer CA, without the CA's text", async () => {
  const material: SecurityMaterial = {
    tls: { cert: node.certPem, key: node.keyPem, clientCa: ca.certPem },
    peerCa: ca.certPem,
  };
  const status = await securityStatus(config(), material);
  assert.equal((status.tls as { mtls: boolean }).mtls, true);
  assert.equal(status.peer_ca, "configured");
  assertNoSecrets(status, [node.keyPem.split("\n")[1]]);
  assert.ok(!JSON.stringify(status).includes(ca.certPem.split("\n")[1]), "no PEM at all");
});

Deno.test("securityStatus() reports an unreadable certificate as an error, still without the key", async () => {
  const material: SecurityMaterial = { tls: { cert: "garbage", key: node.keyPem } };
  const status = await securityStatus(config(), material);
  const tls = status.tls as { enabled: boolean; certificate: { error: string } };
  assert.equal(tls.enabled, true);
  assert.equal(typeof tls.certificate.error, "string");
  assert.deepEqual(Object.keys(tls.certificate), ["error"]);
  assertNoSecrets(status, [node.keyPem.split("\n")[1]]);
});

Deno.test("securityStatus() lists keyring keys with their states, and counts revocations", async () => {
  const { kr, kids, secrets } = await threeKeyKeyring();
  const [retired, verifyOnly, active] = kids;
  const status = await securityStatus(config(["--keyring", "kr.json"]), {
    keyring: serializeKeyring(kr),
  });
  assert.deepEqual(status.keyring, {
    audience: "mesh-status",
    active_kid: active,
    keys: [
      { kid: retired, state: "retired" },
      { kid: verifyOnly, state: "verify-only" },
      { kid: active, state: "active" },
    ],
    revoked: 1,
  });
  assert.ok(serializeKeyring(kr).includes(secrets[2]), "the fixture does hold private keys");
  assertNoSecrets(status, secrets);
});

Deno.test("securityStatus() reports an invalid keyring as an error", async () => {
  const status = await securityStatus(config(), { keyring: '{"format":"nope"}' });
  assert.deepEqual(status.keyring, {
    error: 'Unsupported keyring format: "nope" (expected "swarm-keyring/1")',
  });
});

Deno.test("securityStatus() says a shared token is set, never which", async () => {
  const status = await securityStatus(
    config([], { SKILLLITE_SWARM_TOKEN: "shared-s3cret", SWARM_NODE_TOKEN: "node-s3cret" }),
    {},
  );
  assert.equal(status.shared_token, true);
  assertNoSecrets(status, ["shared-s3cret", "node-s3cret"]);
});

Deno.test("securityStatus() reports the forwarding switches, limits and rate", async () => {
  const status = await securityStatus(
    config([
      "--allow-plain-peers",
      "--forward-scoped-to-skilllite",
      "--max-body-bytes",
      "1000",
      "--max-header-bytes",
      "2000",
      "--max-headers",
      "30",
      "--task-rate",
      "5",
      "--task-burst",
      "6",
    ]),
    {},
  );
  assert.equal(status.allow_plain_peers, true);
  assert.equal(status.forward_scoped_to_skilllite, true);
  assert.deepEqual(status.limits, {
    max_body_bytes: 1000,
    max_header_bytes: 2000,
    max_headers: 30,
  });
  assert.deepEqual(status.task_rate, { per_second: 5, burst: 6 });
});

Deno.test("securityStatus() shows no task rate when rate limiting is off", async () => {
  assert.equal((await securityStatus(config(["--task-rate", "0"]), {})).task_rate, null);
});

Deno.test("securityStatus() builds the view once per material and config", async () => {
  const cfg = config();
  const material = {};
  const first = securityStatus(cfg, material);
  assert.equal(securityStatus(cfg, material), first);
  assert.notEqual(securityStatus(cfg, {}), first);
  assert.notEqual(securityStatus(config(), material), first);
  await first;
});
