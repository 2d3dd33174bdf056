/**
 * The token keyring: signing and verification keys, issued-token metadata and
 * revocations, as one JSON document (`swarm-keyring/1`). Parsing and serializing only;
 * edits live in `keyring_ops.ts`, file I/O in `keyring_file.ts`.
 *
 * @module
 */
import { SwarmError } from "../protocol/mod.ts";
import { type Action, ACTIONS } from "./grant.ts";

/** The `format` value of every keyring this code reads and writes. */
export const KEYRING_FORMAT = "swarm-keyring/1";

/** An Ed25519 public key as a JWK (RFC 8037), reduced to the members that define it. */
export interface Ed25519PublicJwk {
  /** Always `"OKP"`. */
  kty: "OKP";
  /** Always `"Ed25519"`. */
  crv: "Ed25519";
  /** The public key, base64url (32 bytes). */
  x: string;
}

/** An Ed25519 private key as a JWK: the public members plus `d`. */
export interface Ed25519PrivateJwk extends Ed25519PublicJwk {
  /** The private key, base64url (32 bytes). */
  d: string;
}

/** One key of the keyring. */
export interface KeyringKey {
  /** Key id: the truncated RFC 7638 thumbprint of the public key; the JWT header `kid`. */
  kid: string;
  /** When the key was generated (ISO 8601). */
  createdAt: string;
  /** The key that verifies tokens signed with this key. */
  publicJwk: Ed25519PublicJwk;
  /** The signing half; absent in a public view and once the key is retired. */
  privateJwk?: Ed25519PrivateJwk;
  /** When the key was retired (ISO 8601): its tokens are refused from then on. */
  retiredAt?: string;
}

/** Metadata of one issued token (never the token itself). */
export interface TokenRecord {
  /** Token id (`jti`). */
  jti: string;
  /** Subject (`sub`): who the token was issued to. */
  sub: string;
  /** Id of the key that signed it. */
  kid: string;
  /** Actions the token allows. */
  scope: Action[];
  /** Capabilities the token allows; `["*"]` = any. */
  capabilities: string[];
  /** Skills the token allows; `["*"]` = any. */
  skills: string[];
  /** Issued at, seconds since the epoch. */
  iat: number;
  /** Not valid before, seconds since the epoch. */
  nbf: number;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

/** One revoked token id. */
export interface Revocation {
  /** The revoked token id. */
  jti: string;
  /** When it was revoked (ISO 8601). */
  revokedAt: string;
  /** The token's expiry (seconds since the epoch) when known; lets old entries be pruned. */
  exp?: number;
}

/** A parsed keyring. Treated as immutable: every edit returns a new keyring. */
export interface Keyring {
  /** The mesh id every token of this keyring carries as `aud`. */
  audience: string;
  /** Id of the key that signs new tokens, or `null` when none is active yet. */
  activeKid: string | null;
  /** Every key, including retired ones (kept so their tokens stay refusable by name). */
  keys: readonly KeyringKey[];
  /** Metadata of the tokens issued from this keyring. */
  tokens: readonly TokenRecord[];
  /** Revoked token ids. */
  revoked: readonly Revocation[];
}

/**
 * A keyring that cannot be read or an edit that is not allowed (names the field or key),
 * with the stable code `keyring_invalid`.
 */
export class KeyringError extends SwarmError {
  /**
   * Creates the error.
   *
   * @param message What is wrong, naming the field or key.
   * @param options Standard error options, e.g. `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super("keyring_invalid", message, {}, options);
    this.name = "KeyringError";
  }
}

/**
 * An empty keyring for `audience`.
 *
 * @example
 * ```ts
 * import { createKeyring } from "./keyring.ts";
 * console.assert(createKeyring("mesh-0a1b2c3d").activeKid === null);
 * ```
 */
export function createKeyring(audience: string): Keyring {
  checkAudience(audience, "audience");
  return { audience, activeKid: null, keys: [], tokens: [], revoked: [] };
}

/**
 * Parses and strictly validates a keyring document.
 *
 * @throws {KeyringError} On invalid JSON, an unknown `format`, an unknown or missing
 * field, a mistyped value or an inconsistency (duplicate kid, active key missing or
 * retired); the message names the field, e.g. `'keys[0].public_jwk.crv'`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createKeyring, parseKeyring, serializeKeyring } from "./keyring.ts";
 * const kr = createKeyring("mesh-0a1b2c3d");
 * assert.deepEqual(parseKeyring(serializeKeyring(kr)), kr);
 * ```
 */
export function parseKeyring(text: string): Keyring {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    // V8's message quotes the start of the text, which may be a secret (a token file
    // given as --keyring): say only that it is not JSON.
    throw new KeyringError("Invalid keyring: not JSON", { cause: err });
  }
  const root = object(doc, "");
  if (root.format !== KEYRING_FORMAT) {
    throw new KeyringError(
      `Unsupported keyring format: ${JSON.stringify(root.format)} (expected "${KEYRING_FORMAT}")`,
    );
  }
  onlyFields(root, "", ["format", "audience", "active_kid", "keys", "tokens", "revoked"]);
  const audience = string(root.audience, "audience");
  checkAudience(audience, "audience");
  const activeKid = root.active_kid === null ? null : kidString(root.active_kid, "active_kid");
  const keys = array(root.keys, "keys").map((k, i) => parseKey(k, `keys[${i}]`));
  const tokens = array(root.tokens, "tokens").map((t, i) => parseToken(t, `tokens[${i}]`));
  const revoked = array(root.revoked, "revoked").map((r, i) => parseRevocation(r, `revoked[${i}]`));
  unique(keys.map((k) => k.kid), "keys", "kid");
  unique(tokens.map((t) => t.jti), "tokens", "jti");
  unique(revoked.map((r) => r.jti), "revoked", "jti");
  if (activeKid !== null) {
    const active = keys.find((k) => k.kid === activeKid);
    if (active === undefined) invalid("active_kid", `names no key in 'keys': ${activeKid}`);
    if (active.retiredAt !== undefined) invalid("active_kid", `names a retired key: ${activeKid}`);
  }
  return { audience, activeKid, keys, tokens, revoked };
}

/**
 * Renders a keyring as its JSON document (two-space indented, final newline).
 *
 * @example
 * ```ts
 * import { createKeyring, serializeKeyring } from "./keyring.ts";
 * console.assert(serializeKeyring(createKeyring("mesh-1")).includes('"swarm-keyring/1"'));
 * ```
 */
export function serializeKeyring(kr: Keyring): string {
  const doc = {
    format: KEYRING_FORMAT,
    audience: kr.audience,
    active_kid: kr.activeKid,
    keys: kr.keys.map((k) => ({
      kid: k.kid,
      created_at: k.createdAt,
      public_jwk: k.publicJwk,
      ...(k.privateJwk === undefined ? {} : { private_jwk: k.privateJwk }),
      ...(k.retiredAt === undefined ? {} : { retired_at: k.retiredAt }),
    })),
    tokens: kr.tokens.map((t) => ({
      jti: t.jti,
      sub: t.sub,
      kid: t.kid,
      scope: t.scope,
      capabilities: t.capabilities,
      skills: t.skills,
      iat: t.iat,
      nbf: t.nbf,
      exp: t.exp,
    })),
    revoked: kr.revoked.map((r) => ({
      jti: r.jti,
      revoked_at: r.revokedAt,
      ...(r.exp === undefined ? {} : { exp: r.exp }),
    })),
  };
  return JSON.stringify(doc, null, 2) + "\n";
}

function parseKey(value: unknown, at: string): KeyringKey {
  const o = object(value, at);
  onlyFields(o, at, ["kid", "created_at", "public_jwk", "private_jwk", "retired_at"]);
  const publicJwk = parseJwk(o.public_jwk, `${at}.public_jwk`, false);
  const key: KeyringKey = {
    kid: kidString(o.kid, `${at}.kid`),
    createdAt: isoDate(o.created_at, `${at}.created_at`),
    publicJwk,
  };
  if (o.private_jwk !== undefined) {
    const privateJwk = parseJwk(o.private_jwk, `${at}.private_jwk`, true) as Ed25519PrivateJwk;
    if (privateJwk.x !== publicJwk.x) {
      invalid(`${at}.private_jwk.x`, "does not match 'public_jwk.x'");
    }
    key.privateJwk = privateJwk;
  }
  if (o.retired_at !== undefined) key.retiredAt = isoDate(o.retired_at, `${at}.retired_at`);
  return key;
}

const B64URL_32_BYTES = /^[A-Za-z0-9_-]{43}$/;

function parseJwk(value: unknown, at: string, withPrivate: boolean): Ed25519PublicJwk {
  const o = object(value, at);
  onlyFields(o, at, withPrivate ? ["kty", "crv", "x", "d"] : ["kty", "crv", "x"]);
  if (o.kty !== "OKP") invalid(`${at}.kty`, `must be "OKP": got ${JSON.stringify(o.kty)}`);
  if (o.crv !== "Ed25519") invalid(`${at}.crv`, `must be "Ed25519": got ${JSON.stringify(o.crv)}`);
  const x = string(o.x, `${at}.x`);
  if (!B64URL_32_BYTES.test(x)) invalid(`${at}.x`, "must be 32 bytes in base64url");
  if (!withPrivate) return { kty: "OKP", crv: "Ed25519", x };
  const d = string(o.d, `${at}.d`);
  if (!B64URL_32_BYTES.test(d)) invalid(`${at}.d`, "must be 32 bytes in base64url");
  return { kty: "OKP", crv: "Ed25519", x, d } as Ed25519PrivateJwk;
}

function parseToken(value: unknown, at: string): TokenRecord {
  const o = object(value, at);
  const fields = ["jti", "sub", "kid", "scope", "capabilities", "skills", "iat", "nbf", "exp"];
  onlyFields(o, at, fields);
  const scope = stringList(o.scope, `${at}.scope`);
  for (const [i, action] of scope.entries()) {
    if (!(ACTIONS as readonly string[]).includes(action)) {
      invalid(`${at}.scope[${i}]`, `must be one of ${ACTIONS.join(", ")}: got ${action}`);
    }
  }
  return {
    jti: nonEmpty(o.jti, `${at}.jti`),
    sub: nonEmpty(o.sub, `${at}.sub`),
    kid: kidString(o.kid, `${at}.kid`),
    scope: scope as Action[],
    capabilities: stringList(o.capabilities, `${at}.capabilities`),
    skills: stringList(o.skills, `${at}.skills`),
    iat: seconds(o.iat, `${at}.iat`),
    nbf: seconds(o.nbf, `${at}.nbf`),
    exp: seconds(o.exp, `${at}.exp`),
  };
}

function parseRevocation(value: unknown, at: string): Revocation {
  const o = object(value, at);
  onlyFields(o, at, ["jti", "revoked_at", "exp"]);
  const revocation: Revocation = {
    jti: nonEmpty(o.jti, `${at}.jti`),
    revokedAt: isoDate(o.revoked_at, `${at}.revoked_at`),
  };
  if (o.exp !== undefined) revocation.exp = seconds(o.exp, `${at}.exp`);
  return revocation;
}

function invalid(at: string, problem: string): never {
  throw new KeyringError(`Invalid keyring: '${at}' ${problem}`);
}

function object(value: unknown, at: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    if (at === "") throw new KeyringError("Invalid keyring: the document must be a JSON object");
    invalid(at, "must be an object");
  }
  return value as Record<string, unknown>;
}

function onlyFields(o: Record<string, unknown>, at: string, allowed: string[]): void {
  for (const name of Object.keys(o)) {
    if (!allowed.includes(name)) {
      throw new KeyringError(`Invalid keyring: unknown field '${at ? `${at}.` : ""}${name}'`);
    }
  }
}

function array(value: unknown, at: string): unknown[] {
  if (!Array.isArray(value)) invalid(at, value === undefined ? "is missing" : "must be an array");
  return value;
}

function string(value: unknown, at: string): string {
  if (typeof value !== "string") {
    invalid(at, value === undefined ? "is missing" : "must be a string");
  }
  return value;
}

function nonEmpty(value: unknown, at: string): string {
  const s = string(value, at);
  if (s === "") invalid(at, "must not be empty");
  return s;
}

const KID = /^[A-Za-z0-9_-]{1,64}$/;

function kidString(value: unknown, at: string): string {
  const s = string(value, at);
  if (!KID.test(s)) invalid(at, "must be 1 to 64 base64url characters");
  return s;
}

function stringList(value: unknown, at: string): string[] {
  return array(value, at).map((item, i) => nonEmpty(item, `${at}[${i}]`));
}

function seconds(value: unknown, at: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    invalid(at, value === undefined ? "is missing" : "must be a whole number of seconds");
  }
  return value;
}

function isoDate(value: unknown, at: string): string {
  const s = string(value, at);
  if (Number.isNaN(Date.parse(s))) invalid(at, `must be an ISO 8601 date: got ${s}`);
  return s;
}

/** Printable ASCII without spaces: the audience goes into every token's `aud`. */
const AUDIENCE = /^[\x21-\x7e]{1,128}$/;

function checkAudience(audience: string, at: string): void {
  if (!AUDIENCE.test(audience)) {
    invalid(at, "must be 1 to 128 printable ASCII characters without spaces");
  }
}

function unique(values: string[], at: string, field: string): void {
  const seen = new Set<string>();
  for (const [i, v] of values.entries()) {
    if (seen.has(v)) invalid(`${at}[${i}].${field}`, `duplicates an earlier entry: ${v}`);
    seen.add(v);
  }
}
