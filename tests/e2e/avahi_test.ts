/**
 * Interoperability with an independent mDNS implementation: a real avahi-daemon in one
 * namespace of the test bed, our node in another.
 */
import { strict as assert } from "node:assert";
import { avahiUnavailable, startAvahi } from "./_avahi.ts";
import { FIXTURE_SKILLS } from "./_node.ts";
import { createTestbed, testbedUnavailable } from "./_testbed.ts";
import { fetchWithin } from "../_helpers/with_timeout.ts";
import { skillsUnavailable } from "../_helpers/bwrap.ts";

// Their nodes hold the echo-deno skill (Deno, sandboxed in bubblewrap): without a sandbox it is
// not advertised, so those tests would route nothing.
const noSkills = await skillsUnavailable();
if (noSkills) {
  console.log(`avahi_test (tests whose nodes hold a fixture skill) skipped: ${noSkills}`);
}

const unavailable = (await testbedUnavailable()) ?? (await avahiUnavailable());
if (unavailable) console.log(`avahi_test skipped: ${unavailable}`);
const TOKEN = "avahi-token";

Deno.test({
  name: "avahi: avahi-browse sees our node; a service avahi publishes joins our peer table",
  ignore: unavailable !== null || noSkills !== null,
  sanitizeResources: false,
  async fn(t) {
    const bed = await createTestbed({ nodes: 2 });
    try {
      const avahi = await startAvahi(bed.hosts[1]);
      bed.hosts[1].defer(() => avahi.stop());
      const node = await bed.startNode(bed.hosts[0], {
        args: ["--skills-dir", `${FIXTURE_SKILLS}echo-deno`],
        env: { SKILLLITE_SWARM_TOKEN: TOKEN },
      });
      const peers = async () =>
        (await (await fetchWithin(`${node.url}/status`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        })).json()).peers as Array<Record<string, unknown>>;

      await t.step(
        "avahi-browse -rpt _skilllite-swarm._udp lists our node, port and TXT",
        async () => {
          const services = await avahi.browse("_skilllite-swarm._udp", {
            timeoutMs: 10_000,
            until: (list) => list.some((s) => s.name === node.nodeId),
          });
          const ours = services.find((s) => s.name === node.nodeId);
          assert.ok(ours, `not found in ${JSON.stringify(services)}\n${avahi.logs.join("\n")}`);
          assert.equal(ours.port, node.port);
          assert.equal(ours.address, bed.hosts[0].address);
          assert.equal(ours.host, `${node.nodeId}.local`);
          const txt = new Set(ours.txt);
          assert.ok(txt.has('capabilities=["echo"]'), JSON.stringify(ours.txt));
          assert.ok(txt.has("scheme=http"));
          assert.ok(txt.has(`node_id=${node.nodeId}`));
          assert.ok([...txt].some((e) => e.startsWith("proto=")));
        },
      );

      await t.step(
        "a SkillLite-style service published by avahi appears with its capabilities",
        async () => {
          const publication = await avahi.publish("fake-skilllite", "_skilllite-swarm._udp", 7700, [
            'capabilities=["legacy","gpu"]',
          ]);
          let row: Record<string, unknown> | undefined;
          for (let i = 0; i < 100 && !row; i++) {
            row = (await peers()).find((p) => p.id === publication.name);
            if (!row) await new Promise((r) => setTimeout(r, 100));
          }
          assert.ok(row, "the avahi service never reached the peer table");
          assert.deepEqual(row.capabilities, ["gpu", "legacy"]);
          assert.equal(row.address, `${bed.hosts[1].address}:7700`);
          assert.equal(row.scheme, "http");
          assert.equal(row.swarm, false);
          assert.deepEqual(row.sources, ["mdns"]);

          await publication.stop();
          let gone = false;
          for (let i = 0; i < 50 && !gone; i++) {
            gone = !(await peers()).some((p) => p.id === publication.name);
            if (!gone) await new Promise((r) => setTimeout(r, 100));
          }
          assert.ok(gone, "the withdrawn avahi service stayed in the peer table");
        },
      );
    } finally {
      await bed.remove();
    }
  },
});
