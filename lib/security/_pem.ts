/**
 * PEM decoding shared by the certificate modules, with one-line `config_invalid` errors.
 *
 * @module
 */
import { SwarmError } from "../protocol/mod.ts";
import { x509 } from "./_x509.ts";

/** The block type of a PEM certificate. */
export const CERTIFICATE_TAG = "CERTIFICATE";

/** The block type of a PKCS#8 private key. */
export const PRIVATE_KEY_TAG = "PRIVATE KEY";

/** The PEM blocks of `text`; throws when there is none. */
export function decodePem(text: string): x509.PemStruct[] {
  let blocks: x509.PemStruct[];
  try {
    blocks = x509.PemConverter.decodeWithHeaders(text);
  } catch (err) {
    throw invalid(`Invalid PEM: ${firstLine(err)}`, err);
  }
  if (blocks.length === 0) throw invalid("Invalid PEM: no PEM block found");
  return blocks;
}

/** DER bytes as one PEM block of type `tag`. */
export function encodePem(der: BufferSource, tag: string): string {
  return x509.PemConverter.encode(der, tag);
}

/** The first certificate of PEM text, parsed; throws when there is none or it is broken. */
export function parseCertificate(pem: string): x509.X509Certificate {
  const block = decodePem(pem).find((b) => b.type === CERTIFICATE_TAG);
  if (!block) throw invalid("No PEM certificate found");
  try {
    return new x509.X509Certificate(block.rawData);
  } catch (err) {
    throw invalid(`Invalid certificate: ${firstLine(err)}`, err);
  }
}

/**
 * The DER of the PKCS#8 private key in PEM text; an SEC1 (`EC PRIVATE KEY`) or
 * PKCS#1 (`RSA PRIVATE KEY`) key is refused with the command that converts it.
 */
export function pkcs8Der(pem: string): ArrayBuffer {
  const blocks = decodePem(pem);
  const block = blocks.find((b) => b.type === PRIVATE_KEY_TAG);
  if (block) return block.rawData;
  const other = blocks.find((b) => b.type.endsWith(PRIVATE_KEY_TAG));
  if (other) {
    throw invalid(
      `Unsupported private key: it is '${other.type}', convert it to PKCS#8 with 'openssl pkcs8 -topk8 -nocrypt'`,
    );
  }
  throw invalid("No PEM private key found (expected a '-----BEGIN PRIVATE KEY-----' block)");
}

function invalid(message: string, cause?: unknown): SwarmError {
  return new SwarmError("config_invalid", message, {}, cause ? { cause } : undefined);
}

/** First line of an error's message. */
export function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0];
}
