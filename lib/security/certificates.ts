/**
 * Certificates for people who do not run a PKI: a small mesh CA and the node and client
 * certificates it signs. ECDSA P-256 keys, SHA-256 signatures, X.509 v3 made by
 * `@peculiar/x509` over Web Crypto; keys are PKCS#8 PEM (`PRIVATE KEY`), which Deno's
 * TLS (rustls) and `node:https` both read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createMeshCa, describeCertificate, issueCertificate } from "./certificates.ts";
 * const ca = await createMeshCa({ commonName: "example CA" });
 * const node = await issueCertificate({
 *   caCertPem: ca.certPem,
 *   caKeyPem: ca.keyPem,
 *   commonName: "node-a",
 *   ips: ["127.0.0.1"],
 * });
 * const info = await describeCertificate(node.certPem);
 * assert.deepEqual(info.ips, ["127.0.0.1"]);
 * assert.deepEqual(info.extendedKeyUsages, ["serverAuth", "clientAuth"]);
 * ```
 *
 * @module
 */
import { SwarmError } from "../protocol/mod.ts";
import { x509 } from "./_x509.ts";
import { encodePem, firstLine, parseCertificate, pkcs8Der, PRIVATE_KEY_TAG } from "./_pem.ts";
import {
  checkCommonName,
  checkDnsName,
  checkIpAddress,
  checkValidDays,
} from "./certificate_inputs.ts";

export {
  type CertificateInfo,
  describeCertificate,
  parsePemCertificates,
} from "./certificate_describe.ts";
export {
  checkCommonName,
  checkDnsName,
  checkIpAddress,
  checkValidDays,
  MAX_COMMON_NAME_LENGTH,
  MAX_VALID_DAYS,
} from "./certificate_inputs.ts";

/** A certificate and its private key, both PEM. */
export interface CertificateAndKey {
  /** The certificate, one `CERTIFICATE` PEM block. */
  certPem: string;
  /** Its private key, one PKCS#8 `PRIVATE KEY` PEM block. Keep it secret (mode 0600). */
  keyPem: string;
}

/** Options of {@link createMeshCa}. */
export interface MeshCaOptions {
  /**
   * Subject common name of the CA.
   * @default {"swarm mesh CA"}
   */
  commonName?: string;
  /**
   * Days the CA is valid, 1 to 3650. Every certificate it signs ends no later.
   * @default {3650}
   */
  validDays?: number;
  /** The current time (tests inject it). @default {new Date()} */
  now?: Date;
}

/** What an issued certificate may be used for: TLS server, TLS client, or both. */
export type CertificateUsage = "server" | "client" | "both";

/** Options of {@link issueCertificate}. */
export interface IssueCertificateOptions {
  /** The CA certificate (PEM), e.g. from {@link createMeshCa}. */
  caCertPem: string;
  /** The CA's PKCS#8 private key (PEM); must be the key of `caCertPem`. */
  caKeyPem: string;
  /** Subject common name: the identity mTLS hands to authorization. */
  commonName: string;
  /**
   * DNS subject alternative names (RFC 1123; `*` only as the whole first label).
   * When neither `dns` nor `ips` is given, the common name is used as the one DNS
   * name; a client-only certificate whose common name is not a DNS name gets none.
   * @default {[]}
   */
  dns?: string[];
  /** IP subject alternative names, IPv4 or IPv6. @default {[]} */
  ips?: string[];
  /** Extended key usage: `serverAuth`, `clientAuth`, or both. @default {"both"} */
  usage?: CertificateUsage;
  /**
   * Days the certificate is valid, 1 to 3650; cut to the CA's own end of validity.
   * @default {825}
   */
  validDays?: number;
  /** The current time (tests inject it). @default {new Date()} */
  now?: Date;
}

/** Default common name of a mesh CA. */
export const DEFAULT_CA_NAME = "swarm mesh CA";
/** Default validity of a mesh CA, in days (ten years). */
export const DEFAULT_CA_DAYS = 3650;
/** Default validity of an issued certificate, in days (the CA/Browser Forum's old 825). */
export const DEFAULT_CERT_DAYS = 825;

const DAY_MS = 24 * 60 * 60 * 1000;
// notBefore is set a little in the past so that a peer whose clock is slightly behind
// does not refuse a certificate made a moment ago.
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const KEY_ALGORITHM: EcKeyGenParams = { name: "ECDSA", namedCurve: "P-256" };
const SIGNING_ALGORITHM: EcdsaParams = { name: "ECDSA", hash: "SHA-256" };

/**
 * Creates a self-signed mesh CA: basic constraints CA:TRUE with path length 0 (it
 * signs only end-entity certificates), key usage keyCertSign and cRLSign (both
 * critical), a subject key identifier and a random positive 16-byte serial.
 *
 * @throws {SwarmError} `config_invalid` on a bad common name or validity.
 */
export async function createMeshCa(options: MeshCaOptions = {}): Promise<CertificateAndKey> {
  const { commonName = DEFAULT_CA_NAME, validDays = DEFAULT_CA_DAYS, now = new Date() } = options;
  const name = subjectName(checkCommonName(commonName));
  checkValidDays(validDays);
  const keys = await crypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: name,
    issuer: name,
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter: new Date(now.getTime() + validDays * DAY_MS),
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await exportKeyPem(keys.privateKey) };
}

/**
 * Issues a leaf certificate signed by a CA: basic constraints CA:FALSE, key usage
 * digitalSignature (critical; no keyEncipherment, which EC keys cannot do), extended
 * key usage serverAuth and/or clientAuth, subject alternative names, authority and
 * subject key identifiers, a fresh P-256 key.
 *
 * @throws {SwarmError} `config_invalid` on a bad name, address or validity, when the CA
 * certificate is not a CA or has expired, or when the CA key is not its key.
 */
export async function issueCertificate(
  options: IssueCertificateOptions,
): Promise<CertificateAndKey> {
  const { usage = "both", validDays = DEFAULT_CERT_DAYS, now = new Date() } = options;
  const commonName = checkCommonName(options.commonName);
  checkValidDays(validDays);
  if (usage !== "server" && usage !== "client" && usage !== "both") {
    throw invalid(`Invalid usage: it must be server, client or both, got ${String(usage)}`);
  }
  const altNames = subjectAltNames(commonName, options.dns ?? [], options.ips ?? [], usage);
  const ca = parseCertificate(options.caCertPem);
  checkIsCa(ca, now);
  const caKey = await importCaKey(options.caKeyPem, ca);

  const keys = await crypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"]);
  const caKeyId = ca.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const notAfter = Math.min(now.getTime() + validDays * DAY_MS, ca.notAfter.getTime());
  const purposes = usage === "server"
    ? [x509.ExtendedKeyUsage.serverAuth]
    : usage === "client"
    ? [x509.ExtendedKeyUsage.clientAuth]
    : [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension(purposes, false),
    caKeyId
      ? new x509.AuthorityKeyIdentifierExtension(caKeyId, false)
      : await x509.AuthorityKeyIdentifierExtension.create(ca.publicKey, false),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (altNames.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(altNames));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: subjectName(commonName),
    issuer: ca.subjectName,
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter: new Date(notAfter),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions,
  });
  return { certPem: cert.toString("pem"), keyPem: await exportKeyPem(keys.privateKey) };
}

/**
 * Whether a PKCS#8 PEM private key is the key of a PEM certificate's public key (EC,
 * Ed25519 and RSA keys). A key Web Crypto cannot import with the certificate's
 * algorithm answers false.
 *
 * @throws {SwarmError} `config_invalid` when either PEM does not parse, or the key is
 * not PKCS#8 (an SEC1 `EC PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`; the message names
 * the openssl command that converts it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createMeshCa, keyMatchesCertificate } from "./certificates.ts";
 * const a = await createMeshCa({ commonName: "a" });
 * const b = await createMeshCa({ commonName: "b" });
 * assert.ok(await keyMatchesCertificate(a.certPem, a.keyPem));
 * assert.ok(!(await keyMatchesCertificate(a.certPem, b.keyPem)));
 * ```
 */
export async function keyMatchesCertificate(certPem: string, keyPem: string): Promise<boolean> {
  const cert = parseCertificate(certPem);
  const der = pkcs8Der(keyPem);
  // RSA imports need a hash; any will do, only the key material is compared.
  const algorithm = { hash: "SHA-256", ...cert.publicKey.algorithm } as RsaHashedImportParams;
  let privateJwk: JsonWebKey;
  let publicJwk: JsonWebKey;
  try {
    const key = await crypto.subtle.importKey("pkcs8", der, algorithm, true, ["sign"]);
    privateJwk = await crypto.subtle.exportKey("jwk", key);
    publicJwk = await crypto.subtle.exportKey(
      "jwk",
      await cert.publicKey.export(algorithm, ["verify"]),
    );
  } catch {
    return false;
  }
  // The public members of a JWK: EC (crv, x, y), OKP (crv, x), RSA (n, e).
  const members = ["kty", "crv", "x", "y", "n", "e"] as const;
  return publicJwk.kty !== undefined && members.every((m) => privateJwk[m] === publicJwk[m]);
}

/** Refuses a CA certificate that cannot sign certificates now. */
function checkIsCa(ca: x509.X509Certificate, now: Date): void {
  const who = JSON.stringify(ca.subject);
  if (!ca.getExtension(x509.BasicConstraintsExtension)?.ca) {
    throw invalid(`Not a CA certificate: ${who} lacks basic constraints CA:TRUE`);
  }
  const keyUsage = ca.getExtension(x509.KeyUsagesExtension);
  if (keyUsage && (keyUsage.usages & x509.KeyUsageFlags.keyCertSign) === 0) {
    throw invalid(`Not a CA certificate: ${who} has no keyCertSign key usage`);
  }
  if (ca.notAfter.getTime() <= now.getTime()) {
    throw invalid(`CA certificate expired: ${who} ended on ${ca.notAfter.toISOString()}`);
  }
}

/** Imports the CA's signing key after checking it is a P-256 key matching the CA. */
async function importCaKey(keyPem: string, ca: x509.X509Certificate): Promise<CryptoKey> {
  const algorithm = ca.publicKey.algorithm as EcKeyImportParams;
  if (algorithm.name !== "ECDSA" || algorithm.namedCurve !== "P-256") {
    const kind = [algorithm.name, algorithm.namedCurve].filter(Boolean).join(" ");
    throw invalid(`Unsupported CA key: it is ${kind}, only ECDSA P-256 CAs can sign here`);
  }
  const der = pkcs8Der(keyPem);
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey("pkcs8", der, KEY_ALGORITHM, false, ["sign"]);
  } catch (err) {
    throw invalid(`Unsupported CA key: not an ECDSA P-256 PKCS#8 key (${firstLine(err)})`, err);
  }
  if (!(await keyMatchesCertificate(ca.toString("pem"), keyPem))) {
    throw invalid(
      `CA key mismatch: the private key is not the key of ${JSON.stringify(ca.subject)}`,
    );
  }
  return key;
}

/** The subject alternative names of a leaf, with the common-name fallback. */
function subjectAltNames(
  commonName: string,
  dns: string[],
  ips: string[],
  usage: CertificateUsage,
): x509.JsonGeneralName[] {
  const dnsNames = unique(dns.map(checkDnsName));
  const ipNames = unique(ips.map(checkIpAddress));
  if (dnsNames.length === 0 && ipNames.length === 0) {
    try {
      dnsNames.push(checkDnsName(commonName));
    } catch {
      if (usage !== "client") {
        throw invalid(
          `Missing subject alternative name: common name ${
            JSON.stringify(commonName)
          } is not a DNS name, give a DNS name or an IP address for a server certificate`,
        );
      }
    }
  }
  return [
    ...dnsNames.map((value) => ({ type: "dns" as const, value })),
    ...ipNames.map((value) => ({ type: "ip" as const, value })),
  ];
}

/** A subject of one common name, always UTF8String (RFC 5280's choice for new names). */
function subjectName(commonName: string): x509.Name {
  return new x509.Name([{ CN: [{ utf8String: commonName }] }]);
}

/** 16 random bytes, top bit clear (positive) and next bit set (DER keeps all 16). */
function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] & 0x7f) | 0x40;
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  return encodePem(await crypto.subtle.exportKey("pkcs8", key), PRIVATE_KEY_TAG);
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function invalid(message: string, cause?: unknown): SwarmError {
  return new SwarmError("config_invalid", message, {}, cause ? { cause } : undefined);
}
