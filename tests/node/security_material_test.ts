import assert from "node:assert/strict";
import { join } from "node:path";
import type { Config } from "../../lib/config/config.ts";
import { loadConfig } from "../../lib/config/load.ts";
import {
  readSecurityMaterial,
  securityFiles,
  type SecurityMaterial,
  watchSecurityMaterial,
} from "../../lib/node/security_material.ts";
import {
  type CertificateAndKey,
  createMeshCa,
  issueCertificate,
} from "../../lib/security/certificates.ts";
import { withTempDir } from "../_helpers/temp_dir.ts";

const ca = await createMeshCa({ commonName: "material test CA" });
const otherCa = await createMeshCa({ commonName: "other test CA" });
const issue = (commonName: string): Promise<CertificateAndKey> =>
  issueCertificate({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, commonName, usage: "server" });
const nodeA = await issue("node-a");
const nodeB = await issue("node-b");

/** A config whose relative paths are resolved against `dir`. */
function configIn(dir: string, args: string[]): Config {
  const result = loadConfig({ args: ["--data-dir", ":memory:", ...args], env: {}, cwd: dir });
  if (result.help) throw new Error("unreachable");
  return result.config;
}

/** Replaces `path` the way deploy tools do: a temporary file renamed over it. */
async function replaceByRename(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${crypto.randomUUID()}`;
  await Deno.writeTextFile(tmp, text);
  await Deno.rename(tmp, path);
}

/** Writes the usual files: node certificate and key, CA, keyring. */
async function writeFiles(dir: string): Promise<void> {
  await Deno.writeTextFile(join(dir, "node.crt"), nodeA.certPem);
  await Deno.writeTextFile(join(dir, "node.key"), nodeA.keyPem);
  await Deno.writeTextFile(join(dir, "ca.crt"), ca.certPem);
  await Deno.writeTextFile(join(dir, "peers.crt"), otherCa.certPem);
  await Deno.writeTextFile(join(dir, "keyring.json"), '{"v":1}\n');
}

const TLS = ["--tls-cert", "node.crt", "--tls-key", "node.key"];

Deno.test("readSecurityMaterial() reads nothing when no security file is configured", async () => {
  await withTempDir(async (dir) => {
    const config = configIn(dir, []);
    assert.deepEqual(securityFiles(config), []);
    assert.deepEqual(await readSecurityMaterial(config), {});
  });
});

const MATERIALS: Array<
  [name: string, args: string[], expected: (dir: string) => SecurityMaterial]
> = [
  ["TLS alone: certificate and key, system roots for peers", TLS, () => ({
    tls: { cert: nodeA.certPem, key: nodeA.keyPem },
  })],
  ["mTLS: the client CA also verifies peers", [...TLS, "--tls-client-ca", "ca.crt"], () => ({
    tls: { cert: nodeA.certPem, key: nodeA.keyPem, clientCa: ca.certPem },
    peerCa: ca.certPem,
  })],
  ["mTLS with --tls-ca: peers are verified against --tls-ca", [
    ...TLS,
    "--tls-client-ca",
    "ca.crt",
    "--tls-ca",
    "peers.crt",
  ], () => ({
    tls: { cert: nodeA.certPem, key: nodeA.keyPem, clientCa: ca.certPem },
    peerCa: otherCa.certPem,
  })],
  ["--tls-ca on a plain node", ["--tls-ca", "peers.crt"], () => ({ peerCa: otherCa.certPem })],
  ["the keyring as text", ["--keyring", "keyring.json"], () => ({ keyring: '{"v":1}\n' })],
];

for (const [name, args, expected] of MATERIALS) {
  Deno.test(`readSecurityMaterial() reads ${name}`, async () => {
    await withTempDir(async (dir) => {
      await writeFiles(dir);
      assert.deepEqual(await readSecurityMaterial(configIn(dir, args)), expected(dir));
    });
  });
}

Deno.test("securityFiles() lists every configured file, resolved", async () => {
  await withTempDir((dir) => {
    const config = configIn(dir, [
      ...TLS,
      "--tls-client-ca",
      "ca.crt",
      "--tls-ca",
      "peers.crt",
      "--keyring",
      "keyring.json",
    ]);
    assert.deepEqual(
      securityFiles(config),
      ["node.crt", "node.key", "ca.crt", "peers.crt", "keyring.json"].map((f) => join(dir, f)),
    );
  });
});

/** Broken files, and the start of the error message, which must name the file. */
const BROKEN: Array<
  [name: string, args: string[], breakIt: (dir: string) => Promise<void>, message: RegExp]
> = [
  [
    "a missing certificate",
    TLS,
    (dir) => Deno.remove(join(dir, "node.crt")),
    /^Cannot read TLS certificate '.*\/node\.crt': /,
  ],
  [
    "a missing key",
    TLS,
    (dir) => Deno.remove(join(dir, "node.key")),
    /^Cannot read TLS key '.*\/node\.key': /,
  ],
  [
    "a certificate file with no PEM",
    TLS,
    (dir) => Deno.writeTextFile(join(dir, "node.crt"), "not a certificate\n"),
    /^TLS certificate '.*\/node\.crt' holds no PEM /,
  ],
  [
    "a key file holding a certificate",
    TLS,
    (dir) => Deno.writeTextFile(join(dir, "node.key"), nodeA.certPem),
    /^TLS key '.*\/node\.key' holds no PEM /,
  ],
  [
    "a key of another certificate",
    TLS,
    (dir) => Deno.writeTextFile(join(dir, "node.key"), nodeB.keyPem),
    /^TLS key '.*\/node\.key' does not belong to certificate '.*\/node\.crt'$/,
  ],
  [
    "a client CA file holding a key",
    [...TLS, "--tls-client-ca", "ca.crt"],
    (dir) => Deno.writeTextFile(join(dir, "ca.crt"), ca.keyPem),
    /^client CA bundle '.*\/ca\.crt' holds no PEM /,
  ],
  [
    "a missing client CA",
    [...TLS, "--tls-client-ca", "ca.crt"],
    (dir) => Deno.remove(join(dir, "ca.crt")),
    /^Cannot read client CA bundle '.*\/ca\.crt': /,
  ],
  [
    "an empty peer CA",
    ["--tls-ca", "peers.crt"],
    (dir) => Deno.writeTextFile(join(dir, "peers.crt"), ""),
    /^peer CA bundle '.*\/peers\.crt' holds no PEM /,
  ],
  [
    "a missing keyring",
    ["--keyring", "keyring.json"],
    (dir) => Deno.remove(join(dir, "keyring.json")),
    /^Cannot read keyring '.*\/keyring\.json': /,
  ],
];

for (const [name, args, breakIt, message] of BROKEN) {
  Deno.test(`readSecurityMaterial() refuses ${name}, naming the file`, async () => {
    await withTempDir(async (dir) => {
      await writeFiles(dir);
      await breakIt(dir);
      const config = configIn(dir, args);
      await assert.rejects(readSecurityMaterial(config), (err: Error) => {
        assert.match(err.message, message);
        assert.ok(err.message.includes(dir), `names the file's full path: ${err.message}`);
        assert.ok(!err.message.includes("PRIVATE KEY-----\n"), "never the key itself");
        return true;
      });
    });
  });
}

/** What a watcher reported. */
interface Reports {
  changes: SecurityMaterial[];
  errors: Error[];
}

/** Starts a watcher on `config`, runs `fn`, then stops it and lets it wind down. */
async function watching(
  config: Config,
  fn: (reports: Reports) => Promise<void>,
  options: { reloadIntervalMs?: number } = {},
): Promise<void> {
  const reports: Reports = { changes: [], errors: [] };
  const controller = new AbortController();
  const current = await readSecurityMaterial(config);
  watchSecurityMaterial(config, current, (material) => {
    reports.changes.push(material);
  }, {
    signal: controller.signal,
    debounceMs: 50,
    reloadIntervalMs: options.reloadIntervalMs ?? 0,
    onError: (err) => reports.errors.push(err),
  });
  try {
    await fn(reports);
  } finally {
    controller.abort();
    // Let the watcher's loop see the closed resource before the test's sanitizers run.
    await delay(100);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until `ready()` holds, for at most `ms`. */
async function until(ready: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > end) throw new Error(`Condition not met within ${ms}ms`);
    await delay(20);
  }
}

/** Long enough for a change to be seen and debounced if one was coming. */
const QUIET_MS = 600;

Deno.test("watchSecurityMaterial() reports a keyring replaced by rename, once", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir);
    const config = configIn(dir, [...TLS, "--keyring", "keyring.json"]);
    await watching(config, async (reports) => {
      await replaceByRename(join(dir, "keyring.json"), '{"v":2}\n');
      await until(() => reports.changes.length > 0);
      await delay(QUIET_MS);
      assert.equal(reports.changes.length, 1);
      assert.deepEqual(reports.changes[0], {
        tls: { cert: nodeA.certPem, key: nodeA.keyPem },
        keyring: '{"v":2}\n',
      });
      // Rewriting what was just reported is no further change.
      await replaceByRename(join(dir, "keyring.json"), '{"v":2}\n');
      await delay(QUIET_MS);
      assert.equal(reports.changes.length, 1);
      assert.deepEqual(reports.errors, []);
    });
  });
});

Deno.test("watchSecurityMaterial() reports a rotated certificate and key", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir);
    const config = configIn(dir, TLS);
    await watching(config, async (reports) => {
      await replaceByRename(join(dir, "node.key"), nodeB.keyPem);
      await replaceByRename(join(dir, "node.crt"), nodeB.certPem);
      await until(() =>
        reports.changes.some((m) => m.tls?.cert === nodeB.certPem && m.tls.key === nodeB.keyPem)
      );
      // A re-read between the two renames may fail (key and certificate disagree); it is
      // never reported as a change.
      for (const change of reports.changes) {
        assert.notEqual(change.tls?.key === nodeB.keyPem, change.tls?.cert !== nodeB.certPem);
      }
    });
  });
});

Deno.test("watchSecurityMaterial() does not report a file rewritten with the same contents", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir);
    const config = configIn(dir, [...TLS, "--keyring", "keyring.json"]);
    await watching(config, async (reports) => {
      await replaceByRename(join(dir, "keyring.json"), '{"v":1}\n');
      await replaceByRename(join(dir, "node.crt"), nodeA.certPem);
      await Deno.writeTextFile(join(dir, "node.key"), nodeA.keyPem);
      await delay(QUIET_MS);
      assert.deepEqual(reports.changes, []);
      assert.deepEqual(reports.errors, []);
    });
  });
});

Deno.test("watchSecurityMaterial() ignores other files in the watched directory", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir);
    const config = configIn(dir, ["--keyring", "keyring.json"]);
    await watching(config, async (reports) => {
      await Deno.writeTextFile(join(dir, "unrelated.txt"), "x");
      await replaceByRename(join(dir, "node.crt"), nodeB.certPem); // Not configured here.
      await delay(QUIET_MS);
      assert.deepEqual(reports.changes, []);
      assert.deepEqual(reports.errors, []);
    });
  });
});

Deno.test("watchSecurityMaterial() reports a bad file to onError and keeps watching", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir);
    const config = configIn(dir, [...TLS, "--tls-client-ca", "ca.crt"]);
    await watching(config, async (reports) => {
      await replaceByRename(join(dir, "ca.crt"), "not a certificate\n");
      await until(() => reports.errors.length > 0);
      assert.match(reports.errors[0].message, /^client CA bundle '.*\/ca\.crt' holds no PEM /);
      assert.equal(reports.changes.length, 0, "the bad material is never handed over");
      await replaceByRename(join(dir, "ca.crt"), otherCa.certPem);
      await until(() => reports.changes.length > 0);
      assert.equal(reports.changes[0].tls?.clientCa, otherCa.certPem);
      assert.equal(reports.changes[0].peerCa, otherCa.certPem);
    });
  });
});

Deno.test("watchSecurityMaterial() stops when its signal is aborted", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir);
    const config = configIn(dir, ["--keyring", "keyring.json"]);
    const changes: SecurityMaterial[] = [];
    const controller = new AbortController();
    watchSecurityMaterial(config, await readSecurityMaterial(config), (m) => {
      changes.push(m);
    }, { signal: controller.signal, debounceMs: 50, onError: () => {} });
    controller.abort();
    await replaceByRename(join(dir, "keyring.json"), '{"v":3}\n');
    await delay(QUIET_MS);
    assert.deepEqual(changes, []);
  });
});

Deno.test("watchSecurityMaterial() does nothing without security files", async () => {
  await withTempDir((dir) => {
    const controller = new AbortController();
    // No watcher, no signal listener: the sanitizers would catch a leaked resource.
    watchSecurityMaterial(configIn(dir, []), {}, () => {
      throw new Error("no change expected");
    }, { signal: controller.signal, onError: () => {} });
    controller.abort();
  });
});

Deno.test("watchSecurityMaterial() re-reads on SIGHUP, reporting only real changes", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir);
    // A hard link elsewhere: writing through it changes the keyring without any event
    // in the keyring's directory, so only SIGHUP (or the backstop, off here) sees it.
    await Deno.mkdir(join(dir, "other"));
    await Deno.link(join(dir, "keyring.json"), join(dir, "other", "alias.json"));
    const config = configIn(dir, ["--keyring", "keyring.json"]);
    await watching(config, async (reports) => {
      // Nothing changed: a SIGHUP re-reads and reports nothing.
      Deno.kill(Deno.pid, "SIGHUP");
      await delay(QUIET_MS);
      assert.deepEqual(reports.changes, []);
      await Deno.writeTextFile(join(dir, "other", "alias.json"), '{"v":2}\n');
      await delay(QUIET_MS);
      assert.deepEqual(reports.changes, [], "no event announced the change");
      Deno.kill(Deno.pid, "SIGHUP");
      await until(() => reports.changes.length > 0);
      await delay(QUIET_MS);
      assert.deepEqual(reports.changes, [{ keyring: '{"v":2}\n' }]);
      assert.deepEqual(reports.errors, []);
    }, { reloadIntervalMs: 0 });
  });
});

// Issue 12 finding 7: a keyring reached through a symlink stopped reloading live.
Deno.test("watchSecurityMaterial() sees a change of a symlinked keyring's target, without SIGHUP", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "real"));
    await Deno.writeTextFile(join(dir, "real", "keyring.json"), '{"v":1}\n');
    await Deno.symlink(join(dir, "real", "keyring.json"), join(dir, "kr-link.json"));
    const config = configIn(dir, ["--keyring", "kr-link.json"]);
    await watching(config, async (reports) => {
      await delay(100); // The watch is set up asynchronously.
      await replaceByRename(join(dir, "real", "keyring.json"), '{"v":2}\n');
      await until(() => reports.changes.length > 0, 2_000);
      assert.deepEqual(reports.changes, [{ keyring: '{"v":2}\n' }]);
      assert.deepEqual(reports.errors, []);
    }, { reloadIntervalMs: 0 });
  });
});

Deno.test("watchSecurityMaterial() follows a retargeted link (a Kubernetes ..data swap)", async () => {
  await withTempDir(async (dir) => {
    // keyring.json -> ..data/keyring.json, ..data -> v1; the update swaps ..data to v2.
    for (const version of ["v1", "v2", "v3"]) {
      await Deno.mkdir(join(dir, version));
      await Deno.writeTextFile(join(dir, version, "keyring.json"), `{"${version}":1}\n`);
    }
    await Deno.symlink("v1", join(dir, "..data"));
    await Deno.symlink("..data/keyring.json", join(dir, "keyring.json"));
    const config = configIn(dir, ["--keyring", "keyring.json"]);
    const swap = async (version: string) => {
      await Deno.symlink(version, join(dir, "..data_tmp"));
      await Deno.rename(join(dir, "..data_tmp"), join(dir, "..data"));
    };
    await watching(config, async (reports) => {
      await delay(100);
      await swap("v2");
      await until(() => reports.changes.length === 1, 2_000);
      assert.deepEqual(reports.changes[0], { keyring: '{"v2":1}\n' });
      // The new target's directory is watched too: an edit in place there is seen.
      await delay(300);
      await replaceByRename(join(dir, "v2", "keyring.json"), '{"v2":2}\n');
      await until(() => reports.changes.length === 2, 2_000);
      assert.deepEqual(reports.changes[1], { keyring: '{"v2":2}\n' });
      await swap("v3");
      await until(() => reports.changes.length === 3, 2_000);
      assert.deepEqual(reports.changes[2], { keyring: '{"v3":1}\n' });
      assert.deepEqual(reports.errors, []);
    }, { reloadIntervalMs: 0 });
  });
});

Deno.test("watchSecurityMaterial() backstop re-read applies a change no event announced", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir);
    await Deno.mkdir(join(dir, "other"));
    await Deno.link(join(dir, "keyring.json"), join(dir, "other", "alias.json"));
    const config = configIn(dir, ["--keyring", "keyring.json"]);
    await watching(config, async (reports) => {
      await delay(QUIET_MS);
      assert.deepEqual(reports.changes, [], "an unchanged re-read reports nothing");
      // No event announces this write (the SIGHUP test shows it with the backstop off):
      // only the 250 ms re-read can see it; the bound of 20 intervals keeps it finite.
      await Deno.writeTextFile(join(dir, "other", "alias.json"), '{"v":2}\n');
      await until(() => reports.changes.length > 0, 5_000);
      await delay(QUIET_MS);
      assert.deepEqual(reports.changes, [{ keyring: '{"v":2}\n' }], "reported once");
      assert.deepEqual(reports.errors, []);
    }, { reloadIntervalMs: 250 });
  });
});

Deno.test("watchSecurityMaterial() reports a failing backstop re-read once, not on every tick", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir);
    const config = configIn(dir, ["--keyring", "keyring.json"]);
    await watching(config, async (reports) => {
      await Deno.remove(join(dir, "keyring.json"));
      await until(() => reports.errors.length > 0, 2_000);
      await delay(600);
      assert.equal(reports.errors.length, 1, reports.errors.map((e) => e.message).join("; "));
      assert.match(reports.errors[0].message, /^Cannot read keyring '.*keyring\.json'/);
      await Deno.writeTextFile(join(dir, "keyring.json"), '{"v":4}\n');
      await until(() => reports.changes.length > 0, 2_000);
      assert.deepEqual(reports.changes, [{ keyring: '{"v":4}\n' }]);
    }, { reloadIntervalMs: 100 });
  });
});
