import assert from "node:assert/strict";
import { loadConfig, mdnsActive } from "../../lib/config/mod.ts";
import type { NetAllowance } from "../../lib/config/mod.ts";

const CASES: Array<[allow: NetAllowance, host: string, noMdns: boolean, active: boolean]> = [
  [{ kind: "loopback" }, "127.0.0.1", false, false],
  [{ kind: "any" }, "127.0.0.1", false, false],
  [{ kind: "any" }, "::1", false, false],
  [{ kind: "any" }, "0.0.0.0", false, true],
  [{ kind: "list", hosts: ["10.0.0.0/8"] }, "10.1.2.3", false, true],
  [{ kind: "any" }, "0.0.0.0", true, false],
];

for (const [allow, host, noMdns, active] of CASES) {
  Deno.test(`mdnsActive() is ${active} for ${allow.kind} on ${host}${noMdns ? " with --no-mdns" : ""}`, () => {
    assert.equal(mdnsActive(allow, host, noMdns), active);
  });
}

Deno.test("loadConfig() enables mDNS only on the LAN and reads its knobs", () => {
  const lan = loadConfig({
    args: [
      "--listen",
      "0.0.0.0:7700",
      "--allow-net",
      "--mdns-ttl-s",
      "7",
      "--mdns-interface",
      "eth0",
    ],
    env: { SKILLLITE_SWARM_TOKEN: "t" },
  });
  assert.ok(!lan.help);
  assert.equal(lan.config.mdnsEnabled, true);
  assert.equal(lan.config.mdnsTtlS, 7);
  assert.equal(lan.config.mdnsInterface, "eth0");
  const local = loadConfig({ args: [], env: {} });
  assert.ok(!local.help);
  assert.equal(local.config.mdnsEnabled, false);
  assert.equal(local.config.mdnsTtlS, 120);
  assert.throws(
    () => loadConfig({ args: ["--mdns-ttl-s", "0"], env: {} }),
    /--mdns-ttl-s must be positive/,
  );
});
