/**
 * New signing keys and mesh ids for the keyring.
 *
 * @module
 */
import { calculateJwkThumbprint } from "jose";
import type { Ed25519PrivateJwk, Ed25519PublicJwk } from "./keyring.ts";
import type { KeyPairJwk } from "./keyring_ops.ts";

/**
 * Length of a key id: 16 base64url characters, the first 12 bytes of the RFC 7638
 * SHA-256 thumbprint. Enough to tell a keyring's few keys apart; the signature check,
 * not the id, is what proves the key.
 */
export const KID_LENGTH = 16;

/**
 * Generates an Ed25519 key pair with Web Crypto, exported as JWKs, with its key id.
 *
 * @example
 * ```ts
 * import { generateKeyPair } from "./keyring_keygen.ts";
 * const pair = await generateKeyPair();
 * console.assert(pair.kid.length === 16 && pair.privateJwk.d.length === 43);
 * ```
 */
export async function generateKeyPair(): Promise<KeyPairJwk> {
  const keys = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const pub = await crypto.subtle.exportKey("jwk", keys.publicKey);
  const priv = await crypto.subtle.exportKey("jwk", keys.privateKey);
  const publicJwk: Ed25519PublicJwk = { kty: "OKP", crv: "Ed25519", x: pub.x! };
  const privateJwk: Ed25519PrivateJwk = { kty: "OKP", crv: "Ed25519", x: priv.x!, d: priv.d! };
  return { kid: await keyId(publicJwk), publicJwk, privateJwk };
}

/**
 * The key id of a public key: its RFC 7638 thumbprint, truncated to {@link KID_LENGTH}.
 */
export async function keyId(publicJwk: Ed25519PublicJwk): Promise<string> {
  const thumbprint = await calculateJwkThumbprint(publicJwk, "sha256");
  return thumbprint.slice(0, KID_LENGTH);
}

/**
 * A fresh random mesh id, `mesh-` and 8 hex digits, for a keyring created without one.
 *
 * @example
 * ```ts
 * import { randomAudience } from "./keyring_keygen.ts";
 * console.assert(/^mesh-[0-9a-f]{8}$/.test(randomAudience()));
 * ```
 */
export function randomAudience(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  return `mesh-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}
