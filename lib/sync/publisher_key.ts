/**
 * A publisher's signing key for skill releases: an Ed25519 key pair kept as two JWK
 * files, the private one (mode 0600) for `swarm skill publish` and the public one
 * (`.pub`, mode 0644) for the trust stores of the nodes that accept its releases.
 *
 * @module
 */
import {
  type Ed25519PrivateJwk,
  type Ed25519PublicJwk,
  generateKeyPair,
  keyId,
} from "../security/mod.ts";
import { SwarmError } from "../protocol/mod.ts";
import { writeFileAtomic } from "../store/mod.ts";

/** Where {@link generatePublisherKey} wrote a new key. */
export interface GeneratedPublisherKey {
  /** The key id: the RFC 7638 thumbprint prefix of the public key (as `swarm token`). */
  keyId: string;
  /** The private key file (`out`), mode 0600. */
  privateFile: string;
  /** The public key file (`out` + `.pub`), mode 0644. */
  publicFile: string;
}

/** Options of {@link generatePublisherKey}. */
export interface GeneratePublisherKeyOptions {
  /** Replace key files that exist already. @default {false} */
  force?: boolean;
}

/** A publisher's private key, read from its file and ready to sign. */
export interface PublisherKey {
  /** Its key id, recomputed from the key. */
  keyId: string;
  /** The Ed25519 private key (not extractable), for `crypto.subtle.sign`. */
  privateKey: CryptoKey;
  /** Its public half. */
  publicJwk: Ed25519PublicJwk;
}

/** A publisher's public key, read from its `.pub` file (or its private file). */
export interface PublisherPublicKey {
  /** Its key id, recomputed from the key. */
  keyId: string;
  /** The public key; never the private member `d`. */
  publicJwk: Ed25519PublicJwk;
}

/** 32 bytes in unpadded base64url: an Ed25519 key's `x` or `d`. */
const B64URL_32_BYTES = /^[A-Za-z0-9_-]{43}$/;

/**
 * Whether `value` is an Ed25519 public key as a JWK: `kty` `OKP`, `crv` `Ed25519` and a
 * 32-byte `x` in base64url (other members are not looked at).
 *
 * @param value Anything, typically parsed JSON.
 * @returns True when it has those three members.
 * @example
 * ```ts
 * import { isEd25519PublicJwk } from "./publisher_key.ts";
 * console.assert(isEd25519PublicJwk({ kty: "OKP", crv: "Ed25519", x: "A".repeat(43) }));
 * console.assert(!isEd25519PublicJwk({ kty: "EC", crv: "P-256", x: "A".repeat(43) }));
 * ```
 */
export function isEd25519PublicJwk(value: unknown): value is Ed25519PublicJwk {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const o = value as Record<string, unknown>;
  return o.kty === "OKP" && o.crv === "Ed25519" && typeof o.x === "string" &&
    B64URL_32_BYTES.test(o.x);
}

/**
 * Generates a publisher key: an Ed25519 key pair, written as the private JWK (with its
 * `kid`) to `out`, mode 0600, and the public JWK `{kty, crv, x, kid}` to `out.pub`, mode
 * 0644, each atomically. Without `force` it writes nothing over an existing file.
 *
 * @param out The private key file; the public one goes beside it, named `out.pub`.
 * @param options Whether to replace existing files.
 * @returns The key id and both files.
 * @throws {Deno.errors.AlreadyExists} When `out` or `out.pub` exists and `force` is not
 * set; nothing is left written.
 * @example
 * ```ts
 * import { generatePublisherKey } from "./publisher_key.ts";
 * const dir = await Deno.makeTempDir();
 * const key = await generatePublisherKey(`${dir}/acme.key`);
 * console.assert(key.publicFile === `${dir}/acme.key.pub` && key.keyId.length === 16);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function generatePublisherKey(
  out: string,
  options: GeneratePublisherKeyOptions = {},
): Promise<GeneratedPublisherKey> {
  const { force = false } = options;
  const publicFile = `${out}.pub`;
  const pair = await generateKeyPair();
  const { kty, crv, x, d } = pair.privateJwk;
  const exists = (file: string) =>
    new Deno.errors.AlreadyExists(`Cannot write the publisher key: '${file}' exists`);
  // The public file is checked first so that, as far as this process can tell, either
  // both files are written or neither.
  if (!force && await Deno.lstat(publicFile).then(() => true, () => false)) {
    throw exists(publicFile);
  }
  try {
    await writeFileAtomic(out, json({ kty, crv, x, d, kid: pair.kid }), {
      mode: 0o600,
      overwrite: force,
    });
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) throw exists(out);
    throw err;
  }
  try {
    await writeFileAtomic(publicFile, json({ kty, crv, x, kid: pair.kid }), {
      mode: 0o644,
      overwrite: force,
    });
  } catch (err) {
    // A private key without its public half would be a key nobody can trust: undo.
    await Deno.remove(out).catch(() => {});
    if (err instanceof Deno.errors.AlreadyExists) throw exists(publicFile);
    throw err;
  }
  return { keyId: pair.kid, privateFile: out, publicFile };
}

/**
 * Reads a publisher's private key file (as {@link generatePublisherKey} writes it) and
 * imports it for signing. The key id is recomputed from the key; a `kid` in the file
 * that disagrees is refused. The private and public halves are checked to belong
 * together by signing and verifying a test message.
 *
 * @param file The private key file.
 * @returns The key id, the signing key and the public JWK.
 * @throws {SwarmError} `invalid_argument` when the file is missing, unreadable, not an
 * Ed25519 private JWK (a `.pub` file included), or its `kid` or halves disagree; the
 * message names the file.
 * @example
 * ```ts
 * import { generatePublisherKey, readPublisherKey } from "./publisher_key.ts";
 * const dir = await Deno.makeTempDir();
 * const { keyId } = await generatePublisherKey(`${dir}/acme.key`);
 * console.assert((await readPublisherKey(`${dir}/acme.key`)).keyId === keyId);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readPublisherKey(file: string): Promise<PublisherKey> {
  const jwk = await readJwk(file);
  const { publicJwk, keyId } = await checkedPublic(jwk, file);
  if (jwk.d === undefined) {
    throw invalid(
      file,
      "holds only a public key: pass the private key file (the one without .pub)",
    );
  }
  if (typeof jwk.d !== "string" || !B64URL_32_BYTES.test(jwk.d)) {
    throw invalid(file, "member 'd' must be 32 bytes in base64url");
  }
  const privateJwk: Ed25519PrivateJwk = { ...publicJwk, d: jwk.d };
  let privateKey: CryptoKey;
  let verifyKey: CryptoKey;
  try {
    privateKey = await crypto.subtle.importKey("jwk", privateJwk, { name: "Ed25519" }, false, [
      "sign",
    ]);
    verifyKey = await importPublic(publicJwk);
  } catch (err) {
    throw invalid(file, `not a usable Ed25519 key: ${(err as Error).message}`, err);
  }
  const probe = new TextEncoder().encode("swarm publisher key check");
  const sig = await crypto.subtle.sign("Ed25519", privateKey, probe);
  if (!await crypto.subtle.verify("Ed25519", verifyKey, sig, probe)) {
    throw invalid(file, "its private key 'd' does not belong to its public key 'x'");
  }
  return { keyId, privateKey, publicJwk };
}

/**
 * Reads a publisher's public key from its `.pub` file, or from its private key file
 * (whose private member is dropped at once). The key id is recomputed from the key; a
 * `kid` in the file that disagrees is refused.
 *
 * @param file The `.pub` file (or the private key file).
 * @returns The key id and the public JWK `{kty, crv, x}`.
 * @throws {SwarmError} `invalid_argument` when the file is missing, unreadable, not an
 * Ed25519 JWK, or its `kid` disagrees; the message names the file.
 * @example
 * ```ts
 * import { generatePublisherKey, readPublicKey } from "./publisher_key.ts";
 * const dir = await Deno.makeTempDir();
 * const { keyId, publicFile } = await generatePublisherKey(`${dir}/acme.key`);
 * const pub = await readPublicKey(publicFile);
 * console.assert(pub.keyId === keyId && !("d" in pub.publicJwk));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readPublicKey(file: string): Promise<PublisherPublicKey> {
  const jwk = await readJwk(file);
  delete jwk.d;
  return await checkedPublic(jwk, file);
}

async function readJwk(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new SwarmError("invalid_argument", `No publisher key at ${file}`, {}, { cause: err });
    }
    throw invalid(file, (err as Error).message, err);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw invalid(file, "not JSON (expected an Ed25519 JWK)", err);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid(file, "not a JSON object (expected an Ed25519 JWK)");
  }
  return value as Record<string, unknown>;
}

/** The public half of `jwk`, checked, with its recomputed key id. */
async function checkedPublic(
  jwk: Record<string, unknown>,
  file: string,
): Promise<PublisherPublicKey> {
  if (!isEd25519PublicJwk(jwk)) {
    throw invalid(
      file,
      'not an Ed25519 key (expected a JWK with kty "OKP", crv "Ed25519" and a 32-byte x)',
    );
  }
  const publicJwk: Ed25519PublicJwk = { kty: "OKP", crv: "Ed25519", x: jwk.x };
  try {
    await importPublic(publicJwk);
  } catch (err) {
    throw invalid(file, `not a usable Ed25519 key: ${(err as Error).message}`, err);
  }
  const id = await keyId(publicJwk);
  if (jwk.kid !== undefined && jwk.kid !== id) {
    throw invalid(file, `its kid ${JSON.stringify(jwk.kid)} is not the key's id '${id}'`);
  }
  return { keyId: id, publicJwk };
}

async function importPublic(publicJwk: Ed25519PublicJwk): Promise<CryptoKey> {
  return await crypto.subtle.importKey("jwk", publicJwk, { name: "Ed25519" }, true, ["verify"]);
}

function invalid(file: string, what: string, cause?: unknown): SwarmError {
  return new SwarmError("invalid_argument", `Publisher key ${file}: ${what}`, {}, { cause });
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
