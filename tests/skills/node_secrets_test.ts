import assert from "node:assert/strict";
import { isNodeEnv, type ProtectedPath, secretProblems } from "../../lib/skills/node_secrets.ts";

Deno.test("isNodeEnv() knows the node's credentials and settings", () => {
  const cases: Array<[string, boolean]> = [
    ["SKILLLITE_SWARM_TOKEN", true],
    ["SWARM_NODE_TOKEN", true],
    ["OPENAI_API_KEY", true],
    ["SKILLLITE_API_KEY", true],
    ["API_KEY", true],
    ["SWARM_KEYRING", true],
    ["SWARM_TLS_KEY", true],
    ["SWARM_TOKEN_FILE", true],
    ["WEATHER_API_KEY", false],
    ["SKILLLITE_SWARM_URL", false],
    ["swarm_keyring", false],
    ["PATH", false],
  ];
  for (const [name, expected] of cases) assert.equal(isNodeEnv(name), expected, name);
});

const protectedPaths: ProtectedPath[] = [
  { path: "/var/lib/swarm", what: "the node's data directory" },
  { path: "/etc/swarm/keyring.json", what: "the node's keyring" },
  { path: "/etc/swarm/tls.key", what: "the node's TLS private key" },
];

Deno.test("secretProblems() refuses declarations covering the node's secrets", () => {
  const cases: Array<[string, { read?: string[]; write?: string[]; env?: string[] }, RegExp[]]> = [
    ["nothing declared", {}, []],
    ["harmless paths and names", {
      read: ["/usr/share/dict", "/var/lib/other"],
      write: ["/tmp/out"],
      env: ["TZ"],
    }, []],
    ["the token variable", { env: ["SKILLLITE_SWARM_TOKEN"] }, [
      /^Cannot give a skill the node's environment variable 'SKILLLITE_SWARM_TOKEN' \(permissions\.env\)/,
    ]],
    ["the data directory itself", { write: ["/var/lib/swarm"] }, [
      /'\/var\/lib\/swarm' \(permissions\.write\): it covers the node's data directory/,
    ]],
    ["a file inside the data directory", { read: ["/var/lib/swarm/swarm.kv-wal"] }, [
      /covers the node's data directory/,
    ]],
    ["a parent of the keyring", { read: ["/etc"] }, [
      /'\/etc' \(permissions\.read\): it covers the node's keyring/,
    ]],
    ["the whole file system", { read: ["/"] }, [/covers the node's data directory/]],
    ["a trailing slash changes nothing", { read: ["/etc/swarm/"] }, [
      /covers the node's keyring/,
    ]],
    ["a look-alike sibling is fine", { read: ["/var/lib/swarm-other", "/etc/swarm-tls.key"] }, []],
    ["several at once", { env: ["OPENAI_API_KEY", "SWARM_KEYRING"], read: ["/etc/swarm"] }, [
      /'OPENAI_API_KEY'/,
      /'SWARM_KEYRING'/,
      /covers the node's keyring/,
    ]],
  ];
  for (const [why, declared, expected] of cases) {
    const problems = secretProblems(
      { read: declared.read ?? [], write: declared.write ?? [], env: declared.env ?? [] },
      protectedPaths,
    );
    assert.equal(problems.length, expected.length, `${why}: ${problems.join(" | ")}`);
    expected.forEach((re, i) => assert.match(problems[i], re, why));
  }
});
