/**
 * Verifying capability-scoped tokens against a keyring and turning them into a
 * {@link Grant}. Build a {@link TokenVerifier} once per keyring (keys imported, revoked
 * ids in a set); each request then costs one Ed25519 signature check.
 *
 * @module
 */
import { decodeProtectedHeader, errors, importJWK, jwtVerify } from "jose";
import { SwarmError } from "../protocol/mod.ts";
import { type Action, ACTIONS, type Grant } from "./grant.ts";
import type { Keyring } from "./keyring.ts";

/** Why a token was refused. Stable: logged, tested and used in error bodies. */
export type TokenRefusal =
  /** Not a compact JWS, truncated, bad base64url or JSON, or over {@link MAX_TOKEN_BYTES}. */
  | "malformed"
  /** Signed with anything but EdDSA (including `none`, HS256, RS256). */
  | "alg_not_allowed"
  /** No `kid`, or a `kid` that is not a live key of the keyring (unknown or retired). */
  | "unknown_key"
  /** The signature does not match the header and claims. */
  | "bad_signature"
  /** `exp` has passed (beyond the clock tolerance). */
  | "expired"
  /** `nbf` is still ahead (beyond the clock tolerance). */
  | "not_yet_valid"
  /** `aud` is missing or is not this keyring's mesh id. */
  | "wrong_audience"
  /** The token id was revoked. */
  | "revoked"
  /**
   * `exp - iat` exceeds the node's maximum token lifetime (a token signed with the
   * keyring's key but not issued by `swarm token issue`, which never exceeds it).
   */
  | "lifetime_too_long"
  /** A required claim is missing or mistyped, or the scope names an unknown action. */
  | "invalid_claims";

/** Every {@link TokenRefusal}. */
export const TOKEN_REFUSALS: readonly TokenRefusal[] = [
  "malformed",
  "alg_not_allowed",
  "unknown_key",
  "bad_signature",
  "wrong_audience",
  "not_yet_valid",
  "expired",
  "invalid_claims",
  "lifetime_too_long",
  "revoked",
];

/**
 * A refused token, with the stable code `unauthorized` and the refusal `reason` as a
 * detail (as in the 401 body a node answers). The message never contains the token.
 */
export class TokenError extends SwarmError {
  /** Why the token was refused. */
  readonly reason: TokenRefusal;

  /**
   * Creates the error.
   *
   * @param reason Stable refusal reason.
   * @param message Human-readable detail (never the token).
   * @param options Standard error options, e.g. `cause`.
   */
  constructor(reason: TokenRefusal, message: string, options?: ErrorOptions) {
    super("unauthorized", message, { reason }, options);
    this.name = "TokenError";
    this.reason = reason;
  }
}

/** Longest token accepted, in bytes (characters: a compact JWS is ASCII). */
export const MAX_TOKEN_BYTES = 8 * 1024;

/**
 * Clock tolerance for `exp` and `nbf`, in seconds: nodes on a LAN drift a little, and a
 * token 30 s past expiry is no real widening, while a refused request in the middle of a
 * rotation would be a failure.
 */
export const CLOCK_TOLERANCE_S = 30;

/**
 * The longest lifetime (`exp - iat`) a node accepts by default, in ms: 366 days, the
 * most `swarm token issue` grants.
 */
export const DEFAULT_MAX_TOKEN_LIFETIME_MS = 366 * 24 * 60 * 60 * 1000;

/** What verifying needs from a keyring, prepared once. */
export interface TokenVerifier {
  /** The mesh id tokens must carry as `aud`. */
  audience: string;
  /** Public keys of the keyring's non-retired keys, by kid. */
  keys: ReadonlyMap<string, CryptoKey>;
  /** Revoked token ids. */
  revoked: ReadonlySet<string>;
  /**
   * Longest lifetime (`exp - iat`) accepted, in ms.
   *
   * @default {DEFAULT_MAX_TOKEN_LIFETIME_MS}
   */
  maxLifetimeMs?: number;
}

/** Options of {@link createVerifier}. */
export interface VerifierOptions {
  /**
   * Longest lifetime (`exp - iat`) accepted, in ms; tokens with a longer one are refused
   * with `lifetime_too_long`, whatever signed them.
   *
   * @default {DEFAULT_MAX_TOKEN_LIFETIME_MS}
   */
  maxLifetimeMs?: number;
}

/**
 * Prepares a verifier for `kr`: imports the public keys of its non-retired keys and
 * collects the revoked token ids.
 *
 * @example
 * ```ts
 * import { createKeyring } from "./keyring.ts";
 * import { createVerifier } from "./token_verify.ts";
 * const verifier = await createVerifier(createKeyring("mesh-1"));
 * console.assert(verifier.keys.size === 0);
 * ```
 */
export async function createVerifier(
  kr: Keyring,
  options: VerifierOptions = {},
): Promise<TokenVerifier> {
  const { maxLifetimeMs = DEFAULT_MAX_TOKEN_LIFETIME_MS } = options;
  if (!Number.isSafeInteger(maxLifetimeMs) || maxLifetimeMs < 1000) {
    throw new RangeError(
      `Cannot create a verifier as 'maxLifetimeMs' must be an integer of at least 1000: current value is ${maxLifetimeMs}`,
    );
  }
  const keys = new Map<string, CryptoKey>();
  for (const key of kr.keys) {
    if (key.retiredAt !== undefined) continue;
    keys.set(key.kid, await importJWK(key.publicJwk, "EdDSA") as CryptoKey);
  }
  return {
    audience: kr.audience,
    keys,
    revoked: new Set(kr.revoked.map((r) => r.jti)),
    maxLifetimeMs,
  };
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Cheap test of whether `s` has the shape of a compact JWS (three base64url segments,
 * the last possibly empty), to tell a scoped token from a shared secret. Says nothing
 * about validity.
 *
 * @example
 * ```ts
 * import { looksLikeJwt } from "./token_verify.ts";
 * console.assert(looksLikeJwt("eyJh.eyJz.c2ln") && !looksLikeJwt("a-shared-secret"));
 * ```
 */
export function looksLikeJwt(s: string): boolean {
  return COMPACT_JWS.test(s);
}

/** Length of an Ed25519 signature (64 bytes) in unpadded base64url. */
const ED25519_SIGNATURE_CHARS = 86;

/**
 * Verifies `token` and returns what it grants. Checks, in order: shape and size,
 * `alg` (EdDSA only), `kid` (a non-retired key of the keyring), signature, audience,
 * `nbf`/`exp`/`iat` (with {@link CLOCK_TOLERANCE_S} of tolerance: `iat` required and
 * not ahead), claim types, lifetime (`exp - iat` within the verifier's
 * `maxLifetimeMs`), revocation.
 *
 * @param now The current time, ms since the epoch.
 * @throws {TokenError} With the refusal reason.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createKeyring } from "./keyring.ts";
 * import { createVerifier, TokenError, verifyToken } from "./token_verify.ts";
 * const verifier = await createVerifier(createKeyring("mesh-1"));
 * await assert.rejects(verifyToken("not-a-token", verifier), (err: TokenError) => {
 *   return err.reason === "malformed";
 * });
 * ```
 */
export async function verifyToken(
  token: string,
  verifier: TokenVerifier,
  now: number = Date.now(),
): Promise<Grant> {
  if (typeof token !== "string" || token.length > MAX_TOKEN_BYTES) {
    throw new TokenError("malformed", `Token is not a string of at most ${MAX_TOKEN_BYTES} bytes`);
  }
  if (!looksLikeJwt(token)) {
    throw new TokenError("malformed", "Token is not a compact JWS (three base64url segments)");
  }
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch (err) {
    throw new TokenError("malformed", "Token header is not base64url JSON", { cause: err });
  }
  if (header.alg !== "EdDSA") {
    throw new TokenError("alg_not_allowed", "Token algorithm is not EdDSA");
  }
  if (token.length - token.lastIndexOf(".") - 1 !== ED25519_SIGNATURE_CHARS) {
    throw new TokenError("malformed", "Token signature has the wrong length for EdDSA");
  }
  const key = typeof header.kid === "string" ? verifier.keys.get(header.kid) : undefined;
  if (key === undefined) {
    throw new TokenError("unknown_key", "Token key id is not a live key of the keyring");
  }
  const maxLifetimeS = Math.floor((verifier.maxLifetimeMs ?? DEFAULT_MAX_TOKEN_LIFETIME_MS) / 1000);
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: ["EdDSA"],
      audience: verifier.audience,
      typ: "JWT",
      requiredClaims: ["sub", "jti", "iat", "nbf", "exp"],
      clockTolerance: CLOCK_TOLERANCE_S,
      currentDate: new Date(now),
      // Also refuses an `iat` ahead of the clock, which would stretch the lifetime check.
      maxTokenAge: maxLifetimeS,
    }));
  } catch (err) {
    throw joseRefusal(err);
  }
  const grant = grantOf(payload, token);
  const lifetimeS = (payload.exp as number) - (payload.iat as number);
  if (!(lifetimeS <= maxLifetimeS)) {
    throw new TokenError(
      "lifetime_too_long",
      `Token lifetime ${lifetimeS} s exceeds this node's maximum of ${maxLifetimeS} s`,
    );
  }
  if (verifier.revoked.has(grant.tokenId!)) {
    throw new TokenError("revoked", "Token was revoked");
  }
  return grant;
}

function joseRefusal(err: unknown): TokenError {
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return new TokenError("bad_signature", "Token signature does not verify", { cause: err });
  }
  if (err instanceof errors.JWTExpired) {
    return new TokenError("expired", "Token expired", { cause: err });
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === "aud") {
      return new TokenError("wrong_audience", "Token audience is not this mesh", { cause: err });
    }
    if (err.claim === "nbf" && err.reason === "check_failed") {
      return new TokenError("not_yet_valid", "Token is not valid yet", { cause: err });
    }
    return new TokenError("invalid_claims", `Token claims invalid: ${err.message}`, {
      cause: err,
    });
  }
  if (err instanceof errors.JOSEAlgNotAllowed) {
    return new TokenError("alg_not_allowed", "Token algorithm is not EdDSA", { cause: err });
  }
  return new TokenError("malformed", "Token is not a well-formed JWT", { cause: err });
}

function grantOf(claims: Record<string, unknown>, token: string): Grant {
  const { sub, jti, exp, scope } = claims;
  if (typeof sub !== "string" || sub === "") refuseClaims("'sub' must be a non-empty string");
  if (typeof jti !== "string" || jti === "") refuseClaims("'jti' must be a non-empty string");
  if (typeof exp !== "number") refuseClaims("'exp' must be a number");
  if (typeof scope !== "string" || scope === "") {
    refuseClaims("'scope' must be a non-empty string");
  }
  const actions = scope.split(" ");
  if (!actions.every((a) => (ACTIONS as readonly string[]).includes(a))) {
    refuseClaims("'scope' names an unknown action");
  }
  return {
    method: "token",
    subject: sub,
    tokenId: jti,
    actions: [...new Set(actions as Action[])],
    capabilities: nameList(claims.capabilities, "capabilities"),
    skills: nameList(claims.skills, "skills"),
    expiresAtMs: exp * 1000,
    token,
  };
}

function nameList(value: unknown, claim: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string" && v !== "")) {
    refuseClaims(`'${claim}' must be an array of non-empty strings`);
  }
  return value;
}

function refuseClaims(problem: string): never {
  throw new TokenError("invalid_claims", `Token claims invalid: ${problem}`);
}
