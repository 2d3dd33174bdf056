/**
 * The loopback-only default is enforced by Deno's permission system: a node without
 * --allow-net cannot reach a peer in a network namespace this test made, although the
 * host itself can; with --allow-net for that range it can.
 */
import { strict as assert } from "node:assert";
import { createNamespace, netnsUnavailable } from "./_netns.ts";
import {
  FIXTURE_SKILLS,
  nodeTask,
  postTask,
  startNode,
  stopAll,
  type TestNode,
  waitFor,
} from "./_node.ts";
import { fetchWithin } from "../_helpers/with_timeout.ts";
import { skillsUnavailable } from "../_helpers/bwrap.ts";

// Their nodes hold the echo-deno skill (Deno, sandboxed in bubblewrap): without a sandbox it is
// not advertised, so those tests would route nothing.
const noSkills = await skillsUnavailable();
if (noSkills) {
  console.log(`netns_test (tests whose nodes hold a fixture skill) skipped: ${noSkills}`);
}

const unavailable = await netnsUnavailable();
if (unavailable) console.log(`netns_test skipped: ${unavailable}`);
const TOKEN = "netns-token";

Deno.test({
  name: "permissions: without --allow-net a node cannot reach a non-loopback peer; with it, it can",
  ignore: unavailable !== null || noSkills !== null,
  async fn() {
    const ns = await createNamespace();
    const nodes: TestNode[] = [];
    try {
      const remote = await startNode({
        host: ns.nsAddress,
        port: 7700,
        prefix: ns.exec,
        args: ["--allow-net", ns.cidr, "--skills-dir", `${FIXTURE_SKILLS}echo-deno`],
        env: { SKILLLITE_SWARM_TOKEN: TOKEN },
      });
      nodes.push(remote);
      const peer = `${ns.nsAddress}:7700`;
      // The host can reach the namespace: only the node's permissions stand in the way.
      const direct = await fetchWithin(`http://${peer}/healthz`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      assert.equal(direct.status, 200);
      await direct.body?.cancel();

      const confined = await startNode({
        args: ["--peer", peer, "--peer-probe-interval-ms", "600000"],
        env: { SKILLLITE_SWARM_TOKEN: TOKEN },
      });
      nodes.push(confined);
      const status = await (await fetchWithin(`${confined.url}/status`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      })).json();
      const row = status.peers.find((p: { address: string }) => p.address === peer);
      assert.equal(row.healthy, false);
      assert.match(row.last_error, /NotCapable|Requires net access/);
      const refused = await postTask(confined.url, nodeTask("hi", { required: ["echo"] }), {
        token: TOKEN,
      });
      assert.equal(refused.status, 503, refused.text);
      assert.equal((refused.body as Record<string, unknown>).error, "no_match");

      const opted = await startNode({
        args: ["--peer", peer, "--allow-net", ns.cidr],
        env: { SKILLLITE_SWARM_TOKEN: TOKEN },
      });
      nodes.push(opted);
      await waitFor(async () => {
        const s = await (await fetchWithin(`${opted.url}/status`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        })).json();
        return s.peers.some((p: { id: string; healthy: boolean }) =>
          p.id === remote.nodeId && p.healthy
        );
      });
      const res = await postTask(
        opted.url,
        nodeTask("hi", { required: ["echo"], input: { n: 1 } }),
        {
          token: TOKEN,
        },
      );
      assert.equal(res.status, 200, res.text);
      assert.equal((res.body as Record<string, unknown>).task_completed, true);
    } finally {
      await stopAll(nodes);
      await ns.remove();
    }
  },
});
