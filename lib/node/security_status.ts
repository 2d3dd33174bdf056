/**
 * What `/status` says about the node's security: transport, credentials accepted,
 * limits. Never a secret: certificate identities and key ids only.
 *
 * @module
 */
import type { Config } from "../config/mod.ts";
import { describeCertificate, parseKeyring } from "../security/mod.ts";
import type { SecurityMaterial } from "./security_material.ts";

/** Views already built, per material: it changes only on a reload, /status is polled. */
const views = new WeakMap<
  SecurityMaterial,
  { config: Config; view: Promise<Record<string, unknown>> }
>();

/**
 * The `security` object of `/status`, built once per material (parsing the certificate
 * and the keyring is not repeated for every poll). Treat the result as read-only.
 */
export function securityStatus(
  config: Config,
  material: SecurityMaterial,
): Promise<Record<string, unknown>> {
  const cached = views.get(material);
  if (cached?.config === config) return cached.view;
  const view = buildSecurityStatus(config, material);
  views.set(material, { config, view });
  return view;
}

async function buildSecurityStatus(
  config: Config,
  material: SecurityMaterial,
): Promise<Record<string, unknown>> {
  let certificate: Record<string, unknown> | null = null;
  if (material.tls) {
    try {
      const info = await describeCertificate(material.tls.cert);
      certificate = {
        subject: info.subject,
        not_after: info.notAfter,
        dns: info.dns,
        ips: info.ips,
        fingerprint256: info.fingerprint256,
      };
    } catch (err) {
      certificate = { error: (err as Error).message };
    }
  }
  let keyring: Record<string, unknown> | null = null;
  if (material.keyring !== undefined) {
    try {
      const kr = parseKeyring(material.keyring);
      keyring = {
        audience: kr.audience,
        active_kid: kr.activeKid,
        keys: kr.keys.map((k) => ({
          kid: k.kid,
          state: k.retiredAt ? "retired" : k.kid === kr.activeKid ? "active" : "verify-only",
        })),
        revoked: kr.revoked.length,
      };
    } catch (err) {
      keyring = { error: (err as Error).message };
    }
  }
  return {
    tls: material.tls
      ? { enabled: true, mtls: material.tls.clientCa !== undefined, certificate }
      : { enabled: false },
    peer_ca: material.peerCa ? "configured" : "system roots",
    shared_token: config.token !== undefined,
    keyring,
    allow_plain_peers: config.allowPlainPeers,
    forward_scoped_to_skilllite: config.forwardScopedToSkilllite,
    allow_skilllite_peers: config.allowSkillLitePeers,
    membership_proof: membershipProofs(config, material),
    task_rate: config.taskRatePerSecond > 0
      ? { per_second: config.taskRatePerSecond, burst: config.taskRateBurst }
      : null,
    limits: {
      max_body_bytes: config.maxBodyBytes,
      max_header_bytes: config.maxHeaderBytes,
      max_headers: config.maxHeaders,
    },
  };
}

/**
 * How this node makes peers prove mesh membership before they get a credential: the
 * challenge over the shared token, the mesh CA, or neither (then only `--peer` seeds
 * and, with `--allow-skilllite-peers`, unproven peers are trusted).
 */
function membershipProofs(
  config: Pick<Config, "token">,
  material: Pick<SecurityMaterial, "peerCa">,
): string[] {
  return [
    ...(config.token !== undefined ? ["shared-token-challenge"] : []),
    ...(material.peerCa ? ["mesh-ca"] : []),
  ];
}
