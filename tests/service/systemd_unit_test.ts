import assert from "node:assert/strict";
import { join } from "node:path";
import { DEFAULT_CONFIG } from "../../lib/config/mod.ts";
import { STOP_MARGIN_MS } from "../../lib/node/stop_sequence.ts";
import {
  hasServiceMarker,
  servicePaths,
  servicePlan,
  type ServicePlanOptions,
  stopTimeoutSeconds,
  systemdUnit,
  type SystemdUnitOptions,
} from "../../lib/service/mod.ts";
import { withTempDir } from "../_helpers/temp_dir.ts";
import { systemdAnalyzeMissing, verifyUnit } from "./_tools.ts";
import { directives, fakeExecutable, valuesOf } from "./_unit.ts";

const EXEC = "/usr/local/bin/swarm";
const PATHS = servicePaths("systemd", { name: "swarm" });

function planOf(options: Partial<ServicePlanOptions> = {}) {
  return servicePlan({
    defaultTokenFile: PATHS.tokenFile,
    dataDir: PATHS.dataDir,
    cwd: "/srv",
    ...options,
  });
}

function unitOf(
  plan: Partial<ServicePlanOptions> = {},
  unit: Partial<SystemdUnitOptions> = {},
): string {
  return systemdUnit(planOf(plan), { exec: EXEC, ...unit });
}

interface Case {
  name: string;
  plan?: Partial<ServicePlanOptions>;
  unit?: Partial<SystemdUnitOptions>;
  /** Directives that must be there, exactly. */
  present: string[];
  /** Directive keys that must not be there. */
  absent: string[];
}

const CASES: Case[] = [
  {
    name: "loopback by default, with no credential",
    present: [
      `ExecStart=${EXEC} serve --listen 127.0.0.1:7700 --data-dir %S/swarm`,
      "After=network.target",
      "StateDirectory=swarm",
      "ReadWritePaths=%S/swarm",
      "WorkingDirectory=%S/swarm",
      "CacheDirectory=swarm",
      "Environment=DENO_DIR=%C/swarm/deno",
    ],
    absent: ["LoadCredential", "LoadCredentialEncrypted", "Wants"],
  },
  {
    name: "--lan: every interface, the 0.0.0.0 opt-in and the default token credential",
    plan: { lan: true },
    present: [
      `ExecStart=${EXEC} serve --listen 0.0.0.0:7700 --allow-net=0.0.0.0 --data-dir %S/swarm --token-file %d/token`,
      "LoadCredential=token:/etc/credstore/swarm-token",
      "After=network-online.target",
      "Wants=network-online.target",
    ],
    absent: ["LoadCredentialEncrypted"],
  },
  {
    name: "a narrower --allow-net implies the LAN, with the operator's token file",
    plan: { allowNet: "192.168.1.0/24", tokenFile: "/etc/swarm/token" },
    present: [
      `ExecStart=${EXEC} serve --listen 0.0.0.0:7700 --allow-net=192.168.1.0/24 --data-dir %S/swarm --token-file %d/token`,
      "LoadCredential=token:/etc/swarm/token",
    ],
    absent: [],
  },
  {
    name: "mTLS instead of a token: the TLS key is a credential, certificates are paths",
    plan: {
      lan: true,
      nodeArgs: [
        "--tls-cert",
        "pki/node.crt",
        "--tls-key=pki/node.key",
        "--tls-client-ca",
        "/etc/swarm/ca.crt",
      ],
    },
    present: [
      `ExecStart=${EXEC} serve --listen 0.0.0.0:7700 --allow-net=0.0.0.0 --data-dir %S/swarm --tls-cert /srv/pki/node.crt --tls-key %d/tls-key --tls-client-ca /etc/swarm/ca.crt`,
      "LoadCredential=tls-key:/srv/pki/node.key",
    ],
    absent: [],
  },
  {
    name: "encrypted credentials and another name",
    plan: { lan: true, defaultTokenFile: "/etc/credstore.encrypted/edge-token" },
    unit: { name: "edge", encryptedCredentials: true },
    present: [
      `ExecStart=${EXEC} serve --listen 0.0.0.0:7700 --allow-net=0.0.0.0 --data-dir %S/edge --token-file %d/token`,
      "LoadCredentialEncrypted=token:/etc/credstore.encrypted/edge-token",
      "StateDirectory=edge",
      "ReadWritePaths=%S/edge",
      "CacheDirectory=edge",
    ],
    absent: ["LoadCredential"],
  },
  {
    name: "a longer drain lengthens the stop timeout",
    plan: { nodeArgs: ["--drain-timeout-ms", "60000"] },
    present: [
      `ExecStart=${EXEC} serve --listen 127.0.0.1:7700 --data-dir %S/swarm --drain-timeout-ms 60000`,
      "TimeoutStopSec=75s",
    ],
    absent: [],
  },
  {
    name: "words with spaces, quotes, % and $ are quoted and escaped",
    plan: { nodeArgs: ["--skills-dir", "/srv/my skills", "--executor-cmd", `agent "$HOME" 50%`] },
    present: [
      `ExecStart=${EXEC} serve --listen 127.0.0.1:7700 --data-dir %S/swarm --skills-dir "/srv/my skills" --executor-cmd "agent \\"$$HOME\\" 50%%"`,
    ],
    absent: [],
  },
];

/** Every unit carries these, whatever it serves. */
const HARDENING = [
  "Type=exec",
  "Restart=on-failure",
  "KillMode=mixed",
  "KillSignal=SIGTERM",
  "DynamicUser=yes",
  "StateDirectoryMode=0700",
  "UMask=0077",
  "NoNewPrivileges=yes",
  "CapabilityBoundingSet=",
  "AmbientCapabilities=",
  "ProtectSystem=strict",
  "ProtectHome=yes",
  "PrivateTmp=yes",
  "PrivateDevices=yes",
  "ProtectClock=yes",
  "ProtectHostname=yes",
  "ProtectKernelTunables=yes",
  "ProtectKernelModules=yes",
  "ProtectKernelLogs=yes",
  "ProtectControlGroups=yes",
  "ProtectProc=invisible",
  "RestrictSUIDSGID=yes",
  "LockPersonality=yes",
  "RestrictRealtime=yes",
  "SystemCallArchitectures=native",
  "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK",
  "WantedBy=multi-user.target",
];

/** Never set: each breaks bubblewrap's skill sandbox or V8 (see the unit's comments). */
const NEVER = [
  "RestrictNamespaces",
  "PrivateUsers",
  "ProcSubset",
  "MemoryDenyWriteExecute",
  "IPAddressDeny",
  "Environment=SKILLLITE_SWARM_TOKEN",
];

for (const c of CASES) {
  Deno.test(`systemdUnit() ${c.name}`, () => {
    const unit = unitOf(c.plan, c.unit);
    const lines = directives(unit).map(([k, v]) => `${k}=${v}`);
    for (const line of [...c.present, ...HARDENING]) {
      assert.ok(lines.includes(line), `missing '${line}' in:\n${unit}`);
    }
    const keys = new Set(directives(unit).map(([k]) => k));
    for (const key of c.absent) assert.ok(!keys.has(key), `unexpected ${key}= in:\n${unit}`);
    for (const key of NEVER) {
      assert.ok(!lines.some((l) => l.startsWith(key)), `${key} must stay out:\n${unit}`);
    }
    assert.equal(valuesOf(unit, "ExecStart").length, 1);
    assert.ok(unit.startsWith("# Written by 'swarm service install'"), unit);
    assert.ok(hasServiceMarker(unit));
  });
}

Deno.test("systemdUnit() stops later than the node's drain timeout plus its stop margin", () => {
  const seconds = stopTimeoutSeconds(DEFAULT_CONFIG.drainTimeoutMs);
  assert.deepEqual(valuesOf(unitOf(), "TimeoutStopSec"), [`${seconds}s`]);
  assert.ok(seconds * 1000 > DEFAULT_CONFIG.drainTimeoutMs + STOP_MARGIN_MS, `${seconds} s`);
  const long = unitOf({ nodeArgs: ["--drain-timeout-ms", "90001"] });
  const longSeconds = Number(valuesOf(long, "TimeoutStopSec")[0].replace(/s$/, ""));
  assert.ok(longSeconds * 1000 > 90_001 + STOP_MARGIN_MS, `${longSeconds} s`);
});

Deno.test("systemdUnit() names the token file and never holds the token", async () => {
  await withTempDir(async (dir) => {
    const tokenFile = join(dir, "token");
    const secret = "s3cret-token-value-that-must-not-leak";
    await Deno.writeTextFile(tokenFile, secret, { mode: 0o600 });
    const read: string[] = [];
    const unit = unitOf({
      lan: true,
      tokenFile,
      readTextFile: (path) => {
        read.push(path);
        return Deno.readTextFileSync(path);
      },
    });
    assert.ok(!unit.includes(secret));
    assert.deepEqual(valuesOf(unit, "LoadCredential"), [`token:${tokenFile}`]);
    assert.deepEqual(read, [], "the plan reads no secret file");
  });
});

Deno.test("systemdUnit() refuses a relative executable, a bad name and a newline", () => {
  const plan = planOf();
  assert.throws(() => systemdUnit(plan, { exec: "swarm" }), (err: unknown) => {
    assert.ok(err instanceof RangeError);
    assert.match(err.message, /must be an absolute path/);
    return true;
  });
  assert.throws(() => systemdUnit(plan, { exec: EXEC, name: "../etc" }), (err: unknown) => {
    assert.ok(err instanceof RangeError);
    assert.match(err.message, /Cannot use '\.\.\/etc' as a service name/);
    return true;
  });
  assert.throws(
    () => systemdUnit(plan, { exec: "/usr/bin/swarm\nExecStartPre=/bin/evil" }),
    (err: unknown) => {
      assert.ok(err instanceof RangeError);
      assert.match(err.message, /control character/);
      return true;
    },
  );
});

// systemd's own parser: every unit the builder writes must load without a complaint.
if (systemdAnalyzeMissing) {
  console.log(`systemd_unit_test: systemd-analyze verify tests skipped: ${systemdAnalyzeMissing}`);
}

const VERIFIED: Array<
  [name: string, plan: Partial<ServicePlanOptions>, unit: Partial<SystemdUnitOptions>]
> = [
  ["loopback", {}, {}],
  ["--lan", { lan: true }, {}],
  ["--allow-net CIDR with mTLS and encrypted credentials", {
    allowNet: "10.0.0.0/8",
    nodeArgs: [
      "--tls-cert",
      "/etc/swarm/n.crt",
      "--tls-key",
      "/etc/swarm/n.key",
      "--tls-client-ca",
      "/etc/swarm/ca.crt",
      "--skills-dir",
      "/srv/my skills",
      "--drain-timeout-ms",
      "60000",
    ],
  }, { name: "edge-7701", encryptedCredentials: true }],
];

for (const [name, plan, unit] of VERIFIED) {
  Deno.test({
    name: `systemdUnit() passes systemd-analyze verify: ${name}`,
    ignore: systemdAnalyzeMissing !== null,
    async fn() {
      await withTempDir(async (dir) => {
        const exec = await fakeExecutable(dir);
        const file = join(dir, `${unit.name ?? "swarm"}.service`);
        await Deno.writeTextFile(file, systemdUnit(planOf(plan), { exec, ...unit }));
        const verdict = await verifyUnit(file);
        assert.ok(verdict.ok, verdict.output);
      });
    },
  });
}

Deno.test({
  name: "systemdUnit() passes systemd-analyze verify with an executable path holding a space and %",
  ignore: systemdAnalyzeMissing !== null,
  async fn() {
    await withTempDir(async (dir) => {
      const binDir = join(dir, "my bin 100%");
      await Deno.mkdir(binDir);
      const exec = await fakeExecutable(binDir);
      const file = join(dir, "swarm.service");
      const text = systemdUnit(planOf(), { exec });
      assert.ok(text.includes(`ExecStart="${dir}/my bin 100%%/swarm" serve`), text);
      await Deno.writeTextFile(file, text);
      const verdict = await verifyUnit(file);
      assert.ok(verdict.ok, verdict.output);
    });
  },
});

Deno.test({
  name:
    "verifyUnit() fails a unit with an unknown key or a missing executable (the check can fail)",
  ignore: systemdAnalyzeMissing !== null,
  async fn() {
    await withTempDir(async (dir) => {
      const exec = await fakeExecutable(dir);
      const good = systemdUnit(planOf({ lan: true }), { exec });
      const typo = join(dir, "typo.service");
      await Deno.writeTextFile(typo, good.replace("NoNewPrivileges=yes", "NoNewPrivilege=yes"));
      const typoVerdict = await verifyUnit(typo);
      assert.ok(!typoVerdict.ok);
      assert.match(typoVerdict.output, /Unknown key 'NoNewPrivilege'/);
      const gone = join(dir, "gone.service");
      await Deno.writeTextFile(gone, good.replaceAll(exec, join(dir, "missing")));
      const goneVerdict = await verifyUnit(gone);
      assert.ok(!goneVerdict.ok);
      assert.match(goneVerdict.output, /not executable/);
    });
  },
});
