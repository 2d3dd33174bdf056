import assert from "node:assert/strict";
import {
  checkServiceName,
  DEFAULT_SERVICE_NAMES,
  serviceFormatFor,
  type ServicePaths,
  servicePaths,
} from "../../lib/service/mod.ts";

const CASES: Array<[name: string, actual: () => ServicePaths, expected: ServicePaths]> = [
  ["systemd", () => servicePaths("systemd", { name: DEFAULT_SERVICE_NAMES.systemd }), {
    dir: "/etc/systemd/system",
    fileName: "swarm.service",
    dataDir: "/var/lib/swarm",
    tokenFile: "/etc/credstore/swarm-token",
  }],
  [
    "systemd, encrypted credentials",
    () => servicePaths("systemd", { name: "edge", encryptedCredentials: true }),
    {
      dir: "/etc/systemd/system",
      fileName: "edge.service",
      dataDir: "/var/lib/edge",
      tokenFile: "/etc/credstore.encrypted/edge-token",
    },
  ],
  [
    "launchd",
    () => servicePaths("launchd", { name: DEFAULT_SERVICE_NAMES.launchd, home: "/Users/ada" }),
    {
      dir: "/Users/ada/Library/LaunchAgents",
      fileName: "local.swarm.plist",
      dataDir: "/Users/ada/Library/Application Support/local.swarm/data",
      tokenFile: "/Users/ada/Library/Application Support/local.swarm/token",
      log: "/Users/ada/Library/Logs/local.swarm.log",
    },
  ],
];

for (const [name, actual, expected] of CASES) {
  Deno.test(`servicePaths(): ${name}`, () => assert.deepEqual(actual(), expected));
}

Deno.test("servicePaths() refuses launchd without an absolute home", () => {
  for (const home of [undefined, "", "Users/ada"]) {
    assert.throws(() => servicePaths("launchd", { name: "local.swarm", home }), (err: unknown) => {
      assert.ok(err instanceof RangeError);
      assert.match(err.message, /Cannot place a launchd agent without the home directory/);
      return true;
    });
  }
});

Deno.test("serviceFormatFor() knows Linux and macOS only", () => {
  assert.equal(serviceFormatFor("linux"), "systemd");
  assert.equal(serviceFormatFor("darwin"), "launchd");
  assert.equal(serviceFormatFor("windows"), undefined);
  assert.equal(serviceFormatFor("freebsd"), undefined);
});

for (const name of ["", ".hidden", "-dash", "a/b", "a b", "x".repeat(101), "swarm\n"]) {
  Deno.test(`checkServiceName() refuses ${JSON.stringify(name)}`, () => {
    assert.throws(() => checkServiceName(name), (err: unknown) => {
      assert.ok(err instanceof RangeError);
      assert.match(err.message, /as a service name/);
      return true;
    });
  });
}

for (const name of ["swarm", "swarm-7701", "local.swarm", "_x", "x".repeat(100)]) {
  Deno.test(`checkServiceName() accepts ${name.slice(0, 12)}`, () => {
    assert.equal(checkServiceName(name), name);
  });
}
