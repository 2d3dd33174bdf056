import assert from "node:assert/strict";
import { ConfigError, DEFAULT_CONFIG } from "../../lib/config/mod.ts";
import {
  type ServiceArg,
  type ServiceCredential,
  servicePlan,
  type ServicePlanOptions,
} from "../../lib/service/mod.ts";

const BASE: ServicePlanOptions = {
  defaultTokenFile: "/etc/credstore/swarm-token",
  dataDir: "/var/lib/swarm",
  cwd: "/home/ops",
};

/** The plan's words, the data directory as DATA and credentials as CRED(id). */
function words(args: ServiceArg[]): string {
  return args.map((arg) =>
    arg.kind === "word" ? arg.value : arg.kind === "dataDir" ? "DATA" : `CRED(${arg.id})`
  ).join(" ");
}

interface Case {
  name: string;
  options: Partial<ServicePlanOptions>;
  words: string;
  credentials: ServiceCredential[];
  onLan: boolean;
  drainTimeoutMs?: number;
}

const TOKEN = { id: "token", flag: "token-file", source: "/etc/credstore/swarm-token" };

const CASES: Case[] = [
  {
    name: "loopback by default: no token needed",
    options: {},
    words: "serve --listen 127.0.0.1:7700 --data-dir DATA",
    credentials: [],
    onLan: false,
  },
  {
    name: "loopback with a token file: it becomes a credential, made absolute",
    options: { tokenFile: "secrets/token" },
    words: "serve --listen 127.0.0.1:7700 --data-dir DATA --token-file CRED(token)",
    credentials: [{ id: "token", flag: "token-file", source: "/home/ops/secrets/token" }],
    onLan: false,
  },
  {
    name: "--lan without authentication gets the default token file",
    options: { lan: true },
    words:
      "serve --listen 0.0.0.0:7700 --allow-net=0.0.0.0 --data-dir DATA --token-file CRED(token)",
    credentials: [TOKEN],
    onLan: true,
  },
  {
    name: "--allow-net implies the LAN",
    options: { allowNet: "10.0.0.0/8,192.168.1.5" },
    words:
      "serve --listen 0.0.0.0:7700 --allow-net=10.0.0.0/8,192.168.1.5 --data-dir DATA --token-file CRED(token)",
    credentials: [TOKEN],
    onLan: true,
  },
  {
    name: "--lan on one interface",
    options: { lan: true, listen: "192.168.1.20:7800" },
    words:
      "serve --listen 192.168.1.20:7800 --allow-net=0.0.0.0 --data-dir DATA --token-file CRED(token)",
    credentials: [TOKEN],
    onLan: true,
  },
  {
    name: "--lan with a keyring: scoped tokens authenticate, no default token",
    options: { lan: true, nodeArgs: ["--keyring", "/etc/swarm/nodes.keyring"] },
    words:
      "serve --listen 0.0.0.0:7700 --allow-net=0.0.0.0 --data-dir DATA --keyring /etc/swarm/nodes.keyring",
    credentials: [],
    onLan: true,
  },
  {
    name: "--lan with --insecure-no-auth: the operator's explicit choice, no token",
    options: { lan: true, nodeArgs: ["--insecure-no-auth"] },
    words: "serve --listen 0.0.0.0:7700 --allow-net=0.0.0.0 --data-dir DATA --insecure-no-auth",
    credentials: [],
    onLan: true,
  },
  {
    name: "secret files among node options become credentials, other paths absolute",
    options: {
      nodeArgs: [
        "--node-token-file=node.token",
        "--publisher-key",
        "keys/acme.key",
        "--skills-dir",
        "skills",
        "--skills-dir",
        "/srv/more",
        "--peer",
        "127.0.0.1:7701",
        "--max-hops",
        "2",
      ],
    },
    words:
      "serve --listen 127.0.0.1:7700 --data-dir DATA --node-token-file CRED(node-token) --publisher-key CRED(publisher-key) --skills-dir /home/ops/skills --skills-dir /srv/more --peer 127.0.0.1:7701 --max-hops 2",
    credentials: [
      { id: "node-token", flag: "node-token-file", source: "/home/ops/node.token" },
      { id: "publisher-key", flag: "publisher-key", source: "/home/ops/keys/acme.key" },
    ],
    onLan: false,
  },
  {
    name: "--drain-timeout-ms is the plan's drain timeout",
    options: { nodeArgs: ["--drain-timeout-ms=5000"] },
    words: "serve --listen 127.0.0.1:7700 --data-dir DATA --drain-timeout-ms 5000",
    credentials: [],
    onLan: false,
    drainTimeoutMs: 5000,
  },
];

for (const c of CASES) {
  Deno.test(`servicePlan() ${c.name}`, () => {
    const plan = servicePlan({ ...BASE, ...c.options });
    assert.equal(words(plan.args), c.words);
    assert.deepEqual(plan.credentials, c.credentials);
    assert.equal(plan.onLan, c.onLan);
    assert.equal(plan.drainTimeoutMs, c.drainTimeoutMs ?? DEFAULT_CONFIG.drainTimeoutMs);
  });
}

Deno.test("servicePlan() reads a --config file for the check, and its drain timeout", () => {
  const read: string[] = [];
  const plan = servicePlan({
    ...BASE,
    tokenFile: "/etc/swarm/token",
    nodeArgs: ["--config", "node.json"],
    readTextFile: (path) => {
      read.push(path);
      return JSON.stringify({ drainTimeoutMs: 61_000 });
    },
  });
  assert.deepEqual(read, ["/home/ops/node.json"], "the token file is never read");
  assert.equal(plan.drainTimeoutMs, 61_000);
  assert.equal(
    words(plan.args),
    "serve --listen 127.0.0.1:7700 --data-dir DATA --token-file CRED(token) --config /home/ops/node.json",
  );
});

/** Refusals of the service's own rules (RangeError), each with why. */
const OWN_REFUSALS: Array<[name: string, options: Partial<ServicePlanOptions>, message: RegExp]> = [
  ["--listen among node options", { nodeArgs: ["--listen", "7701"] }, /'--listen'.*before '--'/],
  ["--allow-net among node options", { nodeArgs: ["--allow-net=0.0.0.0"] }, /'--allow-net'/],
  ["--token-file among node options", { nodeArgs: ["--token-file", "t"] }, /'--token-file'/],
  ["--data-dir among node options", { nodeArgs: ["--data-dir", "/d"] }, /StateDirectory/],
  ["--help among node options", { nodeArgs: ["--help"] }, /'--help' cannot go into a service/],
  [
    "a secret file given twice",
    { nodeArgs: ["--tls-key", "a", "--tls-key", "b"] },
    /'--tls-key' is given twice/,
  ],
  ["an empty secret file", { nodeArgs: ["--tls-key="] }, /'--tls-key' needs a file/],
  [
    "a newline in a node option",
    { nodeArgs: ["--skills-dir", "/srv\nExecStartPre=/bin/sh"] },
    /control character/,
  ],
  ["a newline in --listen", { listen: "127.0.0.1:7700\n" }, /control character/],
];

for (const [name, options, message] of OWN_REFUSALS) {
  Deno.test(`servicePlan() refuses ${name}`, () => {
    assert.throws(() => servicePlan({ ...BASE, ...options }), (err: unknown) => {
      assert.ok(err instanceof RangeError, String(err));
      assert.match(err.message, message);
      return true;
    });
  });
}

/** What the node itself refuses (ConfigError, config_invalid), each with why. */
const NODE_REFUSALS: Array<[name: string, options: Partial<ServicePlanOptions>, message: RegExp]> =
  [
    [
      "a non-loopback --listen without the LAN opt-in",
      { listen: "0.0.0.0:7700" },
      /Refusing to listen on 0\.0\.0\.0: the node is loopback-only/,
    ],
    ["an unknown node option", { nodeArgs: ["--frobnicate"] }, /Node option: .*'--frobnicate'/],
    ["a positional node argument", { nodeArgs: ["serve"] }, /Node option: .*'serve'/],
    [
      "a drain timeout of 0",
      { nodeArgs: ["--drain-timeout-ms", "0"] },
      /--drain-timeout-ms must be positive/,
    ],
    [
      "a negative number (it reaches the node's range check)",
      { nodeArgs: ["--max-hops", "-1"] },
      /--max-hops must be a non-negative integer: current value is -1/,
    ],
    ["a bad --allow-net", { allowNet: "not a host" }, /Cannot parse --allow-net entry/],
    [
      "--tls-client-ca without the node's certificate",
      { lan: true, nodeArgs: ["--tls-client-ca", "/ca.crt"] },
      /--tls-client-ca \(mTLS\) needs the node's own --tls-cert/,
    ],
  ];

for (const [name, options, message] of NODE_REFUSALS) {
  Deno.test(`servicePlan() refuses what the node would: ${name}`, () => {
    assert.throws(() => servicePlan({ ...BASE, ...options }), (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.equal(err.code, "config_invalid");
      assert.match(err.message, message);
      return true;
    });
  });
}
