/**
 * fast-check generators of hostile credentials and headers for
 * `hostile_input_test.ts`: Authorization values (malformed, JWT-shaped, `alg: none`,
 * signed by rogue keys, the real token mangled), random header names and values,
 * over-long header blocks, and bad `x-swarm-deadline-ms` values.
 *
 * @module
 */
import fc from "fast-check";
import { labelled } from "./_hostile.ts";

const encoder = new TextEncoder();

/** Algorithms of the rogue keys that sign `jwt-signed` recipes. */
export type RogueAlg = "EdDSA" | "ES256" | "HS256";

/** Signs `claims` as a JWT with the rogue key of `alg`, `kid` in its header unless null. */
export type SignRogueJwt = (
  alg: RogueAlg,
  claims: Record<string, unknown>,
  kid: string | null,
) => Promise<string>;

/** How to build one Authorization value (signed ones are built by {@linkcode authorizationValue}). */
export type AuthRecipe =
  | { kind: "none" }
  | { kind: "literal"; value: string }
  | { kind: "token-variant"; variant: string }
  | { kind: "jwt-garbage"; parts: string[]; scheme: string }
  | { kind: "jwt-none"; alg: string; claims: Record<string, unknown>; signature: string }
  | {
    kind: "jwt-signed";
    alg: RogueAlg;
    claims: Record<string, unknown>;
    kid: string | null;
    tamper: "none" | "payload" | "signature" | "truncate" | "extra-part";
  };

const b64url = (text: string) =>
  btoa(String.fromCharCode(...encoder.encode(text))).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");

const claims = fc.record({
  sub: fc.string({ maxLength: 16 }),
  aud: fc.oneof(fc.string({ maxLength: 16 }), fc.constant("swarm")),
  jti: fc.uuid(),
  exp: fc.integer({ min: 0, max: 4_000_000_000 }),
  nbf: fc.integer({ min: 0, max: 4_000_000_000 }),
  scope: fc.array(fc.constantFrom("task:submit", "status:read", "admin", "*"), { maxLength: 4 }),
  capabilities: fc.array(fc.constantFrom("echo", "*"), { maxLength: 2 }),
}, { requiredKeys: [] });

/**
 * Authorization values that must be refused with 401: missing, empty, other schemes,
 * `Bearer` alone, extra parts, very long, Latin-1 bytes, JWT-shaped garbage, hand-made
 * `alg: none` JWTs, JWTs signed by a key the node does not know (some tampered), and
 * the real token mangled (built by {@linkcode authorizationValue}).
 */
export function badAuthorization(): fc.Arbitrary<AuthRecipe> {
  const b64 = fc.base64String({ maxLength: 64 }).map((s) =>
    s.replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "")
  );
  const literal = fc.oneof(
    fc.constantFrom(
      "",
      "Bearer",
      "Bearer ",
      "bearer",
      "Basic",
      "Token",
      "Bearer null",
      "Bearer undefined",
      "Bearer Bearer",
      "Bearer ,",
      "Negotiate YIIB",
      "Digest username=x",
    ),
    fc.tuple(fc.constantFrom("Basic", "Digest", "Token", "Bearer:", "Bearer,", "X"), b64)
      .map(([s, v]) => `${s} ${v}`),
    fc.array(b64, { minLength: 2, maxLength: 5 }).map((parts) => `Bearer ${parts.join(" ")}`),
    fc.integer({ min: 1_024, max: 16_384 }).map((n) => `Bearer ${"A".repeat(n)}`),
    fc.string({
      minLength: 1,
      maxLength: 40,
      unit: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)),
    })
      .map((s) => `Bearer ${s}`),
    fc.string({ minLength: 1, maxLength: 80, unit: "grapheme-ascii" }),
  ).map((value): AuthRecipe => ({ kind: "literal", value }));
  const tokenVariant = fc.constantFrom(
    "basic",
    "no-space",
    "extra-part",
    "prefix",
    "suffix",
    "truncated",
    "upper",
    "quoted",
    "doubled",
    "scheme-only-token",
  ).map((variant): AuthRecipe => ({ kind: "token-variant", variant }));
  const jwtGarbage = fc.tuple(
    fc.array(b64, { minLength: 3, maxLength: 3 }),
    fc.constantFrom("Bearer", "bearer", "JWT"),
  ).map(([parts, scheme]): AuthRecipe => ({ kind: "jwt-garbage", parts, scheme }));
  const jwtNone = fc.tuple(
    fc.constantFrom("none", "None", "NONE", "nOnE", ""),
    claims,
    fc.constantFrom("", "x", "AAAA"),
  ).map(([alg, c, signature]): AuthRecipe => ({ kind: "jwt-none", alg, claims: c, signature }));
  const jwtSigned = fc.record({
    alg: fc.constantFrom<RogueAlg>("EdDSA", "ES256", "HS256"),
    claims,
    kid: fc.option(fc.string({ maxLength: 12 }), { nil: null }),
    tamper: fc.constantFrom(
      "none" as const,
      "payload" as const,
      "signature" as const,
      "truncate" as const,
      "extra-part" as const,
    ),
  }).map((r): AuthRecipe => ({ kind: "jwt-signed", ...r }));
  return fc.oneof(
    fc.constant<AuthRecipe>({ kind: "none" }),
    literal,
    tokenVariant,
    jwtGarbage,
    jwtNone,
    jwtSigned,
  );
}

/**
 * The Authorization header value of `recipe` (null: send none). `sign` signs a JWT with
 * a rogue key (the test passes jose's SignJWT, so this module stays free of key handling).
 */
export async function authorizationValue(
  recipe: AuthRecipe,
  token: string,
  sign: SignRogueJwt,
): Promise<string | null> {
  switch (recipe.kind) {
    case "none":
      return null;
    case "literal":
      return recipe.value;
    case "jwt-garbage":
      return `${recipe.scheme} ${recipe.parts.join(".")}`;
    case "jwt-none": {
      const header = b64url(JSON.stringify({ alg: recipe.alg, typ: "JWT" }));
      return `Bearer ${header}.${b64url(JSON.stringify(recipe.claims))}.${recipe.signature}`;
    }
    case "token-variant":
      return {
        "basic": `Basic ${token}`,
        "no-space": `Bearer${token}`,
        "extra-part": `Bearer ${token} extra`,
        "prefix": `Bearer x${token}`,
        "suffix": `Bearer ${token}x`,
        "truncated": `Bearer ${token.slice(0, -1)}`,
        "upper": `Bearer ${token.toUpperCase()}`,
        "quoted": `Bearer "${token}"`,
        "doubled": `Bearer ${token}${token}`,
        "scheme-only-token": token,
      }[recipe.variant]!;
    case "jwt-signed": {
      const jwt = await sign(recipe.alg, recipe.claims, recipe.kid);
      const [h, p, s] = jwt.split(".");
      const flipped = (text: string) =>
        text.length === 0 ? "A" : (text[0] === "A" ? "B" : "A") + text.slice(1);
      const value = {
        "none": jwt,
        "payload": `${h}.${b64url(JSON.stringify({ ...recipe.claims, scope: ["*"] }))}.${s}`,
        "signature": `${h}.${p}.${flipped(s)}`,
        "truncate": `${h}.${p}`,
        "extra-part": `${jwt}.${s}`,
      }[recipe.tamper];
      return `Bearer ${value}`;
    }
  }
}

const tokenChar = fc.constantFrom(
  ..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~",
);
const headerName = fc.string({ minLength: 1, maxLength: 40, unit: tokenChar });
const headerValueChar = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
  { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
  { weight: 1, arbitrary: fc.constant(0x09) },
).map((c) => String.fromCharCode(c));

/** Header names the generators leave alone: framing, and the ones a case sets itself. */
const RESERVED_HEADERS = new Set([
  "authorization",
  "content-type",
  "content-length",
  "transfer-encoding",
  "host",
  "connection",
  "keep-alive",
  "upgrade",
  "te",
  "trailer",
  "expect",
]);

/**
 * Up to 40 random headers (token names, visible ASCII/Latin-1 values), at most ~4 KiB
 * in all: what fetch can send, small enough for any header limit.
 */
export function randomHeaders(): fc.Arbitrary<Array<[string, string]>> {
  const value = fc.string({ maxLength: 96, unit: headerValueChar });
  const known = fc.constantFrom(
    "x-swarm-hops",
    "x-swarm-via",
    "x-swarm-deadline-ms",
    "traceparent",
    "tracestate",
    "x-request-id",
    "accept",
    "accept-encoding",
    "content-encoding",
    "cookie",
    "origin",
    "x-forwarded-for",
    "range",
    "if-none-match",
  );
  return fc.array(fc.tuple(fc.oneof(headerName, known), value), { maxLength: 40 })
    .map((pairs) => pairs.filter(([name]) => !RESERVED_HEADERS.has(name.toLowerCase())));
}

/** An over-limit header block and its size. */
export interface HeaderBlock {
  /** The extra headers. */
  headers: Array<[string, string]>;
  /** Their size in bytes, counted as `name: value\r\n`. */
  bytes: number;
}

/**
 * Header blocks over the node's limits (16 KiB, 100 headers by default): 17–256 KiB in
 * 1–90 headers, or 101–400 small headers. The node must answer 4xx: 431 from its
 * header-limit middleware, or a bare 400 from the HTTP stack, which itself refuses
 * blocks over 64 KiB.
 */
export function overlongHeaders(): fc.Arbitrary<HeaderBlock> {
  const big = fc.tuple(
    fc.integer({ min: 17 * 1024, max: 256 * 1024 }),
    fc.integer({ min: 1, max: 90 }),
  ).map(([total, count]) => {
    const each = Math.ceil(total / count);
    return Array.from(
      { length: count },
      (_, i): [string, string] => [`x-long-${i}`, "v".repeat(each)],
    );
  });
  const many = fc.integer({ min: 101, max: 400 }).map((count) =>
    Array.from({ length: count }, (_, i): [string, string] => [`x-many-${i}`, "v"])
  );
  return fc.oneof(big, many).map((headers) => {
    const bytes = headers.reduce((n, [name, value]) => n + name.length + value.length + 4, 0);
    return labelled({ headers, bytes }, `${headers.length} headers, ${bytes} bytes`);
  });
}

/** Values of `x-swarm-deadline-ms` that are not a safe non-negative integer: 400. */
export function badDeadline(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom("-1", "1.5", "1e3", "0x10", "soon", "", "NaN", "Infinity", "9007199254740993"),
    fc.string({ maxLength: 24, unit: headerValueChar }),
    fc.integer({ min: 17, max: 400 }).map((n) => "9".repeat(n)),
  ).filter((v) => {
    const t = v.trim();
    return !/^[0-9]+$/.test(t) || !Number.isSafeInteger(Number(t));
  });
}
