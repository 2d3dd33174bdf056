import assert from "node:assert/strict";
import {
  LAUNCHER_ENV,
  serviceExecutable,
  type ServiceExecutableSources,
} from "../../lib/service/mod.ts";

const RUN: ServiceExecutableSources = { standalone: false, execPath: "/usr/bin/deno", env: {} };

const CASES: Array<[name: string, sources: ServiceExecutableSources, exec: string]> = [
  ["--exec wins over everything", {
    ...RUN,
    exec: "/opt/swarm/bin/swarm",
    standalone: true,
    execPath: "/usr/local/bin/swarm",
    env: { [LAUNCHER_ENV]: "/home/a/.local/bin/swarm" },
  }, "/opt/swarm/bin/swarm"],
  ["a compiled binary is itself", {
    ...RUN,
    standalone: true,
    execPath: "/usr/local/bin/swarm",
    env: { [LAUNCHER_ENV]: "/home/a/.local/bin/swarm" },
  }, "/usr/local/bin/swarm"],
  ["under the launcher, the launcher (not deno)", {
    ...RUN,
    env: { [LAUNCHER_ENV]: "/home/a/.local/bin/swarm" },
  }, "/home/a/.local/bin/swarm"],
];

for (const [name, sources, exec] of CASES) {
  Deno.test(`serviceExecutable(): ${name}`, () => {
    assert.equal(serviceExecutable(sources), exec);
  });
}

const REFUSED: Array<[name: string, sources: ServiceExecutableSources, message: RegExp]> = [
  [
    "deno run main.ts, no launcher",
    RUN,
    /neither a compiled swarm binary nor the launcher.*--exec/,
  ],
  ["an empty launcher variable", { ...RUN, env: { [LAUNCHER_ENV]: "" } }, /pass --exec PATH/],
  ["a relative --exec", { ...RUN, exec: "swarm" }, /'swarm'.*--exec.*absolute path/],
  [
    "a relative launcher path",
    { ...RUN, env: { [LAUNCHER_ENV]: "bin/swarm" } },
    /\$SWARM_LAUNCHER.*absolute path/,
  ],
];

for (const [name, sources, message] of REFUSED) {
  Deno.test(`serviceExecutable() refuses ${name}`, () => {
    assert.throws(() => serviceExecutable(sources), (err: unknown) => {
      assert.ok(err instanceof RangeError);
      assert.match(err.message, message);
      return true;
    });
  });
}
