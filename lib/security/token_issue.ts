/**
 * Issuing capability-scoped tokens: JWTs signed with EdDSA by the keyring's active key.
 *
 * @module
 */
import { importJWK, SignJWT } from "jose";
import { type Action, ACTIONS } from "./grant.ts";
import { type Keyring, KeyringError, type TokenRecord } from "./keyring.ts";
import { DEFAULT_MAX_TOKEN_LIFETIME_MS, MAX_TOKEN_BYTES } from "./token_verify.ts";

/**
 * The longest lifetime a token may be issued with: 366 days, counted from its issue
 * time (`exp - iat`), which is what nodes enforce by default.
 */
export const MAX_TOKEN_TTL_MS: number = DEFAULT_MAX_TOKEN_LIFETIME_MS;

/** What to put in a new token. */
export interface IssueTokenOptions {
  /** Who the token is for (`sub`); not empty. */
  subject: string;
  /** Actions allowed; at least one. */
  actions: readonly Action[];
  /** Capabilities tasks may require; `["*"]` = any, `[]` = none. */
  capabilities: readonly string[];
  /** Skills tasks may run; `["*"]` = any, `[]` = none. */
  skills: readonly string[];
  /** Lifetime counted from `notBefore`, in ms: at least 1 s, at most {@link MAX_TOKEN_TTL_MS}. */
  ttlMs: number;
  /**
   * Start of validity, ms since the epoch.
   *
   * @default {now}
   */
  notBefore?: number;
  /**
   * The current time, ms since the epoch (`iat`).
   *
   * @default {Date.now()}
   */
  now?: number;
}

/** The claims of a token this code issues. Times are seconds since the epoch. */
export interface TokenClaims {
  /** Subject: who the token is for. */
  sub: string;
  /** Audience: the keyring's mesh id. */
  aud: string;
  /** Token id (random UUID): what revocation names. */
  jti: string;
  /** Issued at. */
  iat: number;
  /** Not valid before. */
  nbf: number;
  /** Expiry. */
  exp: number;
  /** Allowed actions, space-delimited (RFC 9068 style), e.g. `"task read"`. */
  scope: string;
  /** Capabilities tasks may require; `["*"]` = any. */
  capabilities: string[];
  /** Skills tasks may run; `["*"]` = any. */
  skills: string[];
}

/** A signed token with what it says and the metadata to record in the keyring. */
export interface IssuedToken {
  /** The compact JWS: hand it to the caller, never log it. */
  token: string;
  /** Its claims. */
  claims: TokenClaims;
  /** Its metadata for `recordToken()`. */
  record: TokenRecord;
}

/**
 * Signs a token with the keyring's active key: header `{alg: "EdDSA", kid, typ: "JWT"}`.
 *
 * @throws {TypeError} On an empty subject, no or unknown actions, or an empty or
 * whitespace-containing capability or skill name.
 * @throws {RangeError} On a lifetime under 1 s or over 366 days, a bad `notBefore`, or
 * a token that would exceed the verifier's size limit.
 * @throws {KeyringError} When the keyring has no active key with a private half.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createKeyring } from "./keyring.ts";
 * import { addKey } from "./keyring_ops.ts";
 * import { generateKeyPair } from "./keyring_keygen.ts";
 * import { issueToken } from "./token_issue.ts";
 * const kr = addKey(createKeyring("mesh-1"), await generateKeyPair());
 * const { claims } = await issueToken(kr, {
 *   subject: "ci", actions: ["task", "read"], capabilities: ["*"], skills: ["calculator"],
 *   ttlMs: 3_600_000,
 * });
 * assert.equal(claims.scope, "task read");
 * ```
 */
export async function issueToken(kr: Keyring, options: IssueTokenOptions): Promise<IssuedToken> {
  const { subject, ttlMs, now = Date.now(), notBefore = now } = options;
  if (typeof subject !== "string" || subject.trim() === "") {
    throw new TypeError("Cannot issue a token: the subject is empty");
  }
  const actions = checkActions(options.actions);
  const capabilities = checkNames(options.capabilities, "capability");
  const skills = checkNames(options.skills, "skill");
  if (!Number.isFinite(ttlMs) || ttlMs < 1000 || ttlMs > MAX_TOKEN_TTL_MS) {
    throw new RangeError(
      `Cannot issue a token: the lifetime must be from 1s to 366d: current value is ${ttlMs}ms`,
    );
  }
  if (!Number.isFinite(notBefore) || notBefore < 0 || !Number.isFinite(now)) {
    throw new RangeError(`Cannot issue a token: invalid not-before time ${notBefore}`);
  }
  // Nodes cap exp - iat: a start of validity in the future eats into the lifetime.
  if (Math.floor((notBefore + ttlMs) / 1000) - Math.floor(now / 1000) > MAX_TOKEN_TTL_MS / 1000) {
    throw new RangeError(
      "Cannot issue a token: its expiry would be more than 366d after its issue time (not-before plus lifetime)",
    );
  }
  const key = kr.keys.find((k) => k.kid === kr.activeKid);
  if (key === undefined || key.privateJwk === undefined) {
    throw new KeyringError(
      "Cannot issue a token: the keyring has no active signing key (generate or activate one)",
    );
  }
  const claims: TokenClaims = {
    sub: subject,
    aud: kr.audience,
    jti: crypto.randomUUID(),
    iat: Math.floor(now / 1000),
    nbf: Math.floor(notBefore / 1000),
    exp: Math.floor((notBefore + ttlMs) / 1000),
    scope: actions.join(" "),
    capabilities,
    skills,
  };
  const privateKey = await importJWK(key.privateJwk, "EdDSA");
  const token = await new SignJWT({ ...claims })
    .setProtectedHeader({ alg: "EdDSA", kid: key.kid, typ: "JWT" })
    .sign(privateKey);
  if (token.length > MAX_TOKEN_BYTES) {
    throw new RangeError(
      `Cannot issue a token: it would be ${token.length} bytes, over the ${MAX_TOKEN_BYTES}-byte limit`,
    );
  }
  const record: TokenRecord = {
    jti: claims.jti,
    sub: claims.sub,
    kid: key.kid,
    scope: actions,
    capabilities: [...capabilities],
    skills: [...skills],
    iat: claims.iat,
    nbf: claims.nbf,
    exp: claims.exp,
  };
  return { token, claims, record };
}

function checkActions(actions: readonly Action[]): Action[] {
  if (actions.length === 0) throw new TypeError("Cannot issue a token: no action given");
  for (const action of actions) {
    if (!ACTIONS.includes(action)) {
      throw new TypeError(
        `Cannot issue a token: unknown action '${action}' (expected ${ACTIONS.join(", ")})`,
      );
    }
  }
  return ACTIONS.filter((a) => actions.includes(a));
}

function checkNames(names: readonly string[], what: string): string[] {
  for (const name of names) {
    if (typeof name !== "string" || name === "" || /\s/.test(name)) {
      throw new TypeError(`Cannot issue a token: invalid ${what} name ${JSON.stringify(name)}`);
    }
  }
  return [...new Set(names)];
}
