import assert from "node:assert/strict";
import { computeSkillFingerprint } from "../../lib/skills/mod.ts";
import { SyncRefusalError } from "../../lib/sync/mod.ts";
import { withTempDir } from "../_helpers/temp_dir.ts";
import {
  eventually,
  installedVersion,
  makePublisher,
  publish,
  SyncMesh,
  writeSkill,
} from "./_mesh.ts";

Deno.test("SkillSync: a published release spreads by push and installs on every accepting node", async () => {
  await withTempDir(async (dir) => {
    const acme = await makePublisher(dir, "acme");
    const mesh = new SyncMesh(dir);
    const trust = [acme.trusted];
    const a = await mesh.add("a", { trust });
    const relay = await mesh.add("relay", { trust, accept: false });
    const c = await mesh.add("c", { trust });
    // c knows only the relay and a: the relay holds no files, so c fetches them from a.
    a.peers = ["relay"];
    relay.peers = ["a", "c"];
    c.peers = ["relay", "a"];
    const skill = await writeSkill(dir, "echo", "1.0.0");
    const { release, outcome } = await publish(a, acme, skill);
    assert.equal(outcome.verdict, "installed");
    assert.ok(await eventually(async () => (await installedVersion(c, "echo")) === "1.0.0"));
    assert.equal(await installedVersion(a, "echo"), "1.0.0");
    // The relay keeps and passes on the release, but installs nothing.
    const relayView = await relay.sync.view();
    assert.equal(relayView.skills[0].state, "not_accepted");
    assert.equal(relayView.skills[0].installed, null);
    // What c installed is what the publisher signed, file for file.
    const installedDir = `${c.sync.skillsDir}/echo`;
    assert.equal(await computeSkillFingerprint(installedDir), release.fingerprint);
    const installed = c.events.find((e) => e.type === "skill_installed");
    assert.ok(installed && installed.type === "skill_installed" && installed.previous === null);
  });
});

Deno.test("SkillSync: a node that was down catches up by anti-entropy", async () => {
  await withTempDir(async (dir) => {
    const acme = await makePublisher(dir, "acme");
    const mesh = new SyncMesh(dir);
    const trust = [acme.trusted];
    const a = await mesh.add("a", { trust });
    const b = await mesh.add("b", { trust });
    a.peers = ["b"];
    b.peers = ["a"];
    mesh.down.add("b");
    await publish(a, acme, await writeSkill(dir, "echo", "1.0.0"));
    await publish(a, acme, await writeSkill(dir, "echo", "1.1.0"));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await installedVersion(b, "echo"), undefined);
    mesh.down.delete("b");
    await mesh.rounds(2);
    assert.equal(await installedVersion(b, "echo"), "1.1.0");
    assert.equal(b.sync.root(), a.sync.root());
  });
});

Deno.test("SkillSync: a partition that heals converges on both sides", async () => {
  await withTempDir(async (dir) => {
    const acme = await makePublisher(dir, "acme");
    const mesh = new SyncMesh(dir);
    const trust = [acme.trusted];
    const ids = ["a", "b", "c", "d"];
    for (const id of ids) await mesh.add(id, { trust });
    const [a, b, c, d] = ids.map((id) => mesh.nodes.get(id)!);
    // Two islands: {a, b} and {c, d}.
    a.peers = ["b"], b.peers = ["a"], c.peers = ["d"], d.peers = ["c"];
    await publish(a, acme, await writeSkill(dir, "left", "1.0.0"));
    await publish(c, acme, await writeSkill(dir, "right", "2.0.0"));
    await mesh.rounds(1);
    assert.equal(await installedVersion(b, "left"), "1.0.0");
    assert.equal(await installedVersion(b, "right"), undefined);
    // Heal: b and c see each other.
    b.peers = ["a", "c"], c.peers = ["d", "b"];
    await mesh.rounds(3);
    for (const node of [a, b, c, d]) {
      assert.equal(await installedVersion(node, "left"), "1.0.0", node.id);
      assert.equal(await installedVersion(node, "right"), "2.0.0", node.id);
    }
  });
});

Deno.test("SkillSync: two publishers of one version converge to the same release everywhere", async () => {
  await withTempDir(async (dir) => {
    const acme = await makePublisher(dir, "acme");
    const beta = await makePublisher(dir, "beta");
    const mesh = new SyncMesh(dir);
    const trust = [acme.trusted, beta.trusted];
    const a = await mesh.add("a", { trust });
    const b = await mesh.add("b", { trust });
    a.peers = [], b.peers = [];
    // Each publishes 1.1.0 of echo, other content, on its own node; beta's is later.
    await publish(a, acme, await writeSkill(dir, "echo", "1.1.0", "acme"), {
      created: new Date("2026-12-08T01:00:00Z"),
    });
    const later = await publish(b, beta, await writeSkill(dir, "echo", "1.1.0", "beta"), {
      created: new Date("2026-12-08T02:00:00Z"),
    });
    a.peers = ["b"], b.peers = ["a"];
    await mesh.rounds(2);
    for (const node of [a, b]) {
      const skill = (await node.sync.view()).skills.find((s) => s.name === "echo")!;
      assert.equal(skill.installed?.fingerprint, later.release.fingerprint, node.id);
      assert.equal(skill.installed?.publisher, "beta", node.id);
    }
  });
});

Deno.test("SkillSync: refusals are reported with their reason and install nothing", async () => {
  await withTempDir(async (dir) => {
    const acme = await makePublisher(dir, "acme");
    const mallory = await makePublisher(dir, "mallory");
    const calcOnly = await makePublisher(dir, "calc-only", ["calc*"]);
    const mesh = new SyncMesh(dir);
    const a = await mesh.add("a", { trust: [acme.trusted, calcOnly.trusted] });
    const reasonOf = async (work: Promise<unknown>) => {
      const err = await work.then(() => undefined, (e) => e);
      assert.ok(err instanceof SyncRefusalError, `expected a refusal, got ${err}`);
      return err.reason;
    };

    // Untrusted publisher.
    const skill = await writeSkill(dir, "echo", "1.0.0");
    assert.equal(await reasonOf(publish(a, mallory, skill)), "untrusted_publisher");
    // Trusted, but not for this name.
    assert.equal(await reasonOf(publish(a, calcOnly, skill)), "publisher_not_allowed");
    // Tampered payload: the signature no longer matches.
    const { envelope } = await publish(a, acme, skill);
    const statement = JSON.parse(atob(envelope.payload));
    statement.predicate.version = "9.9.9";
    const tampered = { ...envelope, payload: btoa(JSON.stringify(statement)) };
    assert.equal(await reasonOf(a.sync.receive(tampered, "publisher")), "bad_signature");
    // Unsigned.
    const unsigned = { ...envelope, signatures: [] };
    assert.equal(await reasonOf(a.sync.receive(unsigned, "publisher")), "unsigned");

    const refused = a.events.filter((e) => e.type === "skill_refused").map((e) =>
      e.type === "skill_refused" ? e.reason : ""
    );
    assert.deepEqual(refused, [
      "untrusted_publisher",
      "publisher_not_allowed",
      "bad_signature",
      "unsigned",
    ]);
    const view = await a.sync.view();
    assert.deepEqual(view.refusals, {
      untrusted_publisher: 1,
      publisher_not_allowed: 1,
      bad_signature: 1,
      unsigned: 1,
    });
    assert.equal(await installedVersion(a, "echo"), "1.0.0");
    assert.equal(view.releases, 1);
  });
});

Deno.test("SkillSync: a release whose files do not match is refused at install (hash_mismatch)", async () => {
  await withTempDir(async (dir) => {
    const acme = await makePublisher(dir, "acme");
    const mesh = new SyncMesh(dir);
    const a = await mesh.add("a", { trust: [acme.trusted] });
    const b = await mesh.add("b", { trust: [acme.trusted] });
    a.peers = ["b"], b.peers = ["a"];
    const skill = await writeSkill(dir, "echo", "1.0.0");
    await publish(a, acme, skill);
    assert.ok(await eventually(async () => (await installedVersion(b, "echo")) === "1.0.0"));
    // A peer serving wrong bytes under a file's address is refused, and the file is fetched
    // from nobody else: c installs nothing and says why.
    const c = await mesh.add("c", { trust: [acme.trusted], peers: ["evil"] });
    const evil = mesh.peerOf("a", "c");
    const honest = evil.client.syncBlob;
    evil.client.syncBlob = async (sha256) => {
      await (await honest(sha256)).cancel();
      return new Blob([new TextEncoder().encode("not the file")]).stream();
    };
    c.peers = [];
    const envelope = await a.sync.envelope(a.sync.digests()[0]);
    await c.sync.receive(envelope, "evil", { ...evil, id: "evil" });
    assert.equal(await installedVersion(c, "echo"), undefined);
    const refusal = c.events.find((e) => e.type === "skill_refused");
    assert.ok(refusal && refusal.type === "skill_refused");
    assert.equal(refusal.reason, "hash_mismatch");
    assert.equal(refusal.from, "evil");
    assert.equal((await c.sync.view()).skills[0].state, "pending");
  });
});

Deno.test("SkillSync: a lower version arriving later is a refused rollback; the higher stays", async () => {
  await withTempDir(async (dir) => {
    const acme = await makePublisher(dir, "acme");
    const mesh = new SyncMesh(dir);
    const a = await mesh.add("a", { trust: [acme.trusted] });
    await publish(a, acme, await writeSkill(dir, "echo", "1.1.0"));
    const old = await publish(a, acme, await writeSkill(dir, "echo", "1.0.0"));
    assert.equal(old.outcome.verdict, "rollback");
    assert.equal(await installedVersion(a, "echo"), "1.1.0");
    const refusal = a.events.find((e) => e.type === "skill_refused");
    assert.ok(refusal?.type === "skill_refused" && refusal.reason === "rollback");
    assert.equal(refusal.version, "1.0.0");
  });
});

Deno.test("SkillSync: equivocation by one publisher installs neither release, on every node", async () => {
  await withTempDir(async (dir) => {
    const acme = await makePublisher(dir, "acme");
    const mesh = new SyncMesh(dir);
    const trust = [acme.trusted];
    const a = await mesh.add("a", { trust });
    const b = await mesh.add("b", { trust });
    a.peers = [], b.peers = [];
    await publish(a, acme, await writeSkill(dir, "echo", "1.0.0"));
    await mesh.nodes.get("a")!.sync.round();
    const one = await publish(a, acme, await writeSkill(dir, "echo", "1.1.0", "one"));
    const two = await publish(b, acme, await writeSkill(dir, "echo", "1.1.0", "two"));
    assert.equal(one.outcome.verdict, "installed");
    a.peers = ["b"], b.peers = ["a"];
    await mesh.rounds(2);
    for (const node of [a, b]) {
      const skill = (await node.sync.view()).skills.find((s) => s.name === "echo")!;
      assert.equal(skill.installed?.version, "1.0.0", node.id);
      assert.deepEqual(
        skill.flagged.map((f) => f.reason),
        ["equivocation", "equivocation"],
        node.id,
      );
    }
    assert.ok(
      a.events.some((e) =>
        e.type === "skill_refused" && e.reason === "equivocation" && e.digest === two.outcome.digest
      ),
    );
  });
});

Deno.test("SkillSync: a pin holds whatever gossip brings, and reports the newer release", async () => {
  await withTempDir(async (dir) => {
    const acme = await makePublisher(dir, "acme");
    const mesh = new SyncMesh(dir);
    const trust = [acme.trusted];
    const a = await mesh.add("a", { trust });
    const b = await mesh.add("b", { trust, peers: ["a"] });
    a.peers = ["b"];
    await publish(a, acme, await writeSkill(dir, "echo", "1.0.0"));
    assert.ok(await eventually(async () => (await installedVersion(b, "echo")) === "1.0.0"));
    b.pins = [{ name: "echo", version: "1.0.0" }];
    await b.sync.round();
    await publish(a, acme, await writeSkill(dir, "echo", "1.2.0"));
    await mesh.rounds(2);
    assert.equal(await installedVersion(a, "echo"), "1.2.0");
    const skill = (await b.sync.view()).skills.find((s) => s.name === "echo")!;
    assert.equal(skill.installed?.version, "1.0.0");
    assert.deepEqual(skill.pin, { spec: "echo@1.0.0", status: "pinned" });
    assert.deepEqual(skill.available.map((r) => r.version), ["1.2.0"]);
    // Unpinned, the node moves on to the newest release at the next round.
    b.pins = [];
    await b.sync.round();
    assert.equal(await installedVersion(b, "echo"), "1.2.0");
  });
});

Deno.test("SkillSync: a publisher removed from the trust store stops counting, its releases stay kept", async () => {
  await withTempDir(async (dir) => {
    const acme = await makePublisher(dir, "acme");
    const mesh = new SyncMesh(dir);
    const a = await mesh.add("a", { trust: [acme.trusted] });
    await publish(a, acme, await writeSkill(dir, "echo", "1.0.0"));
    a.trust = [];
    await a.sync.round();
    const view = await a.sync.view();
    assert.equal(view.releases, 1);
    assert.deepEqual(view.skills.map((s) => s.name), []);
    assert.deepEqual(view.trust, []);
  });
});
