import assert from "node:assert/strict";
import { join } from "node:path";
import { DEFAULT_CONFIG } from "../../lib/config/mod.ts";
import { STOP_MARGIN_MS } from "../../lib/node/stop_sequence.ts";
import {
  hasServiceMarker,
  launchdPlist,
  servicePaths,
  servicePlan,
  type ServicePlanOptions,
  stopTimeoutSeconds,
} from "../../lib/service/mod.ts";
import { withTempDir } from "../_helpers/temp_dir.ts";
import { plistValue, validatePlist, xmllintMissing } from "./_tools.ts";

const HOME = "/Users/ada";
const EXEC = "/usr/local/bin/swarm";
const PATHS = servicePaths("launchd", { name: "local.swarm", home: HOME });

function plistOf(options: Partial<ServicePlanOptions> = {}, label?: string): string {
  const paths = label ? servicePaths("launchd", { name: label, home: HOME }) : PATHS;
  const plan = servicePlan({
    defaultTokenFile: paths.tokenFile,
    dataDir: paths.dataDir,
    cwd: "/Users/ada/work",
    ...options,
  });
  return launchdPlist(plan, { exec: EXEC, home: HOME, label });
}

const SUPPORT = "/Users/ada/Library/Application Support/local.swarm";

const CASES: Array<[name: string, options: Partial<ServicePlanOptions>, argv: string[]]> = [
  ["loopback by default", {}, [
    EXEC,
    "serve",
    "--listen",
    "127.0.0.1:7700",
    "--data-dir",
    `${SUPPORT}/data`,
  ]],
  ["--lan: the token is a 0600 file's path, never a value", { lan: true }, [
    EXEC,
    "serve",
    "--listen",
    "0.0.0.0:7700",
    "--allow-net=0.0.0.0",
    "--data-dir",
    `${SUPPORT}/data`,
    "--token-file",
    `${SUPPORT}/token`,
  ]],
  ["a narrower --allow-net and node options", {
    allowNet: "192.168.1.0/24",
    tokenFile: "token",
    nodeArgs: ["--skills-dir", "skills", "--drain-timeout-ms", "50000"],
  }, [
    EXEC,
    "serve",
    "--listen",
    "0.0.0.0:7700",
    "--allow-net=192.168.1.0/24",
    "--data-dir",
    `${SUPPORT}/data`,
    "--token-file",
    "/Users/ada/work/token",
    "--skills-dir",
    "/Users/ada/work/skills",
    "--drain-timeout-ms",
    "50000",
  ]],
];

for (const [name, options, argv] of CASES) {
  Deno.test(`launchdPlist() ${name}`, () => {
    const plist = plistOf(options);
    const expected = argv.map((word) => `    <string>${word}</string>`).join("\n");
    assert.ok(
      plist.includes(`<key>ProgramArguments</key>\n  <array>\n${expected}\n  </array>`),
      plist,
    );
    for (
      const part of [
        "<key>Label</key>\n  <string>local.swarm</string>",
        "<key>RunAtLoad</key>\n  <true/>",
        "<key>KeepAlive</key>\n  <dict>\n    <key>SuccessfulExit</key>\n    <false/>\n  </dict>",
        "<key>StandardOutPath</key>\n  <string>/Users/ada/Library/Logs/local.swarm.log</string>",
        "<key>StandardErrorPath</key>\n  <string>/Users/ada/Library/Logs/local.swarm.log</string>",
        "<key>Umask</key>\n  <integer>63</integer>",
      ]
    ) {
      assert.ok(plist.includes(part), `missing ${part}`);
    }
    assert.ok(!plist.includes("EnvironmentVariables"), "no secret in the environment");
    assert.ok(hasServiceMarker(plist));
  });
}

Deno.test("launchdPlist() gives a stop longer than the drain timeout plus the stop margin", () => {
  const seconds = stopTimeoutSeconds(DEFAULT_CONFIG.drainTimeoutMs);
  assert.ok(plistOf().includes(`<key>ExitTimeOut</key>\n  <integer>${seconds}</integer>`));
  assert.ok(seconds * 1000 > DEFAULT_CONFIG.drainTimeoutMs + STOP_MARGIN_MS);
  assert.ok(
    plistOf({ nodeArgs: ["--drain-timeout-ms", "100000"] })
      .includes("<key>ExitTimeOut</key>\n  <integer>115</integer>"),
  );
});

Deno.test("launchdPlist() uses its label for the log and the data directory", () => {
  const plist = plistOf({}, "org.example.edge");
  assert.ok(plist.includes("<string>org.example.edge</string>"));
  assert.ok(plist.includes("/Users/ada/Library/Logs/org.example.edge.log"));
  assert.ok(plist.includes("/Users/ada/Library/Application Support/org.example.edge/data"));
});

Deno.test("launchdPlist() refuses a relative executable and a relative home", () => {
  const plan = servicePlan({ defaultTokenFile: "/t", dataDir: "/d", cwd: "/" });
  assert.throws(() => launchdPlist(plan, { exec: "bin/swarm", home: HOME }), (err: unknown) => {
    assert.ok(err instanceof RangeError);
    assert.match(err.message, /must be an absolute path/);
    return true;
  });
  assert.throws(() => launchdPlist(plan, { exec: EXEC, home: "ada" }), (err: unknown) => {
    assert.ok(err instanceof RangeError);
    assert.match(err.message, /HOME is 'ada', not an absolute path/);
    return true;
  });
});

if (xmllintMissing) console.log(`launchd_plist_test: DTD validation skipped: ${xmllintMissing}`);

const VALIDATED: Array<[name: string, options: Partial<ServicePlanOptions>]> = [
  ["loopback", {}],
  ["--lan", { lan: true }],
  ["node options with XML-special characters", {
    lan: true,
    nodeArgs: ["--skills-dir", "/Users/ada/R&D <skills>", "--executor-cmd", `agent --say "a&b"`],
  }],
];

for (const [name, options] of VALIDATED) {
  Deno.test({
    name: `launchdPlist() validates against Apple's PropertyList-1.0 DTD: ${name}`,
    ignore: xmllintMissing !== null,
    async fn() {
      await withTempDir(async (dir) => {
        const file = join(dir, "local.swarm.plist");
        await Deno.writeTextFile(file, plistOf(options));
        const verdict = await validatePlist(file, dir);
        assert.ok(verdict.ok, verdict.output);
      });
    },
  });
}

Deno.test({
  name: "launchdPlist() reads back, through an XML parser, as the values it was given",
  ignore: xmllintMissing !== null,
  async fn() {
    await withTempDir(async (dir) => {
      const file = join(dir, "local.swarm.plist");
      await Deno.writeTextFile(
        file,
        plistOf({ lan: true, nodeArgs: ["--skills-dir", "/Users/ada/R&D <skills>"] }),
      );
      const argv = await plistValue(file, "ProgramArguments");
      assert.equal(argv.type, "array");
      assert.deepEqual(argv.entries.slice(-2), ["--skills-dir", "/Users/ada/R&D <skills>"]);
      assert.deepEqual(await plistValue(file, "Label"), {
        type: "string",
        text: "local.swarm",
        entries: [],
      });
      assert.equal((await plistValue(file, "RunAtLoad")).type, "true");
      const keepAlive = await plistValue(file, "KeepAlive");
      assert.equal(keepAlive.type, "dict");
      assert.deepEqual(keepAlive.entries, ["SuccessfulExit", ""]);
      assert.equal((await plistValue(file, "ExitTimeOut")).text, "45");
    });
  },
});

Deno.test({
  name: "validatePlist() fails a plist the DTD does not allow (the check can fail)",
  ignore: xmllintMissing !== null,
  async fn() {
    await withTempDir(async (dir) => {
      const good = plistOf({ lan: true });
      const keyless = join(dir, "keyless.plist");
      await Deno.writeTextFile(keyless, good.replace("<key>RunAtLoad</key>\n", ""));
      const keylessVerdict = await validatePlist(keyless, dir);
      assert.ok(!keylessVerdict.ok);
      assert.match(keylessVerdict.output, /Element dict content does not follow the DTD/);
      const unknown = join(dir, "unknown.plist");
      await Deno.writeTextFile(unknown, good.replace("<true/>", "<yes/>"));
      const unknownVerdict = await validatePlist(unknown, dir);
      assert.ok(!unknownVerdict.ok);
      assert.match(unknownVerdict.output, /No declaration for element yes/);
    });
  },
});
