import assert from "node:assert/strict";
import { systemdHiddenPath } from "../../lib/service/mod.ts";

const CASES: Array<[path: string, hiddenBy: string | undefined]> = [
  ["/root/.local/bin/swarm", "ProtectHome=yes"],
  ["/home/ada/swarm/main.ts", "ProtectHome=yes"],
  ["/home", "ProtectHome=yes"],
  ["/run/user/1000/swarm", "ProtectHome=yes"],
  ["/tmp/swarm-e2e-bin/swarm", "PrivateTmp=yes"],
  ["/var/tmp/skills", "PrivateTmp=yes"],
  ["/usr/local/bin/swarm", undefined],
  ["/opt/swarm/.deno/bin/deno", undefined],
  ["/srv/swarm/skills", undefined],
  ["/homes/ada", undefined],
  ["/tmpfoo", undefined],
  ["/var/lib/swarm", undefined],
];

for (const [path, hiddenBy] of CASES) {
  Deno.test(`systemdHiddenPath(${path}) is ${hiddenBy ?? "visible"}`, () => {
    const why = systemdHiddenPath(path);
    if (hiddenBy === undefined) assert.equal(why, undefined);
    else assert.ok(why?.startsWith(hiddenBy), why);
  });
}
