/**
 * Pure edits of a {@link Keyring}: each returns a new keyring and leaves its input as it
 * was, so a caller can validate, write atomically and only then swap.
 *
 * @module
 */
import type {
  Ed25519PrivateJwk,
  Ed25519PublicJwk,
  Keyring,
  KeyringKey,
  Revocation,
  TokenRecord,
} from "./keyring.ts";
import { KeyringError } from "./keyring.ts";

/** A freshly generated key pair with its id, as `generateKeyPair()` returns it. */
export interface KeyPairJwk {
  /** Key id (truncated RFC 7638 thumbprint of the public key). */
  kid: string;
  /** The verification half. */
  publicJwk: Ed25519PublicJwk;
  /** The signing half. */
  privateJwk: Ed25519PrivateJwk;
}

/** Options of {@link addKey}. */
export interface AddKeyOptions {
  /**
   * Make the new key the signing key at once. Old keys keep verifying either way.
   *
   * @default {true}
   */
  activate?: boolean;
  /**
   * The current time in ms since the epoch (the key's `created_at`).
   *
   * @default {Date.now()}
   */
  now?: number;
}

/** Where a key stands: signs new tokens, only verifies old ones, or is refused. */
export type KeyState = "active" | "verify-only" | "retired";

/**
 * How long a revocation is kept after the revoked token's expiry: a little more than any
 * clock skew, so an expired token is refused as expired before its revocation is pruned.
 */
export const REVOCATION_GRACE_MS = 24 * 60 * 60 * 1000;

/**
 * Adds a key pair to the keyring, by default making it the signing key.
 *
 * @throws {KeyringError} When a key with the same kid is already there.
 */
export function addKey(kr: Keyring, pair: KeyPairJwk, options: AddKeyOptions = {}): Keyring {
  const { activate = true, now = Date.now() } = options;
  if (kr.keys.some((k) => k.kid === pair.kid)) {
    throw new KeyringError(`Key '${pair.kid}' is already in the keyring`);
  }
  const key: KeyringKey = {
    kid: pair.kid,
    createdAt: new Date(now).toISOString(),
    publicJwk: { kty: "OKP", crv: "Ed25519", x: pair.publicJwk.x },
    privateJwk: { kty: "OKP", crv: "Ed25519", x: pair.privateJwk.x, d: pair.privateJwk.d },
  };
  return { ...kr, activeKid: activate ? pair.kid : kr.activeKid, keys: [...kr.keys, key] };
}

/**
 * Makes `kid` the key that signs new tokens. Tokens of the previously active key keep
 * verifying until that key is retired.
 *
 * @throws {KeyringError} When the key is unknown, retired, or has no private half.
 */
export function activateKey(kr: Keyring, kid: string): Keyring {
  const key = findKey(kr, kid);
  if (key.retiredAt !== undefined) throw new KeyringError(`Key '${kid}' is retired`);
  if (key.privateJwk === undefined) {
    throw new KeyringError(`Key '${kid}' has no private key here: it can only verify`);
  }
  return { ...kr, activeKid: kid };
}

/**
 * Retires `kid`: its tokens are refused (`unknown_key`) from then on and its private half
 * is dropped. Retiring a retired key changes nothing.
 *
 * @throws {KeyringError} When the key is unknown or is the active key (activate another
 * key first).
 */
export function retireKey(kr: Keyring, kid: string, now: number = Date.now()): Keyring {
  const key = findKey(kr, kid);
  if (key.retiredAt !== undefined) return kr;
  if (kr.activeKid === kid) {
    throw new KeyringError(
      `Cannot retire the active key '${kid}': activate another key first`,
    );
  }
  const retired: KeyringKey = {
    kid: key.kid,
    createdAt: key.createdAt,
    publicJwk: key.publicJwk,
    retiredAt: new Date(now).toISOString(),
  };
  return { ...kr, keys: kr.keys.map((k) => k.kid === kid ? retired : k) };
}

/**
 * Records an issued token's metadata.
 *
 * @throws {KeyringError} When a token with the same `jti` is already recorded.
 */
export function recordToken(kr: Keyring, record: TokenRecord): Keyring {
  if (kr.tokens.some((t) => t.jti === record.jti)) {
    throw new KeyringError(`Token '${record.jti}' is already recorded`);
  }
  return { ...kr, tokens: [...kr.tokens, { ...record }] };
}

/**
 * Revokes token `jti` (idempotent: revoking twice keeps the first revocation), taking its
 * expiry from the recorded metadata when known. Drops revocations whose token expired
 * more than {@link REVOCATION_GRACE_MS} ago: such tokens are refused as expired anyway.
 *
 * @param now The current time in ms since the epoch.
 */
export function revokeToken(kr: Keyring, jti: string, now: number = Date.now()): Keyring {
  if (jti === "") throw new KeyringError("Cannot revoke an empty token id");
  let revoked: Revocation[] = [...kr.revoked];
  if (!revoked.some((r) => r.jti === jti)) {
    const exp = kr.tokens.find((t) => t.jti === jti)?.exp;
    revoked.push({
      jti,
      revokedAt: new Date(now).toISOString(),
      ...(exp === undefined ? {} : { exp }),
    });
  }
  revoked = revoked.filter((r) => r.exp === undefined || r.exp * 1000 >= now - REVOCATION_GRACE_MS);
  return { ...kr, revoked };
}

/**
 * The keyring without any private key: what nodes that only verify tokens need.
 *
 * @example
 * ```ts
 * import { createKeyring } from "./keyring.ts";
 * import { publicView } from "./keyring_ops.ts";
 * console.assert(publicView(createKeyring("mesh-1")).keys.length === 0);
 * ```
 */
export function publicView(kr: Keyring): Keyring {
  return {
    ...kr,
    keys: kr.keys.map(({ privateJwk: _private, ...rest }) => ({ ...rest })),
  };
}

/** Where key `kid` stands in `kr`: `active`, `verify-only` or `retired`. */
export function keyState(kr: Keyring, kid: string): KeyState {
  const key = findKey(kr, kid);
  if (key.retiredAt !== undefined) return "retired";
  return kr.activeKid === kid ? "active" : "verify-only";
}

function findKey(kr: Keyring, kid: string): KeyringKey {
  const key = kr.keys.find((k) => k.kid === kid);
  if (key === undefined) throw new KeyringError(`No key '${kid}' in the keyring`);
  return key;
}
