import assert from "node:assert/strict";
import { base64url, CompactSign, generateKeyPair as joseKeyPair, importJWK, SignJWT } from "jose";
import type { Action, Grant } from "../../lib/security/grant.ts";
import { createKeyring, type Keyring } from "../../lib/security/keyring.ts";
import { generateKeyPair } from "../../lib/security/keyring_keygen.ts";
import { addKey, retireKey, revokeToken } from "../../lib/security/keyring_ops.ts";
import { checkSkill, checkTask } from "../../lib/security/scope.ts";
import { issueToken } from "../../lib/security/token_issue.ts";
import {
  CLOCK_TOLERANCE_S,
  createVerifier,
  looksLikeJwt,
  MAX_TOKEN_BYTES,
  TokenError,
  type TokenRefusal,
  verifyToken,
} from "../../lib/security/token_verify.ts";

const NOW = Date.parse("2030-01-01T00:00:00Z");
const HOUR = 3_600_000;

async function newKeyring(audience = "mesh-test0001"): Promise<Keyring> {
  return addKey(createKeyring(audience), await generateKeyPair(), { now: NOW });
}

const KR = await newKeyring();

interface IssueOverrides {
  actions?: Action[];
  capabilities?: string[];
  skills?: string[];
  ttlMs?: number;
  notBefore?: number;
}

async function issue(kr: Keyring, overrides: IssueOverrides = {}): Promise<string> {
  const { token } = await issueToken(kr, {
    subject: "ci",
    actions: ["task", "read"],
    capabilities: ["calc"],
    skills: ["calculator"],
    ttlMs: HOUR,
    now: NOW,
    ...overrides,
  });
  return token;
}

async function refusal(
  token: string,
  kr: Keyring = KR,
  now = NOW,
): Promise<TokenRefusal | "accepted"> {
  try {
    await verifyToken(token, await createVerifier(kr), now);
    return "accepted";
  } catch (err) {
    const reason = (err as { reason?: TokenRefusal }).reason;
    assert.ok(reason !== undefined, `not a TokenError: ${err}`);
    return reason;
  }
}

/** Signs any header and payload with the keyring's active private key. */
async function signRaw(
  kr: Keyring,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
): Promise<string> {
  const key = kr.keys.find((k) => k.kid === kr.activeKid)!;
  const privateKey = await importJWK(key.privateJwk!, "EdDSA");
  return await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader(header as { alg: string })
    .sign(privateKey);
}

function validClaims(kr: Keyring = KR): Record<string, unknown> {
  const s = Math.floor(NOW / 1000);
  return {
    sub: "ci",
    aud: kr.audience,
    jti: crypto.randomUUID(),
    iat: s,
    nbf: s,
    exp: s + 3600,
    scope: "task read",
    capabilities: ["calc"],
    skills: ["calculator"],
  };
}

function header(kr: Keyring = KR): Record<string, unknown> {
  return { alg: "EdDSA", kid: kr.activeKid, typ: "JWT" };
}

function segments(token: string): [string, string, string] {
  const [h, p, s] = token.split(".");
  return [h, p, s];
}

function encodeJson(value: unknown): string {
  return base64url.encode(JSON.stringify(value));
}

Deno.test("verifyToken() accepts a valid token and returns its grant", async () => {
  const token = await issue(KR);
  const grant = await verifyToken(token, await createVerifier(KR), NOW);
  const { jti } = JSON.parse(new TextDecoder().decode(base64url.decode(segments(token)[1])));
  assert.deepEqual(
    grant,
    {
      method: "token",
      subject: "ci",
      tokenId: jti,
      actions: ["task", "read"],
      capabilities: ["calc"],
      skills: ["calculator"],
      expiresAtMs: NOW + HOUR,
      token,
    } satisfies Grant,
  );
  assert.equal(checkTask(grant, { requiredCapabilities: ["calc"], toolHint: "calculator" }), null);
  assert.equal(checkSkill(grant, { name: "calculator", capabilities: ["calc"] }), null);
});

Deno.test("verifyToken() grants a token for a wrong capability, which the scope check denies", async () => {
  const grant = await verifyToken(await issue(KR), await createVerifier(KR), NOW);
  assert.deepEqual(
    checkTask(grant, { requiredCapabilities: ["calc", "gpu"] })?.scope,
    "capability:gpu",
  );
  assert.equal(
    checkSkill(grant, { name: "calculator", capabilities: ["gpu"] })?.scope,
    "capability:gpu",
  );
});

Deno.test("verifyToken() grants a token for a wrong skill, which the scope check denies", async () => {
  const grant = await verifyToken(await issue(KR), await createVerifier(KR), NOW);
  const denial = checkTask(grant, { requiredCapabilities: ["calc"], toolHint: "browser" });
  assert.equal(denial?.scope, "skill:browser");
  assert.equal(
    checkSkill(grant, { name: "browser", capabilities: ["calc"] })?.scope,
    "skill:browser",
  );
});

Deno.test("verifyToken() grants a read-only token, which the task check denies", async () => {
  const grant = await verifyToken(
    await issue(KR, { actions: ["read"] }),
    await createVerifier(KR),
    NOW,
  );
  assert.deepEqual(grant.actions, ["read"]);
  assert.equal(checkTask(grant, { requiredCapabilities: [] })?.scope, "action:task");
});

Deno.test("verifyToken() refuses an expired token, within the clock tolerance it still accepts", async () => {
  const token = await issue(KR, { ttlMs: HOUR });
  const exp = NOW + HOUR;
  assert.equal(await refusal(token, KR, exp + (CLOCK_TOLERANCE_S - 1) * 1000), "accepted");
  assert.equal(await refusal(token, KR, exp + CLOCK_TOLERANCE_S * 1000), "expired");
  assert.equal(await refusal(token, KR, exp + 10 * HOUR), "expired");
});

Deno.test("verifyToken() refuses a token before its not-before time", async () => {
  const token = await issue(KR, { notBefore: NOW + HOUR });
  assert.equal(await refusal(token, KR, NOW), "not_yet_valid");
  assert.equal(
    await refusal(token, KR, NOW + HOUR - (CLOCK_TOLERANCE_S + 1) * 1000),
    "not_yet_valid",
  );
  assert.equal(await refusal(token, KR, NOW + HOUR - (CLOCK_TOLERANCE_S - 1) * 1000), "accepted");
  assert.equal(await refusal(token, KR, NOW + 2 * HOUR - 1000), "accepted");
  assert.equal(await refusal(token, KR, NOW + 3 * HOUR), "expired");
});

Deno.test("verifyToken() refuses a token for another audience", async () => {
  const sameKeyOtherMesh = { ...KR, audience: "mesh-other" };
  assert.equal(await refusal(await issue(sameKeyOtherMesh)), "wrong_audience");
  const { aud: _aud, ...noAudience } = validClaims();
  assert.equal(await refusal(await signRaw(KR, header(), noAudience)), "wrong_audience");
  const listed = { ...validClaims(), aud: ["mesh-other", "mesh-else"] };
  assert.equal(await refusal(await signRaw(KR, header(), listed)), "wrong_audience");
});

Deno.test("verifyToken() refuses an unknown or missing key id", async () => {
  const { kid: _kid, ...noKid } = header();
  assert.equal(await refusal(await signRaw(KR, noKid, validClaims())), "unknown_key");
  assert.equal(
    await refusal(await signRaw(KR, { ...header(), kid: "nope" }, validClaims())),
    "unknown_key",
  );
  assert.equal(
    await refusal(await signRaw(KR, { ...header(), kid: 7 }, validClaims())),
    "unknown_key",
  );
});

Deno.test("verifyToken() refuses a token from another keyring", async () => {
  const sameMesh = await newKeyring(KR.audience);
  assert.equal(await refusal(await issue(sameMesh)), "unknown_key");
  assert.equal(await refusal(await issue(await newKeyring("mesh-else"))), "unknown_key");
});

Deno.test("verifyToken() refuses a token signed by a foreign key under a known key id", async () => {
  const foreign = await newKeyring(KR.audience);
  const token = await signRaw(foreign, header(KR), validClaims());
  assert.equal(await refusal(token), "bad_signature");
});

Deno.test("verifyToken() refuses a revoked token and keeps accepting the others", async () => {
  const revokedToken = await issue(KR);
  const other = await issue(KR);
  const grant = await verifyToken(revokedToken, await createVerifier(KR), NOW);
  const revoked = revokeToken(KR, grant.tokenId!, NOW);
  assert.equal(await refusal(revokedToken, revoked), "revoked");
  assert.equal(await refusal(other, revoked), "accepted");
  assert.equal(await refusal(revokedToken, KR), "accepted", "the old keyring is unchanged");
});

Deno.test("verifyToken() refuses a token of a retired key", async () => {
  const oldToken = await issue(KR);
  const rotated = addKey(KR, await generateKeyPair(), { now: NOW });
  assert.equal(await refusal(oldToken, rotated), "accepted");
  const retired = retireKey(rotated, KR.activeKid!, NOW);
  assert.equal(await refusal(oldToken, retired), "unknown_key");
  assert.equal(await refusal(await issue(retired), retired), "accepted");
});

Deno.test("verifyToken() refuses HS256 signed with the public key bytes or JWK as secret", async () => {
  const publicJwk = KR.keys[0].publicJwk;
  const secrets = [
    base64url.decode(publicJwk.x),
    new TextEncoder().encode(JSON.stringify(publicJwk)),
    new TextEncoder().encode(publicJwk.x),
  ];
  for (const secret of secrets) {
    const token = await new SignJWT(validClaims())
      .setProtectedHeader({ alg: "HS256", kid: KR.activeKid!, typ: "JWT" })
      .sign(secret);
    assert.equal(await refusal(token), "alg_not_allowed");
  }
});

Deno.test("verifyToken() refuses RS256 and ES256 tokens signed with foreign keys", async () => {
  for (const alg of ["RS256", "ES256", "PS256"]) {
    const { privateKey } = await joseKeyPair(alg);
    const token = await new SignJWT(validClaims())
      .setProtectedHeader({ alg, kid: KR.activeKid!, typ: "JWT" })
      .sign(privateKey);
    assert.equal(await refusal(token), "alg_not_allowed", alg);
  }
});

Deno.test("verifyToken() refuses alg none, with or without a signature", async () => {
  const payload = encodeJson(validClaims());
  const realSignature = segments(await issue(KR))[2];
  for (const alg of ["none", "None", "NONE", ""]) {
    const h = encodeJson({ alg, kid: KR.activeKid, typ: "JWT" });
    assert.equal(await refusal(`${h}.${payload}.`), "alg_not_allowed", alg);
    assert.equal(await refusal(`${h}.${payload}.${realSignature}`), "alg_not_allowed", alg);
  }
  const noAlg = encodeJson({ kid: KR.activeKid, typ: "JWT" });
  assert.equal(await refusal(`${noAlg}.${payload}.`), "alg_not_allowed");
  const ed25519 = await signRaw(KR, { ...header(), alg: "Ed25519" }, validClaims());
  assert.equal(await refusal(ed25519), "alg_not_allowed", "only the EdDSA name is allowed");
});

Deno.test("verifyToken() refuses a tampered payload re-encoded under the same signature", async () => {
  const token = await issue(KR, { actions: ["read"], capabilities: ["calc"] });
  const [h, p, s] = segments(token);
  const claims = JSON.parse(new TextDecoder().decode(base64url.decode(p)));
  const tampered = [
    { ...claims, scope: "admin" },
    { ...claims, capabilities: ["*"] },
    { ...claims, exp: claims.exp + 3600 },
    { ...claims, sub: "root" },
    claims, // same claims, different serialization below
  ];
  for (const [i, c] of tampered.entries()) {
    const body = i === tampered.length - 1
      ? base64url.encode(JSON.stringify(c, null, 1))
      : encodeJson(c);
    assert.equal(await refusal(`${h}.${body}.${s}`), "bad_signature", JSON.stringify(c));
  }
});

Deno.test("verifyToken() refuses a tampered header or signature", async () => {
  const [h, p, s] = segments(await issue(KR));
  const headerClaims = JSON.parse(new TextDecoder().decode(base64url.decode(h)));
  const newHeader = encodeJson({ ...headerClaims, extra: 1 });
  assert.equal(await refusal(`${newHeader}.${p}.${s}`), "bad_signature");
  const mid = s.length >> 1;
  const flipped = s.slice(0, mid) + (s[mid] === "A" ? "B" : "A") + s.slice(mid + 1);
  assert.equal(await refusal(`${h}.${p}.${flipped}`), "bad_signature");
  const zeros = base64url.encode(new Uint8Array(64));
  assert.equal(await refusal(`${h}.${p}.${zeros}`), "bad_signature");
});

Deno.test("verifyToken() refuses every truncation of a token as malformed", async () => {
  const token = await issue(KR);
  const verifier = await createVerifier(KR);
  for (let length = 0; length < token.length; length++) {
    await assert.rejects(
      verifyToken(token.slice(0, length), verifier, NOW),
      (err: { reason?: string }) => err.reason === "malformed",
      `prefix of length ${length}`,
    );
  }
  assert.equal(await refusal(token), "accepted", "the whole token passes");
});

Deno.test("verifyToken() refuses malformed and oversized tokens", async () => {
  const [h, p, s] = segments(await issue(KR));
  const cases = [
    "",
    "abc",
    "a.b",
    "a.b.c.d",
    `${h}.${p}.${s}.`,
    `${h}..${s}`,
    `.${p}.${s}`,
    `${h}.${p}.${s}=`,
    `${h}.${p}.${s.slice(0, -2)}+/`,
    `${h} .${p}.${s}`,
    `${encodeJson("just a string")}.${p}.${s}`,
    `${base64url.encode("{not json")}.${p}.${s}`,
    `${base64url.encode(new Uint8Array([0xff, 0xfe, 0x7b]))}.${p}.${s}`,
    `${h}.${p}.${s}${"A".repeat(4)}`,
    `${h}.${"A".repeat(MAX_TOKEN_BYTES)}.${s}`,
  ];
  for (const token of cases) {
    assert.equal(await refusal(token), "malformed", token.slice(0, 80));
  }
  await assert.rejects(
    verifyToken(42 as unknown as string, await createVerifier(KR), NOW),
    (err: { reason?: string }) => err.reason === "malformed",
  );
});

Deno.test("verifyToken() refuses a payload that is not a JSON object, even signed", async () => {
  const key = KR.keys[0];
  const privateKey = await importJWK(key.privateJwk!, "EdDSA");
  for (const payload of ["[1,2]", "not json", '"str"']) {
    const token = await new CompactSign(new TextEncoder().encode(payload))
      .setProtectedHeader({ alg: "EdDSA", kid: key.kid, typ: "JWT" })
      .sign(privateKey);
    assert.equal(await refusal(token), "malformed", payload);
  }
});

const INVALID_CLAIMS: Array<[string, (c: Record<string, unknown>) => Record<string, unknown>]> = [
  ["no sub", ({ sub: _, ...c }) => c],
  ["empty sub", (c) => ({ ...c, sub: "" })],
  ["numeric sub", (c) => ({ ...c, sub: 7 })],
  ["no jti", ({ jti: _, ...c }) => c],
  ["numeric jti", (c) => ({ ...c, jti: 7 })],
  ["no exp", ({ exp: _, ...c }) => c],
  ["string exp", (c) => ({ ...c, exp: "2099-01-01" })],
  ["no iat", ({ iat: _, ...c }) => c],
  ["no nbf", ({ nbf: _, ...c }) => c],
  ["string nbf", (c) => ({ ...c, nbf: "now" })],
  ["no scope", ({ scope: _, ...c }) => c],
  ["array scope", (c) => ({ ...c, scope: ["task"] })],
  ["empty scope", (c) => ({ ...c, scope: "" })],
  ["unknown action", (c) => ({ ...c, scope: "task root" })],
  ["double space in scope", (c) => ({ ...c, scope: "task  read" })],
  ["no capabilities", ({ capabilities: _, ...c }) => c],
  ["string capabilities", (c) => ({ ...c, capabilities: "*" })],
  ["numeric capability", (c) => ({ ...c, capabilities: [1] })],
  ["no skills", ({ skills: _, ...c }) => c],
  ["empty skill name", (c) => ({ ...c, skills: [""] })],
];

for (const [name, mutate] of INVALID_CLAIMS) {
  Deno.test(`verifyToken() refuses claims with ${name} as invalid_claims`, async () => {
    const token = await signRaw(KR, header(), mutate(validClaims()));
    assert.equal(await refusal(token), "invalid_claims");
  });
}

Deno.test("verifyToken() refuses a token whose typ is not JWT", async () => {
  const token = await signRaw(KR, { ...header(), typ: "at+jwt" }, validClaims());
  assert.equal(await refusal(token), "invalid_claims");
  const { typ: _typ, ...noTyp } = header();
  assert.equal(await refusal(await signRaw(KR, noTyp, validClaims())), "invalid_claims");
});

Deno.test("verifyToken() refusal messages never contain the token", async () => {
  const token = await issue(KR);
  const [h, p] = segments(token);
  for (const bad of [`${h}.${p}.`, token.slice(0, -1), token]) {
    const verifier = await createVerifier(revokeToken(KR, "x", NOW));
    await assert.rejects(verifyToken(bad, verifier, NOW + 10 * HOUR), (err: unknown) => {
      assert.ok(err instanceof TokenError, String(err));
      assert.ok(!err.message.includes(p), err.message);
      return true;
    });
  }
});

const SHAPES: Array<[string, boolean]> = [
  ["eyJh.eyJz.c2ln", true],
  ["eyJh.eyJz.", true],
  ["a-b_c.d.e", true],
  ["", false],
  ["secret", false],
  ["a.b", false],
  ["a..c", false],
  [".b.c", false],
  ["a.b.c.d", false],
  ["a.b.c=", false],
  ["a+b.c.d", false],
  ["a b.c.d", false],
  ["a.b.c\n", false],
];

for (const [input, expected] of SHAPES) {
  Deno.test(`looksLikeJwt(${JSON.stringify(input)}) is ${expected}`, () => {
    assert.equal(looksLikeJwt(input), expected);
  });
}

const DAY_S = 86_400;

// Issue 12 finding 8: a token signed with the keyring's key but never issued by
// `swarm token issue` (unrecorded jti, exp far beyond the issuing cap) was accepted.
const LIFETIMES: Array<
  [why: string, claims: (s: number) => Record<string, number>, max: number | undefined, out: string]
> = [
  ["one hour", (s) => ({ iat: s, nbf: s, exp: s + 3600 }), undefined, "accepted"],
  ["exactly 366 days", (s) => ({ iat: s, nbf: s, exp: s + 366 * DAY_S }), undefined, "accepted"],
  [
    "366 days and a second",
    (s) => ({ iat: s, nbf: s, exp: s + 366 * DAY_S + 1 }),
    undefined,
    "lifetime_too_long",
  ],
  [
    "100 years",
    (s) => ({ iat: s, nbf: s, exp: s + 36_500 * DAY_S }),
    undefined,
    "lifetime_too_long",
  ],
  [
    "an iat in the future shortening exp - iat",
    (s) => ({ iat: s + 3_000 * DAY_S, nbf: s, exp: s + 3_001 * DAY_S }),
    undefined,
    "invalid_claims",
  ],
  [
    "issued long ago, exp far ahead",
    (s) => ({ iat: s - 400 * DAY_S, nbf: s, exp: s + 3600 }),
    undefined,
    "expired",
  ],
  [
    "two hours under a one-hour cap",
    (s) => ({ iat: s, nbf: s, exp: s + 7200 }),
    HOUR,
    "lifetime_too_long",
  ],
  ["one hour under a one-hour cap", (s) => ({ iat: s, nbf: s, exp: s + 3600 }), HOUR, "accepted"],
];

for (const [why, times, maxLifetimeMs, expected] of LIFETIMES) {
  Deno.test(`verifyToken() lifetime: ${why} → ${expected}`, async () => {
    const token = await signRaw(KR, header(), {
      ...validClaims(),
      ...times(Math.floor(NOW / 1000)),
    });
    let outcome: string;
    try {
      await verifyToken(token, await createVerifier(KR, { maxLifetimeMs }), NOW);
      outcome = "accepted";
    } catch (err) {
      outcome = (err as { reason: string }).reason;
    }
    assert.equal(outcome, expected);
  });
}

Deno.test("createVerifier() refuses a maximum lifetime under one second", async () => {
  await assert.rejects(createVerifier(KR, { maxLifetimeMs: 999 }), RangeError);
});

Deno.test("issueToken() refuses a not-before that puts exp more than 366 days after iat", async () => {
  await assert.rejects(
    issueToken(KR, {
      subject: "ci",
      actions: ["task"],
      capabilities: ["*"],
      skills: ["*"],
      ttlMs: 366 * DAY_S * 1000,
      now: NOW,
      notBefore: NOW + HOUR,
    }),
    (err: Error) =>
      err instanceof RangeError && /more than 366d after its issue time/.test(err.message),
  );
});
