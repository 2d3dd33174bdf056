import assert from "node:assert/strict";
import { CLIENT_HELP, clientTarget } from "../../lib/cli/_client_flags.ts";
import { UsageError } from "../../lib/cli/_usage.ts";

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

Deno.test("clientTarget() refuses an invalid URL with a UsageError", () => {
  for (
    const [values, env] of [[{ url: "not a url" }, {}], [{}, {
      SKILLLITE_SWARM_URL: "::",
    }]] as const
  ) {
    assert.throws(() => clientTarget(values, env, reader({})), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.match(err.message, /^Invalid --url '/);
      return true;
    });
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
