import assert from "node:assert/strict";
import { CLIENT_HELP, clientTarget, parseNodeUrl } from "../../lib/cli/_client_flags.ts";
import { UsageError } from "../../lib/cli/_usage.ts";
import { runCli } from "../../lib/cli/mod.ts";
import { capture } from "./_capture.ts";

function reader(files: Record<string, string>): (path: string) => string {
  return (path) => {
    if (!(path in files)) throw new Deno.errors.NotFound(`No such file: ${path}`);
    return files[path];
  };
}

const TARGETS: Array<[
  name: string,
  values: { url?: string; "token-file"?: string },
  env: Record<string, string>,
  expected: { url: string; token?: string },
]> = [
  ["the default URL and no token", {}, {}, { url: "http://127.0.0.1:7700" }],
  [
    "SKILLLITE_SWARM_URL and SKILLLITE_SWARM_TOKEN (trimmed)",
    {},
    { SKILLLITE_SWARM_URL: "http://127.0.0.1:7701", SKILLLITE_SWARM_TOKEN: " s3cret\n" },
    { url: "http://127.0.0.1:7701", token: "s3cret" },
  ],
  [
    "--url over SKILLLITE_SWARM_URL",
    { url: "http://127.0.0.1:7702" },
    { SKILLLITE_SWARM_URL: "http://127.0.0.1:7701" },
    { url: "http://127.0.0.1:7702" },
  ],
  [
    "a blank SKILLLITE_SWARM_TOKEN as none",
    {},
    { SKILLLITE_SWARM_TOKEN: "   " },
    { url: "http://127.0.0.1:7700" },
  ],
  [
    "--token-file over SKILLLITE_SWARM_TOKEN",
    { "token-file": "/run/token" },
    { SKILLLITE_SWARM_TOKEN: "from-env" },
    { url: "http://127.0.0.1:7700", token: "from-file" },
  ],
];

for (const [name, values, env, expected] of TARGETS) {
  Deno.test(`clientTarget() resolves ${name}`, () => {
    assert.deepEqual(
      clientTarget(values, env, reader({ "/run/token": "  from-file\n" })),
      expected,
    );
  });
}

Deno.test("clientTarget() refuses an unreadable token file with a UsageError", () => {
  assert.throws(
    () => clientTarget({ "token-file": "/nope" }, {}, reader({})),
    (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.match(err.message, /^Cannot read token file '\/nope': /);
      return true;
    },
  );
});

Deno.test("clientTarget() does not fall back to SKILLLITE_SWARM_TOKEN when --token-file is empty", () => {
  // An explicit --token-file replaces the environment's token; an empty file must
  // not silently send the environment's (possibly different) secret instead.
  let target: { url: string; token?: string } | undefined;
  try {
    target = clientTarget(
      { "token-file": "/empty" },
      { SKILLLITE_SWARM_TOKEN: "from-env" },
      reader({
        "/empty": "\n",
      }),
    );
  } catch (err) {
    assert.ok(err instanceof UsageError, `a refusal must be a UsageError, got ${err}`);
    return;
  }
  assert.notEqual(target.token, "from-env");
});

Deno.test("clientTarget() refuses an invalid URL with a UsageError naming where it came from", () => {
  const cases = [
    [{ url: "not a url" }, {}, /^Invalid --url 'not a url': /],
    [{}, { SKILLLITE_SWARM_URL: "::" }, /^Invalid SKILLLITE_SWARM_URL '::': /],
  ] as const;
  for (const [values, env, message] of cases) {
    assert.throws(() => clientTarget(values, env, reader({})), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.match(err.message, message);
      return true;
    });
  }
});

// Issue 14: `--url localhost:PORT` failed as "internal: must use http or https" while
// `--url 127.0.0.1:PORT` failed as "Invalid --url": a bare HOST:PORT is now http.
const NODE_URLS: Array<[text: string, expected: string]> = [
  ["localhost:7701", "http://localhost:7701"],
  ["127.0.0.1:7701", "http://127.0.0.1:7701"],
  ["[::1]:7701", "http://[::1]:7701"],
  ["node-a.lan:7700", "http://node-a.lan:7700"],
  ["node-a.lan", "http://node-a.lan"],
  ["  127.0.0.1:7701/  ", "http://127.0.0.1:7701"],
  ["http://127.0.0.1:7701", "http://127.0.0.1:7701"],
  ["HTTPS://node-a.lan:7700/", "HTTPS://node-a.lan:7700"],
  ["https://gateway.lan/swarm/", "https://gateway.lan/swarm"],
];

for (const [text, expected] of NODE_URLS) {
  Deno.test(`parseNodeUrl() reads ${JSON.stringify(text)} as ${expected}`, () => {
    assert.equal(parseNodeUrl(text, "--url"), expected);
  });
}

const BAD_URLS: Array<[text: string, why: RegExp]> = [
  ["ftp://node-a.lan:21", /scheme ftp is not http or https/],
  ["http:/127.0.0.1:7701", /not a node address/],
  ["localhost:port", /not a node address/],
  ["not a url", /not a URL/],
  ["::", /not a URL/],
  ["http://user:pw@127.0.0.1:7701", /credentials, a query or a fragment/],
  ["127.0.0.1:7701?x=1", /credentials, a query or a fragment/],
  ["127.0.0.1:99999", /not a URL/],
];

for (const [text, why] of BAD_URLS) {
  Deno.test(`parseNodeUrl() refuses ${JSON.stringify(text)} with one kind of message`, () => {
    assert.throws(() => parseNodeUrl(text, "--url"), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.match(err.message, new RegExp(`^Invalid --url '${RegExp.escape(text)}': `));
      assert.match(err.message, why);
      assert.match(err.message, /\(expected http\(s\):\/\/HOST:PORT or HOST:PORT\)$/);
      return true;
    });
  });
}

Deno.test("swarm status reaches a node given as localhost:PORT and as 127.0.0.1:PORT", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => Response.json({ status: "idle", current_task_id: null, node_id: "bare-url-node" }),
  );
  try {
    for (const host of ["localhost", "127.0.0.1"]) {
      const out = await capture(() => runCli(["status", "--url", `${host}:${server.addr.port}`]));
      assert.equal(out.code, 0, `${host}: ${out.stderr}`);
      assert.match(out.stdout, /^node {8}bare-url-node$/m);
    }
  } finally {
    await server.shutdown();
  }
});

Deno.test("clientTarget() reads a real token file by default", async () => {
  const dir = await Deno.makeTempDir({ prefix: "swarm-cli-test-" });
  try {
    const path = `${dir}/token`;
    await Deno.writeTextFile(path, "real\n");
    assert.deepEqual(clientTarget({ "token-file": path }, {}), {
      url: "http://127.0.0.1:7700",
      token: "real",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CLIENT_HELP documents the shared flags", () => {
  for (const flag of ["--url URL", "--token-file FILE", "--json", "-h, --help"]) {
    assert.ok(CLIENT_HELP.includes(flag), flag);
  }
});
