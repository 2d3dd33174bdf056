/**
 * Skill sync across ten real nodes that find each other over mDNS in network namespaces
 * (the test bed): a release published on one node is verified, installed and routable
 * on all ten (time printed); a node down during a publish catches up after its restart;
 * a partition that heals converges; two conflicting publishes end the same everywhere;
 * a pin holds; tampered, unsigned, untrusted, wrong-name, rollback and equivocation
 * releases are refused on every node, each with its event (log line) and metric.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { skillsUnavailable } from "../_helpers/bwrap.ts";
import { withTempDir } from "../_helpers/temp_dir.ts";
import { nodeTask, postTask, runSwarm, runSwarmOk } from "./_node.ts";
import { type BedNode, createTestbed, testbedUnavailable } from "./_testbed.ts";
import { fetchWithin } from "../_helpers/with_timeout.ts";

const unavailable = await testbedUnavailable();
if (unavailable) console.log(`skill_sync_mesh_test skipped: ${unavailable}`);
// The synced skill is a Python skill, run as a node runs it: in bubblewrap.
const noSkills = await skillsUnavailable({ python: true });
if (noSkills && !unavailable) {
  console.log(
    `skill_sync_mesh_test (running and advertising the synced skill) skipped: ${noSkills}`,
  );
}
const TOKEN = "sync-mesh-token";
const env = { SKILLLITE_SWARM_TOKEN: TOKEN };
const auth = { authorization: `Bearer ${TOKEN}` };
const NODES = 10;
const NAME = "mesh-echo";

async function writeSkill(dir: string, version: string, marker = version): Promise<string> {
  const skill = join(dir, `skill-${version}-${marker}`);
  await Deno.mkdir(join(skill, "scripts"), { recursive: true });
  await Deno.writeTextFile(
    join(skill, "SKILL.md"),
    `---\nname: ${NAME}\ndescription: Answers with its version\ncapabilities: [meshed]\nmetadata:\n  version: "${version}"\n---\n`,
  );
  await Deno.writeTextFile(
    join(skill, "scripts", "main.py"),
    `import json\nprint(json.dumps({"version": "${version}", "marker": "${marker}"}))\n`,
  );
  return skill;
}

async function json(url: string): Promise<Record<string, unknown>> {
  const res = await fetch(url, { headers: auth, signal: AbortSignal.timeout(5_000) });
  return await res.json();
}

interface SkillRow {
  name: string;
  installed: { version: string; fingerprint: string } | null;
  chosen: { digest: string; fingerprint: string } | null;
  pin: { status: string } | null;
  available: Array<{ version: string }>;
  flagged: Array<{ reason: string }>;
}

async function row(node: BedNode): Promise<SkillRow | undefined> {
  const view = await json(`${node.url}/sync/skills`) as { skills: SkillRow[] };
  return view.skills.find((s) => s.name === NAME);
}

/** Polls every node every 20 ms until `check` holds on all; returns ms until the last. */
async function onEvery(
  nodes: BedNode[],
  what: string,
  check: (node: BedNode) => Promise<boolean>,
  timeoutMs = 20_000,
): Promise<number> {
  const start = Date.now();
  const pending = new Set(nodes);
  while (pending.size > 0) {
    if (Date.now() - start > timeoutMs) {
      const left = [...pending].map((n) => n.host.name).join(", ");
      throw new Error(`Not on every node within ${timeoutMs} ms: ${what} (left: ${left})`);
    }
    await Promise.all([...pending].map(async (node) => {
      if (await check(node).catch(() => false)) pending.delete(node);
    }));
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - start;
}

async function metricValue(node: BedNode, series: string): Promise<number> {
  const text = await (await fetchWithin(`${node.url}/metrics`, { headers: auth })).text();
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.split(" ")[1]) : 0;
}

/** Publishes `skillDir` signed with `keyFile` on `node`; fails the test on a refusal. */
function publishTo(skillDir: string, keyFile: string, node: BedNode): Promise<string> {
  return runSwarmOk(["skill", "publish", skillDir, "--key", keyFile, "--url", node.url], env);
}

Deno.test({
  name:
    "skill sync mesh: ten nodes over mDNS install a release, catch up, heal, converge, pin, refuse",
  ignore: unavailable !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await withTempDir(async (dir) => {
      const key = join(dir, "acme.key");
      const rival = join(dir, "rival.key");
      const mallory = join(dir, "mallory.key");
      const limited = join(dir, "limited.key");
      for (const k of [key, rival, mallory, limited]) await runSwarmOk(["key", "gen", "--out", k]);
      const dataDirs = Array.from({ length: NODES }, (_, i) => join(dir, `data-${i}`));
      for (const dataDir of dataDirs) {
        await runSwarmOk(["trust", "add", `${key}.pub`, "--name", "acme", "--data-dir", dataDir]);
        await runSwarmOk([
          "trust",
          "add",
          `${rival}.pub`,
          "--name",
          "rival",
          "--data-dir",
          dataDir,
        ]);
        await runSwarmOk([
          "trust",
          "add",
          `${limited}.pub`,
          "--name",
          "limited",
          "--skills",
          "other-*",
          "--data-dir",
          dataDir,
        ]);
      }
      const bed = await createTestbed({ nodes: NODES });
      try {
        const args = ["--accept-skills", "--task-rate", "0"];
        const start = (i: number) =>
          bed.startNode(bed.hosts[i], { args, env, dataDir: dataDirs[i], startTimeoutMs: 60_000 });
        const nodes: BedNode[] = [];
        for (let i = 0; i < NODES; i += 5) {
          nodes.push(...await Promise.all([0, 1, 2, 3, 4].map((k) => start(i + k))));
        }
        const members = (n: BedNode) => async () => {
          const status = await json(`${n.url}/status`) as {
            peers: Array<{ trust: string; state?: string }>;
          };
          return status.peers.filter((p) => p.trust !== "unproven" && p.state !== "dead")
            .length >= NODES - 1;
        };
        const meshMs = await onEvery(nodes, "every peer proven", (n) => members(n)(), 60_000);
        console.log(`skill sync mesh: ${NODES} nodes proven members of each other in ${meshMs} ms`);

        await t.step("a release published on one node installs on all ten", async () => {
          const skill = await writeSkill(dir, "1.0.0");
          const before = Date.now();
          const out = await runSwarmOk(
            ["skill", "publish", skill, "--key", key, "--url", nodes[0].url],
            env,
          );
          const accepted = Date.now();
          assert.match(out, /mesh-echo@1\.0\.0 .*: installed/);
          await onEvery(
            nodes,
            "1.0.0 installed",
            async (n) => (await row(n))?.installed?.version === "1.0.0",
          );
          const done = Date.now();
          console.log(
            `skill sync mesh: published on node 1, installed on all ${NODES} ${
              done - accepted
            } ms after the node accepted it (${
              done - before
            } ms after the publish command started)`,
          );
          // A skill that cannot run here (no sandbox) is installed but not advertised: the
          // two checks below need it to run (said once at the top).
          if (noSkills !== null) return;
          // Routable: every node now holds the tag.
          await onEvery(
            nodes,
            "can do meshed",
            async (n) => (await json(`${n.url}/can-do?required=meshed`)).can_do === true,
          );
          // Re-announced: every node's peers now advertise the synced skill's tag.
          await onEvery(nodes, "peers advertise meshed", async (n) => {
            const status = await json(`${n.url}/status`) as {
              peers: Array<{ capabilities: string[] }>;
            };
            return status.peers.filter((p) => p.capabilities.includes("meshed")).length >=
              NODES - 1;
          });
        });

        await t.step({
          name: "the synced skill runs on a node it was installed on",
          ignore: noSkills !== null,
          async fn() {
            const answer = await postTask(
              nodes[NODES - 1].url,
              nodeTask("version?", { required: ["meshed"] }),
              { token: TOKEN },
            );
            assert.equal(answer.status, 200, answer.text);
            assert.match(answer.text, /1\.0\.0/);
          },
        });

        await t.step("a node down during a publish catches up after restart", async () => {
          assert.equal(await nodes[9].stop(), 0);
          await runSwarmOk(
            [
              "skill",
              "publish",
              await writeSkill(dir, "1.1.0"),
              "--key",
              key,
              "--url",
              nodes[0].url,
            ],
            env,
          );
          await onEvery(
            nodes.slice(0, 9),
            "1.1.0 installed",
            async (n) => (await row(n))?.installed?.version === "1.1.0",
          );
          nodes[9] = await start(9);
          const ms = await onEvery(
            [nodes[9]],
            "restarted node at 1.1.0",
            async (n) => (await row(n))?.installed?.version === "1.1.0",
          );
          console.log(`skill sync mesh: restarted node caught up in ${ms} ms after its start`);
        });

        await t.step("a partition that heals converges", async () => {
          // The test process cannot reach a cut-off host either: what node 8 did while cut
          // off is read from its log once it is back.
          await bed.hosts[8].cut();
          let healedAt = 0;
          try {
            await publishTo(await writeSkill(dir, "1.2.0"), key, nodes[0]);
            await onEvery(
              nodes.filter((_, i) => i !== 8),
              "1.2.0 installed",
              async (n) => (await row(n))?.installed?.version === "1.2.0",
            );
          } finally {
            healedAt = Date.now();
            await bed.hosts[8].heal();
          }
          const ms = await onEvery(
            [nodes[8]],
            "healed node at 1.2.0",
            async (n) => (await row(n))?.installed?.version === "1.2.0",
          );
          const installedAt = nodes[8].logs.find((l) =>
            l.message === "skill_installed" && l.version === "1.2.0"
          )?.["@timestamp"];
          assert.ok(Date.parse(String(installedAt)) >= healedAt - 50, "installed after the heal");
          console.log(`skill sync mesh: the cut-off node converged ${ms} ms after the link healed`);
        });

        await t.step(
          "two conflicting publishes converge to the same release everywhere",
          async () => {
            const [one, two] = await Promise.all([
              runSwarmOk(
                [
                  "skill",
                  "publish",
                  await writeSkill(dir, "2.0.0", "acme"),
                  "--key",
                  key,
                  "--url",
                  nodes[1].url,
                ],
                env,
              ),
              runSwarmOk(
                [
                  "skill",
                  "publish",
                  await writeSkill(dir, "2.0.0", "rival"),
                  "--key",
                  rival,
                  "--url",
                  nodes[6].url,
                ],
                env,
              ),
            ]);
            assert.match(one, /2\.0\.0/);
            assert.match(two, /2\.0\.0/);
            await onEvery(
              nodes,
              "2.0.0 installed",
              async (n) => (await row(n))?.installed?.version === "2.0.0",
            );
            // Once both releases reached every node, every node runs the same one: the
            // later `created` (then the smaller digest), whichever arrived first.
            await onEvery(nodes, "both 2.0.0 releases known", async (n) => {
              const view = await json(`${n.url}/sync/skills`);
              return Number(view.releases) >= 5;
            });
            const winner = async (n: BedNode) => {
              const r = await row(n);
              return r?.installed?.fingerprint === r?.chosen?.fingerprint
                ? r?.installed?.fingerprint
                : undefined;
            };
            const first = await winner(nodes[0]) ?? (await row(nodes[0]))?.chosen?.fingerprint;
            await onEvery(
              nodes,
              "the same 2.0.0 installed",
              async (n) => await winner(n) === first,
            );
            const fingerprints = new Set(await Promise.all(nodes.map(winner)));
            assert.equal(fingerprints.size, 1, `nodes disagree: ${[...fingerprints].join(", ")}`);
          },
        );

        await t.step("a pin holds while the mesh moves on", async () => {
          await runSwarmOk(["skill", "pin", `${NAME}@2.0.0`, "--data-dir", dataDirs[3]]);
          await onEvery(
            [nodes[3]],
            "pinned",
            async (n) => (await row(n))?.pin?.status === "pinned",
          );
          await runSwarmOk(
            [
              "skill",
              "publish",
              await writeSkill(dir, "2.1.0"),
              "--key",
              key,
              "--url",
              nodes[0].url,
            ],
            env,
          );
          await onEvery(
            nodes.filter((_, i) => i !== 3),
            "2.1.0 installed",
            async (n) => (await row(n))?.installed?.version === "2.1.0",
          );
          // The pinned node learns of 2.1.0 (gossip may reach it last) and keeps 2.0.0.
          await onEvery(
            [nodes[3]],
            "2.1.0 reported available",
            async (n) => (await row(n))?.available.some((r) => r.version === "2.1.0") ?? false,
          );
          const pinned = await row(nodes[3]);
          assert.equal(pinned?.installed?.version, "2.0.0");
          assert.deepEqual(pinned?.available.map((r) => r.version), ["2.1.0"]);
        });

        await t.step(
          "bad releases are refused on every node, with an event and a metric",
          async () => {
            const digest = (await row(nodes[0]))!.chosen!.digest;
            const envelope = await json(`${nodes[0].url}/sync/release?digest=${digest}`) as {
              payload: string;
              signatures: unknown[];
            };
            const statement = JSON.parse(atob(envelope.payload));
            statement.predicate.version = "9.9.9";
            const tampered = { ...envelope, payload: btoa(JSON.stringify(statement)) };
            const unsigned = { ...envelope, signatures: [] };
            // Signed by keys the nodes do not trust for the name (or at all): publish locally
            // through a scratch node-less path: the CLI refuses before upload only on bad input,
            // so sign by publishing to one node and reading back the refusal.
            const push = (node: BedNode, body: unknown) =>
              fetchWithin(`${node.url}/sync/release`, {
                method: "POST",
                headers: { ...auth, "content-type": "application/json" },
                body: JSON.stringify(body),
              });
            for (const node of nodes) {
              for (const [body, reason] of [[tampered, "bad_signature"], [unsigned, "unsigned"]]) {
                const res = await push(node, body);
                assert.equal(res.status, 422);
                assert.equal((await res.json()).reason, reason);
              }
            }
            for (const node of nodes) {
              for (
                const [k, reason] of [[mallory, "untrusted_publisher"], [
                  limited,
                  "publisher_not_allowed",
                ]]
              ) {
                const out = await runSwarm(
                  [
                    "skill",
                    "publish",
                    await writeSkill(dir, "3.0.0", reason),
                    "--key",
                    k,
                    "--url",
                    node.url,
                  ],
                  env,
                );
                assert.notEqual(out.code, 0);
                assert.match(out.stderr, new RegExp(`release_refused: .*${reason}`));
              }
            }
            // Rollback and equivocation releases are kept and gossiped, and refused everywhere.
            const old = await runSwarm(
              [
                "skill",
                "publish",
                await writeSkill(dir, "1.5.0"),
                "--key",
                key,
                "--url",
                nodes[0].url,
              ],
              env,
            );
            assert.match(
              old.stderr,
              /release_refused: .*rollback/,
              `exit ${old.code}: ${old.stderr}`,
            );
            const eq = await runSwarm(
              [
                "skill",
                "publish",
                await writeSkill(dir, "2.1.0", "other"),
                "--key",
                key,
                "--url",
                nodes[5].url,
              ],
              env,
            );
            assert.match(eq.stderr, /release_refused: .*equivocation/);
            for (const reason of ["rollback", "equivocation"]) {
              await onEvery(
                nodes,
                `${reason} refused`,
                async (n) =>
                  (await metricValue(n, `swarm_skill_refusals_total{reason="${reason}"}`)) >= 1 &&
                  n.logs.some((l) => l.message === "skill_refused" && l.reason === reason),
              );
            }
            for (const node of nodes) {
              for (
                const reason of [
                  "bad_signature",
                  "unsigned",
                  "untrusted_publisher",
                  "publisher_not_allowed",
                ]
              ) {
                assert.ok(
                  (await metricValue(node, `swarm_skill_refusals_total{reason="${reason}"}`)) >= 1,
                  `${node.host.name}: metric for ${reason}`,
                );
                assert.ok(
                  node.logs.some((l) => l.message === "skill_refused" && l.reason === reason),
                  `${node.host.name}: log line for ${reason}`,
                );
              }
            }
            // Equivocation flags both 2.1.0 releases: nobody installs either, the 2.0.0 stays
            // (the pinned node too).
            await onEvery(
              nodes,
              "2.1.0 flagged",
              async (n) => (await row(n))?.installed?.version === "2.0.0",
            );
          },
        );
      } finally {
        await bed.remove();
      }
    });
  },
});
