/**
 * Token revocations that travel by skill sync's gossip: a statement of revoked scoped
 * token ids, signed in a DSSE envelope by a key of the keyring that issued the tokens,
 * and verified by every node against its own copy of that keyring (public keys and
 * audience). Nodes keep it in the release log beside skill releases, so the same push
 * and anti-entropy carry it to nodes that never got a copy of the keyring file again.
 *
 * @module
 */
import type { Ed25519PrivateJwk, Keyring, Revocation } from "../security/mod.ts";
import { decodeEnvelope, preAuthEncoding, sha256Hex, verifiesWith } from "./envelope.ts";
import { SyncRefusalError } from "./sync_refusal_error.ts";
import type { Envelope } from "./types.ts";

/** Payload type of a revocation envelope. */
export const REVOCATION_PAYLOAD_TYPE = "application/vnd.swarm.token-revocations+json";
/** `_type` of a revocation statement. */
export const REVOCATION_STATEMENT_TYPE = "https://swarm.dev/token-revocations/v1";
/** Most token ids one statement may carry. */
export const MAX_REVOCATIONS = 10_000;
/** Longest token id accepted. */
const MAX_JTI_LENGTH = 128;

/** A revocation statement that verified against the node's keyring. */
export interface VerifiedRevocations {
  /** SHA-256 of the payload bytes: the statement's identity in the release log. */
  digest: string;
  /** The envelope, rebuilt from its known fields. */
  envelope: Envelope;
  /** The key of the keyring that signed it. */
  kid: string;
  /** When it was made, ISO 8601. */
  created: string;
  /** The revoked token ids. */
  revoked: Revocation[];
}

/** Whether `envelope` claims to be a revocation statement (by its payload type only). */
export function isRevocationEnvelope(envelope: unknown): boolean {
  return typeof envelope === "object" && envelope !== null &&
    (envelope as { payloadType?: unknown }).payloadType === REVOCATION_PAYLOAD_TYPE;
}

/**
 * Signs a statement of every token id `keyring` revokes, with its active key.
 *
 * @param keyring A keyring holding the active key's private half (`swarm token`'s own).
 * @param now The statement's time. @default {new Date()}
 * @throws {TypeError} When the keyring has no active key with its private half.
 * @example
 * ```ts ignore
 * const envelope = await signRevocations(await readKeyring("mesh.keyring"));
 * ```
 */
export async function signRevocations(keyring: Keyring, now = new Date()): Promise<Envelope> {
  const key = keyring.keys.find((k) => k.kid === keyring.activeKid);
  if (key?.privateJwk === undefined) {
    throw new TypeError(
      "Cannot sign revocations: the keyring has no active key with its private half",
    );
  }
  const statement = {
    _type: REVOCATION_STATEMENT_TYPE,
    audience: keyring.audience,
    created: now.toISOString(),
    revoked: keyring.revoked.map((r) => ({
      jti: r.jti,
      revoked_at: r.revokedAt,
      ...(r.exp === undefined ? {} : { exp: r.exp }),
    })),
  };
  const payload = new TextEncoder().encode(JSON.stringify(statement));
  const privateKey = await importPrivate(key.privateJwk);
  const sig = await crypto.subtle.sign(
    "Ed25519",
    privateKey,
    preAuthEncoding(REVOCATION_PAYLOAD_TYPE, payload),
  );
  return {
    payloadType: REVOCATION_PAYLOAD_TYPE,
    payload: payload.toBase64(),
    signatures: [{ keyid: key.kid, sig: new Uint8Array(sig).toBase64() }],
  };
}

/**
 * Verifies a revocation envelope against the node's keyring. Refusals: `malformed` (not
 * exactly a revocation statement, bounds), `unsigned`, `untrusted_publisher` (no keyring,
 * another mesh's audience, or no key of the keyring signed it), `bad_signature`.
 *
 * @param envelope The envelope as parsed from JSON (anything).
 * @param keyring The node's keyring (its public keys suffice), or undefined.
 * @throws {SyncRefusalError} With the reason above.
 */
export async function openRevocations(
  envelope: unknown,
  keyring: Keyring | undefined,
): Promise<VerifiedRevocations> {
  const { received, payload, sigs } = decodeEnvelope(envelope, REVOCATION_PAYLOAD_TYPE);
  const statement = parseStatement(payload);
  if (sigs.size === 0) throw new SyncRefusalError("unsigned", "The revocations are not signed");
  if (keyring === undefined) {
    throw new SyncRefusalError(
      "untrusted_publisher",
      "This node has no keyring to check token revocations against",
    );
  }
  if (statement.audience !== keyring.audience) {
    throw new SyncRefusalError(
      "untrusted_publisher",
      `The revocations are for mesh '${statement.audience}', not this node's '${keyring.audience}'`,
    );
  }
  const signer = keyring.keys.find((k) => sigs.has(k.kid));
  if (signer === undefined) {
    throw new SyncRefusalError(
      "untrusted_publisher",
      "No key of this node's keyring signed the revocations",
    );
  }
  const sig = sigs.get(signer.kid)!;
  if (!await verifiesWith(signer.publicJwk, REVOCATION_PAYLOAD_TYPE, sig, payload)) {
    throw new SyncRefusalError(
      "bad_signature",
      `The signature of keyring key '${signer.kid}' on the revocations does not verify`,
    );
  }
  return {
    digest: await sha256Hex(payload),
    envelope: received,
    kid: signer.kid,
    created: statement.created,
    revoked: statement.revoked,
  };
}

function malformed(message: string): SyncRefusalError {
  return new SyncRefusalError("malformed", message);
}

function parseStatement(payload: Uint8Array): {
  audience: string;
  created: string;
  revoked: Revocation[];
} {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload));
  } catch {
    throw malformed("The revocation payload is not UTF-8 JSON");
  }
  const record = value as Record<string, unknown>;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw malformed("The revocation payload is not a JSON object");
  }
  const keys = Object.keys(record).sort().join();
  if (keys !== "_type,audience,created,revoked") {
    throw malformed("The revocation statement must be exactly {_type, audience, created, revoked}");
  }
  if (record._type !== REVOCATION_STATEMENT_TYPE) {
    throw malformed(`The statement is not of type ${REVOCATION_STATEMENT_TYPE}`);
  }
  if (typeof record.audience !== "string" || record.audience.length > 256) {
    throw malformed("'audience' must be a string of at most 256 characters");
  }
  if (typeof record.created !== "string" || Number.isNaN(Date.parse(record.created))) {
    throw malformed("'created' must be an ISO 8601 time");
  }
  const list = record.revoked;
  if (!Array.isArray(list) || list.length > MAX_REVOCATIONS) {
    throw malformed(`'revoked' must be a list of at most ${MAX_REVOCATIONS} entries`);
  }
  const revoked = list.map((entry, i): Revocation => {
    const e = entry as Record<string, unknown>;
    const at = `revoked[${i}]`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      throw malformed(`${at} must be an object`);
    }
    if (Object.keys(e).some((k) => !["jti", "revoked_at", "exp"].includes(k))) {
      throw malformed(`${at} must hold only jti, revoked_at and exp`);
    }
    if (typeof e.jti !== "string" || e.jti === "" || e.jti.length > MAX_JTI_LENGTH) {
      throw malformed(`${at}.jti must be a string of 1 to ${MAX_JTI_LENGTH} characters`);
    }
    if (typeof e.revoked_at !== "string" || Number.isNaN(Date.parse(e.revoked_at))) {
      throw malformed(`${at}.revoked_at must be an ISO 8601 time`);
    }
    if (e.exp !== undefined && !Number.isSafeInteger(e.exp)) {
      throw malformed(`${at}.exp must be an integer`);
    }
    return {
      jti: e.jti,
      revokedAt: e.revoked_at,
      ...(e.exp === undefined ? {} : { exp: e.exp as number }),
    };
  });
  return { audience: record.audience, created: record.created, revoked };
}

async function importPrivate(jwk: Ed25519PrivateJwk): Promise<CryptoKey> {
  const { kty, crv, x, d } = jwk;
  return await crypto.subtle.importKey("jwk", { kty, crv, x, d }, { name: "Ed25519" }, false, [
    "sign",
  ]);
}
