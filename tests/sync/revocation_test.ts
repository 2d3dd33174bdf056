import assert from "node:assert/strict";
import {
  activateKey,
  addKey,
  createKeyring,
  generateKeyPair,
  type Keyring,
  publicView,
  revokeToken,
} from "../../lib/security/mod.ts";
import {
  isRevocationEnvelope,
  openRevocations,
  REVOCATION_PAYLOAD_TYPE,
  signRevocations,
  SyncRefusalError,
} from "../../lib/sync/mod.ts";
import { withTempDir } from "../_helpers/temp_dir.ts";
import { eventually, makePublisher, publish, SyncMesh, writeSkill } from "./_mesh.ts";

/** A keyring of `audience` with one active key, revoking `jtis`. */
async function keyringRevoking(audience: string, jtis: string[]): Promise<Keyring> {
  const pair = await generateKeyPair();
  let kr = activateKey(addKey(createKeyring(audience), pair), pair.kid);
  for (const jti of jtis) kr = revokeToken(kr, jti);
  return kr;
}

async function reason(work: Promise<unknown>): Promise<string> {
  const err = await work.then(() => undefined, (e) => e);
  assert.ok(err instanceof SyncRefusalError, `expected a refusal, got ${err}`);
  return err.reason;
}

Deno.test("signRevocations() makes a statement that openRevocations() verifies with the public keyring", async () => {
  const kr = await keyringRevoking("mesh-a", ["t-1", "t-2"]);
  const envelope = await signRevocations(kr, new Date("2026-12-08T00:00:00Z"));
  assert.equal(envelope.payloadType, REVOCATION_PAYLOAD_TYPE);
  assert.ok(isRevocationEnvelope(envelope));
  const opened = await openRevocations(JSON.parse(JSON.stringify(envelope)), publicView(kr));
  assert.deepEqual(opened.revoked.map((r) => r.jti), ["t-1", "t-2"]);
  assert.equal(opened.kid, kr.activeKid);
  assert.equal(opened.created, "2026-12-08T00:00:00.000Z");
  assert.match(opened.digest, /^[0-9a-f]{64}$/);
});

Deno.test("openRevocations() refuses statements it cannot trust, with the reason", async () => {
  const kr = await keyringRevoking("mesh-a", ["t-1"]);
  const other = await keyringRevoking("mesh-b", ["t-1"]);
  const sameMeshOtherKey = { ...other, audience: "mesh-a" };
  const envelope = await signRevocations(kr);
  const statement = JSON.parse(atob(envelope.payload));
  statement.revoked.push({ jti: "t-9", revoked_at: "2026-12-08T00:00:00.000Z" });
  const tampered = { ...envelope, payload: btoa(JSON.stringify(statement)) };
  const cases: Array<[string, unknown, Keyring | undefined, string]> = [
    ["no keyring", envelope, undefined, "untrusted_publisher"],
    ["another mesh", envelope, publicView(other), "untrusted_publisher"],
    ["a key this keyring lacks", envelope, publicView(sameMeshOtherKey), "untrusted_publisher"],
    ["tampered", tampered, publicView(kr), "bad_signature"],
    ["unsigned", { ...envelope, signatures: [] }, publicView(kr), "unsigned"],
    ["not an envelope", { hello: 1 }, publicView(kr), "malformed"],
    [
      "a release's payload type",
      { ...envelope, payloadType: "application/vnd.in-toto+json" },
      publicView(kr),
      "malformed",
    ],
    [
      "extra statement fields",
      { ...envelope, payload: btoa(JSON.stringify({ ...statement, extra: 1 })) },
      publicView(kr),
      "malformed",
    ],
  ];
  for (const [label, input, keyring, want] of cases) {
    assert.equal(await reason(openRevocations(input, keyring)), want, label);
  }
});

Deno.test("signRevocations() needs the active key's private half", async () => {
  const kr = await keyringRevoking("mesh-a", ["t-1"]);
  await assert.rejects(
    signRevocations(publicView(kr)),
    (err: unknown) => err instanceof TypeError && /private half/.test(err.message),
  );
});

Deno.test("SkillSync: signed revocations spread with releases and reach every node's verifier", async () => {
  await withTempDir(async (dir) => {
    const kr = await keyringRevoking("mesh-a", ["t-1"]);
    const acme = await makePublisher(dir, "acme");
    const mesh = new SyncMesh(dir);
    const seen = new Map<string, string[]>();
    const options = (id: string) => ({
      trust: [acme.trusted],
      keyring: publicView(kr),
      onRevocations: (revoked: Array<{ jti: string }>) => seen.set(id, revoked.map((r) => r.jti)),
    });
    const a = await mesh.add("a", options("a"));
    const b = await mesh.add("b", { ...options("b"), peers: ["a"] });
    const c = await mesh.add("c", { ...options("c"), peers: ["b"] });
    const stranger = await mesh.add("stranger", { trust: [acme.trusted], peers: ["a"] });
    a.peers = ["b", "stranger"], b.peers = ["a", "c"];
    await publish(a, acme, await writeSkill(dir, "echo", "1.0.0"));
    const outcome = await a.sync.receive(await signRevocations(kr), "publisher");
    assert.equal(outcome.verdict, "accepted");
    await mesh.rounds(2);
    assert.ok(await eventually(() => seen.get("c")?.join() === "t-1"), `c saw ${seen.get("c")}`);
    assert.deepEqual(seen.get("b"), ["t-1"]);
    assert.deepEqual((await c.sync.view()).revocations, { statements: 1, tokens: 1 });
    // A node without the keyring refuses the statement (and still takes the release).
    assert.ok(
      stranger.events.some((e) => e.type === "skill_refused" && e.reason === "untrusted_publisher"),
    );
    assert.equal((await stranger.sync.view()).revocations.statements, 0);
    // A second revocation supersedes nothing: both statements count, every id once.
    const more = revokeToken(kr, "t-2");
    await b.sync.receive(await signRevocations(more), "publisher");
    await mesh.rounds(2);
    assert.ok(await eventually(() => seen.get("a")?.sort().join() === "t-1,t-2"));
    assert.deepEqual((await a.sync.view()).revocations, { statements: 2, tokens: 2 });
  });
});
