/**
 * Reading certificates back: split a PEM bundle, and describe a certificate in plain
 * data (names, validity, usages, SHA-256 fingerprint).
 *
 * @module
 */
import { x509 } from "./_x509.ts";
import { CERTIFICATE_TAG, decodePem, encodePem, parseCertificate } from "./_pem.ts";

/** What {@link describeCertificate} tells about a certificate. */
export interface CertificateInfo {
  /** Subject distinguished name, RFC 4514 text (`CN=node-a`). */
  subject: string;
  /** The subject's first common name, `""` when it has none. */
  commonName: string;
  /** Issuer distinguished name, RFC 4514 text. */
  issuer: string;
  /** Serial number, lower-case hex without separators. */
  serial: string;
  /** Start of validity, ISO 8601 UTC. */
  notBefore: string;
  /** End of validity, ISO 8601 UTC. */
  notAfter: string;
  /** DNS subject alternative names, in certificate order. */
  dns: string[];
  /** IP subject alternative names, canonical text, in certificate order. */
  ips: string[];
  /** Whether basic constraints say CA:TRUE. */
  isCa: boolean;
  /**
   * Extended key usages: `serverAuth`, `clientAuth`, other purposes by name or OID.
   * Empty when the certificate has no such extension (any purpose).
   */
  extendedKeyUsages: string[];
  /**
   * SHA-256 of the DER certificate as colon-separated upper-case hex: the format of
   * `node:tls` `getPeerCertificate().fingerprint256`.
   */
  fingerprint256: string;
}

const EKU_NAMES: Record<string, string> = Object.fromEntries(
  Object.entries(x509.ExtendedKeyUsage).map(([name, oid]) => [oid, name]),
);

/**
 * Splits PEM text into its certificates, one PEM block each, in order; other blocks
 * (keys, requests) are skipped.
 *
 * @throws {SwarmError} `config_invalid` when the text holds no PEM block.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createMeshCa, parsePemCertificates } from "./certificates.ts";
 * const ca = await createMeshCa({ commonName: "test CA" });
 * assert.equal(parsePemCertificates(ca.certPem + ca.keyPem).length, 1);
 * ```
 */
export function parsePemCertificates(text: string): string[] {
  return decodePem(text)
    .filter((block) => block.type === CERTIFICATE_TAG)
    .map((block) => encodePem(block.rawData, CERTIFICATE_TAG));
}

/**
 * Describes the first certificate of PEM text.
 *
 * @throws {SwarmError} `config_invalid` when there is no certificate or it does not parse.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createMeshCa, describeCertificate } from "./certificates.ts";
 * const ca = await createMeshCa({ commonName: "test CA" });
 * const info = await describeCertificate(ca.certPem);
 * assert.ok(info.isCa && info.commonName === "test CA");
 * assert.match(info.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
 * ```
 */
export async function describeCertificate(pem: string): Promise<CertificateInfo> {
  const cert = parseCertificate(pem);
  const names = cert.getExtension(x509.SubjectAlternativeNameExtension)?.names.items ?? [];
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", cert.rawData));
  return {
    subject: cert.subject,
    commonName: cert.subjectName.getField("CN")[0] ?? "",
    issuer: cert.issuer,
    serial: cert.serialNumber.toLowerCase(),
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    dns: names.filter((n) => n.type === "dns").map((n) => n.value),
    ips: names.filter((n) => n.type === "ip").map((n) => n.value),
    isCa: cert.getExtension(x509.BasicConstraintsExtension)?.ca ?? false,
    extendedKeyUsages: Array.from(
      eku?.usages ?? [],
      (oid) => EKU_NAMES[String(oid)] ?? String(oid),
    ),
    fingerprint256: [...digest].map((b) => b.toString(16).padStart(2, "0")).join(":")
      .toUpperCase(),
  };
}
