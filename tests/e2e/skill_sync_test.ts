/**
 * Skill sync between real nodes on loopback, through the installed launcher and CLI:
 * `swarm key gen`, `swarm trust add`, `swarm skill publish|list|pin|rollback`, a relay
 * node that does not accept skills, refusals over HTTP with their events and metrics, a
 * trust store edited while the nodes run, and the synced skill run as a task.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { skillsUnavailable } from "../_helpers/bwrap.ts";
import { withTempDir } from "../_helpers/temp_dir.ts";
import {
  nodeTask,
  postTask,
  runSwarm,
  runSwarmOk,
  startNode,
  stopAll,
  type TestNode,
  waitFor,
} from "./_node.ts";
import { fetchWithin } from "../_helpers/with_timeout.ts";

// The synced skill is a Python skill, run as a node runs it: in bubblewrap.
const noSkills = await skillsUnavailable({ python: true });
if (noSkills) {
  console.log(`skill_sync_test (installing and running a synced skill) skipped: ${noSkills}`);
}

/**
 * A publisher key made by `swarm key gen` in `dir`, trusted as `publisher` by a data dir
 * per name (`data-NAME`, made by `swarm trust add`): the set-up of every test here.
 */
async function trustedPublisher(
  dir: string,
  publisher: string,
  names: string[],
): Promise<{ key: string; keyId: string; dataDirs: string[] }> {
  const key = join(dir, `${publisher}.key`);
  const keyId = await runSwarmOk(["key", "gen", "--out", key]);
  const dataDirs = names.map((n) => join(dir, `data-${n}`));
  for (const dataDir of dataDirs) {
    await runSwarmOk(["trust", "add", `${key}.pub`, "--name", publisher, "--data-dir", dataDir]);
  }
  return { key, keyId, dataDirs };
}

const TOKEN = "sync-e2e-shared-token";
const env = { SKILLLITE_SWARM_TOKEN: TOKEN };
const auth = { authorization: `Bearer ${TOKEN}` };

/** Writes skill `echo-sync` at `version`; its script answers with the version. */
async function writeSkill(dir: string, version: string, marker = version): Promise<string> {
  const skill = join(dir, `echo-sync-${version}-${marker}`);
  await Deno.mkdir(join(skill, "scripts"), { recursive: true });
  await Deno.writeTextFile(
    join(skill, "SKILL.md"),
    `---\nname: echo-sync\ndescription: Answers with its version\ncapabilities: [synced]\nmetadata:\n  version: "${version}"\n---\n# echo-sync\n`,
  );
  await Deno.writeTextFile(
    join(skill, "scripts", "main.py"),
    `import json\nprint(json.dumps({"version": "${version}", "marker": "${marker}"}))\n`,
  );
  return skill;
}

async function syncSkill(node: TestNode) {
  const res = await fetchWithin(`${node.url}/sync/skills`, { headers: auth });
  assert.equal(res.status, 200);
  const view = await res.json();
  return view.skills.find((s: { name: string }) => s.name === "echo-sync");
}

async function installed(node: TestNode): Promise<string | undefined> {
  return (await syncSkill(node))?.installed?.version;
}

async function metric(node: TestNode, line: string): Promise<boolean> {
  const text = await (await fetchWithin(`${node.url}/metrics`, { headers: auth })).text();
  return text.split("\n").some((l) => l === line);
}

Deno.test({
  name:
    "skill sync: publish on one node, relayed by a non-accepting node, installed and run on another",
  ignore: noSkills !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withTempDir(async (dir) => {
      const { key, keyId, dataDirs } = await trustedPublisher(dir, "acme", ["a", "relay", "c"]);
      assert.match(keyId, /^[A-Za-z0-9_-]{16}$/);
      const list = JSON.parse(
        await runSwarmOk(["trust", "list", "--json", "--data-dir", dataDirs[0]]),
      );
      assert.equal(list[0]?.name ?? list.publishers?.[0]?.name, "acme");

      const nodes: TestNode[] = [];
      try {
        const fast = ["--sync-interval-ms", "300", "--task-rate", "0"];
        const a = await startNode({
          dataDir: dataDirs[0],
          env,
          args: [...fast, "--accept-skills"],
        });
        nodes.push(a);
        const relay = await startNode({
          dataDir: dataDirs[1],
          env,
          args: [...fast, "--peer", a.url.replace("http://", "")],
        });
        nodes.push(relay);
        // c knows only the relay: the release and its files reach it through the relay's
        // peers (the relay holds no files; c asks the peers it is given, a among them once
        // the relay's routing brings it in) — here c also seeds a, as a LAN node would find it.
        const c = await startNode({
          dataDir: dataDirs[2],
          env,
          args: [
            ...fast,
            "--accept-skills",
            "--peer",
            relay.url.replace("http://", ""),
            "--peer",
            a.url.replace("http://", ""),
          ],
        });
        nodes.push(c);

        // Publish 1.0.0 on a.
        const skill1 = await writeSkill(dir, "1.0.0");
        const published = await runSwarmOk(
          ["skill", "publish", skill1, "--key", key, "--url", a.url],
          env,
        );
        assert.match(published, /echo-sync@1\.0\.0/);
        await waitFor(async () => (await installed(c)) === "1.0.0", 20_000);
        assert.equal(await installed(a), "1.0.0");
        const relayed = await syncSkill(relay);
        assert.equal(relayed.state, "not_accepted");
        assert.equal(relayed.installed, null);

        // The synced skill runs on c as any local skill, and c says it holds the tag.
        await waitFor(async () => {
          const s = await (await fetchWithin(`${c.url}/can-do?required=synced`, { headers: auth }))
            .json();
          return s.can_do === true;
        }, 10_000);
        const answer = await postTask(
          c.url,
          nodeTask("say your version", { required: ["synced"] }),
          {
            token: TOKEN,
          },
        );
        assert.equal(answer.status, 200, answer.text);
        assert.match(String((answer.body as { response: string }).response), /"version": "1.0.0"/);

        // A tampered envelope is refused over HTTP with its reason, as an event and a metric.
        const digest = relayed.chosen.digest;
        const envelope = await (await fetchWithin(`${a.url}/sync/release?digest=${digest}`, {
          headers: auth,
        })).json();
        const statement = JSON.parse(atob(envelope.payload));
        statement.predicate.version = "9.0.0";
        const tampered = { ...envelope, payload: btoa(JSON.stringify(statement)) };
        const refused = await fetchWithin(`${c.url}/sync/release`, {
          method: "POST",
          headers: { ...auth, "content-type": "application/json" },
          body: JSON.stringify(tampered),
        });
        assert.equal(refused.status, 422);
        const body = await refused.json();
        assert.equal(body.error, "release_refused");
        assert.equal(body.reason, "bad_signature");
        assert.ok(await metric(c, 'swarm_skill_refusals_total{reason="bad_signature"} 1'));
        assert.ok(
          c.logs.some((l) => l.message === "skill_refused" && l.reason === "bad_signature"),
        );

        // Pin c at 1.0.0, publish 1.1.0: a moves on, c holds and reports 1.1.0 available.
        await runSwarmOk(["skill", "pin", "echo-sync@1.0.0", "--data-dir", dataDirs[2]]);
        await waitFor(async () => (await syncSkill(c))?.pin?.status === "pinned", 10_000);
        const skill2 = await writeSkill(dir, "1.1.0");
        await runSwarmOk(["skill", "publish", skill2, "--key", key, "--url", a.url], env);
        await waitFor(async () => (await installed(a)) === "1.1.0", 10_000);
        await waitFor(
          async () => (await syncSkill(c))?.available?.[0]?.version === "1.1.0",
          10_000,
        );
        assert.equal(await installed(c), "1.0.0");
        const listed = JSON.parse(
          await runSwarmOk(["skill", "list", "--json", "--url", c.url], env),
        );
        const row = listed.skills.find((s: { name: string }) => s.name === "echo-sync");
        assert.equal(row.installed.version, "1.0.0");
        assert.equal(row.pin.spec, "echo-sync@1.0.0");

        // An older version published later is a refused rollback...
        const old = await runSwarm(
          ["skill", "publish", await writeSkill(dir, "0.9.0"), "--key", key, "--url", a.url],
          env,
        );
        assert.notEqual(old.code, 0);
        assert.match(old.stderr, /release_refused/);
        assert.match(old.stderr, /rollback/);
        assert.equal(await installed(a), "1.1.0");
        // ...but the operator may roll back: a returns to 1.0.0.
        await runSwarmOk(["skill", "rollback", "echo-sync", "--data-dir", dataDirs[0]]);
        await waitFor(async () => (await installed(a)) === "1.0.0", 10_000);

        // Trust removed while running: the node stops counting the publisher's releases.
        await runSwarmOk(["trust", "remove", "acme", "--data-dir", dataDirs[2]]);
        await waitFor(async () => {
          const view = await (await fetchWithin(`${c.url}/sync/skills`, { headers: auth })).json();
          return view.trust.length === 0 && (await syncSkill(c))?.chosen === null;
        }, 10_000);
        const skill3 = await writeSkill(dir, "1.2.0");
        await runSwarmOk(["skill", "publish", skill3, "--key", key, "--url", a.url], env);
        const untrusted = await fetchWithin(`${c.url}/sync/release`, {
          method: "POST",
          headers: { ...auth, "content-type": "application/json" },
          body: await (await fetchWithin(
            `${a.url}/sync/release?digest=${
              (await syncSkill(a)).available?.[0]?.digest ?? (await syncSkill(a)).chosen.digest
            }`,
            { headers: auth },
          )).text(),
        });
        assert.equal(untrusted.status, 422);
        assert.equal((await untrusted.json()).reason, "untrusted_publisher");
      } catch (err) {
        for (const node of nodes) {
          console.log(`--- ${node.url}`);
          for (const l of node.logs.filter((l) => String(l.message).startsWith("skill"))) {
            console.log(JSON.stringify(l).slice(0, 400));
          }
        }
        throw err;
      } finally {
        await stopAll(nodes);
      }
    });
  },
});

Deno.test({
  name: "skill sync: publishing needs the publish action, reading needs a credential",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withTempDir(async (dir) => {
      const node = await startNode({ dataDir: join(dir, "data"), env });
      try {
        const none = await fetchWithin(`${node.url}/sync/digests`);
        assert.equal(none.status, 401);
        assert.equal((await none.json()).error, "unauthorized");
        const bad = await fetchWithin(`${node.url}/sync/blob?sha256=xyz`, { headers: auth });
        assert.equal(bad.status, 400);
        assert.equal((await bad.json()).field, "sha256");
        const missing = await fetchWithin(`${node.url}/sync/blob?sha256=${"0".repeat(64)}`, {
          headers: auth,
        });
        assert.equal(missing.status, 404);
        assert.equal((await missing.json()).error, "not_found");
        const garbage = await fetchWithin(`${node.url}/sync/release`, {
          method: "POST",
          headers: { ...auth, "content-type": "application/json" },
          body: "{not json",
        });
        assert.equal(garbage.status, 400);
        assert.equal((await garbage.json()).error, "invalid_json");
        const shapeless = await fetchWithin(`${node.url}/sync/release`, {
          method: "POST",
          headers: { ...auth, "content-type": "application/json" },
          body: JSON.stringify({ payloadType: "x" }),
        });
        assert.equal(shapeless.status, 422);
        assert.equal((await shapeless.json()).reason, "malformed");
        // A file whose bytes do not hash to its address is refused and not kept.
        const put = await fetchWithin(`${node.url}/sync/blob?sha256=${"a".repeat(64)}&size=5`, {
          method: "PUT",
          headers: { ...auth, "content-type": "application/octet-stream" },
          body: "hello",
        });
        assert.equal(put.status, 422);
        assert.equal((await put.json()).reason, "hash_mismatch");
        const after = await fetchWithin(`${node.url}/sync/blob?sha256=${"a".repeat(64)}`, {
          headers: auth,
        });
        assert.equal(after.status, 404);
        await after.body?.cancel();
        const digests = await (await fetchWithin(`${node.url}/sync/digests`, { headers: auth }))
          .json();
        assert.deepEqual(digests.digests, []);
        const same = await (await fetchWithin(`${node.url}/sync/digests?root=${digests.root}`, {
          headers: auth,
        })).json();
        assert.deepEqual(same, { root: digests.root, same: true });
      } finally {
        await stopAll([node]);
      }
    });
  },
});

Deno.test({
  name:
    "skill sync: an agent's new_skill is signed and spread with --publish-new-skills, and runs on a peer",
  // A node advertises (can-do) only a skill it can run, sandboxed.
  ignore: noSkills !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withTempDir(async (dir) => {
      const { key, dataDirs } = await trustedPublisher(dir, "agents", ["agent", "peer"]);
      // A SkillLite-style agent: it evolves a skill in its workspace and reports it.
      const agent = join(dir, "agent.sh");
      const result = JSON.stringify({
        task_id: "x",
        response: "I learned a new skill",
        task_completed: true,
        tool_calls: 1,
        new_skill: {
          name: "evolved-greeter",
          description: "Greets",
          path: ".skills/_evolved/evolved-greeter",
          txn_id: "txn-42",
        },
      });
      await Deno.writeTextFile(
        agent,
        [
          "#!/bin/sh",
          "cat > /dev/null",
          "d=.skills/_evolved/evolved-greeter",
          'mkdir -p "$d/scripts"',
          `printf -- '---\\nname: evolved-greeter\\ndescription: Greets\\ncapabilities: [greeting]\\n---\\n' > "$d/SKILL.md"`,
          `printf 'print("{}")\\n' > "$d/scripts/main.py"`,
          `echo '${result}'`,
        ].join("\n"),
      );
      await Deno.chmod(agent, 0o755);
      const nodes: TestNode[] = [];
      try {
        const fast = ["--sync-interval-ms", "300", "--task-rate", "0"];
        const a = await startNode({
          dataDir: dataDirs[0],
          env,
          args: [
            ...fast,
            "--executor-cmd",
            agent,
            "--publish-new-skills",
            "--publisher-key",
            key,
            "--accept-skills",
          ],
        });
        nodes.push(a);
        const b = await startNode({
          dataDir: dataDirs[1],
          env,
          args: [...fast, "--accept-skills", "--peer", a.url.replace("http://", "")],
        });
        nodes.push(b);
        const answer = await postTask(a.url, nodeTask("learn to greet"), { token: TOKEN });
        assert.equal(answer.status, 200, answer.text);
        const body = answer.body as { new_skill?: { txn_id: string; path: string } };
        // The field SkillLite defines is passed through as the agent gave it.
        assert.equal(body.new_skill?.txn_id, "txn-42");
        assert.equal(body.new_skill?.path, ".skills/_evolved/evolved-greeter");
        const installedOn = async (node: TestNode) => {
          const view = await (await fetchWithin(`${node.url}/sync/skills`, { headers: auth }))
            .json();
          return view.skills.find((s: { name: string }) => s.name === "evolved-greeter")
            ?.installed;
        };
        await waitFor(async () => (await installedOn(b)) !== undefined, 15_000);
        const installed = await installedOn(b);
        assert.match(installed.version, /^0\.0\.0-evolved\.\d{17}$/);
        assert.equal(installed.publisher, "agents");
        await waitFor(async () => {
          const s =
            await (await fetchWithin(`${b.url}/can-do?required=greeting`, { headers: auth }))
              .json();
          return s.can_do === true;
        }, 10_000);
        assert.ok(a.logs.some((l) => l.message === "new_skill_published" && l.txn_id === "txn-42"));
      } finally {
        await stopAll(nodes);
      }
    });
  },
});

Deno.test({
  name:
    "skill sync: a token revoked with swarm token revoke --url reaches every node by gossip, no keyring copy",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withTempDir(async (dir) => {
      const admin = join(dir, "admin.keyring");
      await runSwarmOk(["token", "keygen", "--keyring", admin, "--audience", "mesh-revoke"]);
      const token = await runSwarmOk([
        "token",
        "issue",
        "--keyring",
        admin,
        "--subject",
        "agent",
        "--scope",
        "task,read",
      ]);
      const jti = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")))
        .jti;
      // Each node has its own copy of the public keyring, never touched again.
      const copies = ["a", "b"].map((n) => join(dir, `${n}.keyring`));
      for (const copy of copies) {
        await runSwarmOk(["token", "export", "--keyring", admin, "--out", copy]);
      }
      const before = await Promise.all(copies.map((c) => Deno.readTextFile(c)));
      const nodes: TestNode[] = [];
      try {
        const fast = ["--sync-interval-ms", "300", "--task-rate", "0"];
        const a = await startNode({
          dataDir: join(dir, "data-a"),
          env,
          args: [...fast, "--keyring", copies[0]],
        });
        nodes.push(a);
        const b = await startNode({
          dataDir: join(dir, "data-b"),
          env,
          args: [...fast, "--keyring", copies[1], "--peer", a.url.replace("http://", "")],
        });
        nodes.push(b);
        const statusWith = (node: TestNode) =>
          fetchWithin(`${node.url}/status`, { headers: { authorization: `Bearer ${token}` } });
        const ok = await statusWith(b);
        assert.equal(ok.status, 200);
        await ok.body?.cancel();

        const out = await runSwarmOk(
          ["token", "revoke", jti, "--keyring", admin, "--url", a.url],
          env,
        );
        assert.match(out, /Handed 1 revocation/);
        for (const node of [a, b]) {
          await waitFor(async () => {
            const res = await statusWith(node);
            const body = await res.json();
            return res.status === 401 && body.reason === "revoked";
          }, 15_000);
        }
        assert.ok(
          b.logs.some((l) => l.message === "revocations_received" && l.revoked === 1),
          JSON.stringify(b.logs.filter((l) => String(l.message).includes("revo"))),
        );
        assert.deepEqual(await Promise.all(copies.map((c) => Deno.readTextFile(c))), before);
      } finally {
        await stopAll(nodes);
      }
    });
  },
});

/** Whether `dir` holds an entry whose name matches `pattern` (false when `dir` is missing). */
async function holds(dir: string, pattern: RegExp): Promise<boolean> {
  try {
    for await (const entry of Deno.readDir(dir)) if (pattern.test(entry.name)) return true;
  } catch { /* not there yet */ }
  return false;
}

Deno.test({
  name:
    "skill sync: kill -9 of a node during an install leaves the previous version working after restart",
  ignore: noSkills !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withTempDir(async (dir) => {
      const { key, dataDirs } = await trustedPublisher(dir, "acme", ["a", "b"]);
      const nodes: TestNode[] = [];
      try {
        const fast = ["--sync-interval-ms", "300", "--task-rate", "0"];
        const a = await startNode({ dataDir: dataDirs[0], env, args: fast });
        nodes.push(a);
        const startB = () =>
          startNode({
            dataDir: dataDirs[1],
            env,
            args: [...fast, "--accept-skills", "--peer", a.url.replace("http://", "")],
          });
        let b = await startB();
        nodes.push(b);
        await runSwarmOk(
          ["skill", "publish", await writeSkill(dir, "1.0.0"), "--key", key, "--url", a.url],
          env,
        );
        await waitFor(async () => (await installed(b)) === "1.0.0", 20_000);

        // 1.1.0 carries a 48 MiB file: B takes a while to receive and stage it.
        const big = await writeSkill(dir, "1.1.0");
        const chunk = new Uint8Array(1024 * 1024);
        const file = await Deno.open(join(big, "data.bin"), { write: true, create: true });
        for (let i = 0; i < 48; i++) {
          crypto.getRandomValues(chunk.subarray(0, 65536));
          chunk[i] = i;
          await file.write(chunk);
        }
        file.close();
        const sync = join(dataDirs[1], "sync");
        const inInstall = async () =>
          await holds(join(sync, "blobs", "sha256"), /^\.tmp-/) ||
          await holds(join(sync, "releases"), /\.partial-/) ||
          await holds(join(sync, "tmp"), /\.link-/);
        await runSwarmOk(["skill", "publish", big, "--key", key, "--url", a.url], env);
        let caught = false;
        const deadline = Date.now() + 20_000;
        while (!caught && Date.now() < deadline) {
          if (await inInstall()) caught = true;
          else if ((await installed(b).catch(() => undefined)) === "1.1.0") break;
          else await new Promise((r) => setTimeout(r, 2));
        }
        assert.ok(caught, "B was seen in the middle of installing 1.1.0");
        await b.kill();

        b = await startB();
        nodes.push(b);
        // Right after the restart B runs a complete release (1.0.0, or 1.1.0 if the swap
        // had happened), and the task runs it.
        const now = await installed(b);
        assert.ok(now === "1.0.0" || now === "1.1.0", `installed after restart: ${now}`);
        const answer = await postTask(b.url, nodeTask("version?", { required: ["synced"] }), {
          token: TOKEN,
        });
        assert.equal(answer.status, 200, answer.text);
        assert.match(answer.text, /"version\\": \\"1\.[01]\.0/);
        // And it finishes the interrupted install by itself.
        await waitFor(async () => (await installed(b)) === "1.1.0", 30_000);
        assert.equal(await inInstall(), false, "nothing half-done is left");
      } finally {
        await stopAll(nodes);
      }
    });
  },
});
