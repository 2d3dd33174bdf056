/**
 * Setup mistakes found while a node starts — a TLS file missing, a key that is not the
 * certificate's, the port in use — are one line and exit status 2, as docs/configuration.md
 * promises, and a failed start leaves the data directory as it found it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withTempDir } from "../_helpers/temp_dir.ts";
import { makeCliPki } from "./_pki.ts";
import { freePort, runSwarm, startNode } from "./_node.ts";

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test({
  name: "a missing TLS file is a setup mistake: exit 2, and the new data dir is not left behind",
  sanitizeResources: false,
  async fn() {
    await withTempDir(async (dir) => {
      const dataDir = join(dir, "data");
      const r = await runSwarm([
        "--listen",
        `127.0.0.1:${freePort()}`,
        "--data-dir",
        dataDir,
        "--tls-cert",
        join(dir, "missing.crt"),
        "--tls-key",
        join(dir, "missing.key"),
      ]);
      assert.match(
        r.stderr.trim().split("\n").at(-1) ?? "",
        /^swarm: config_invalid: Cannot read TLS certificate '.*missing\.crt': No such file/,
      );
      assert.equal(r.code, 2, r.stderr);
      assert.equal(await exists(dataDir), false, "nothing written before the mistake was found");
    });
  },
});

Deno.test({
  name: "a TLS key that is not the certificate's is a setup mistake: exit 2",
  sanitizeResources: false,
  async fn() {
    const pki = await makeCliPki({ servers: [["a", "127.0.0.1"], ["b", "127.0.0.1"]] });
    try {
      const dataDir = join(pki.dir, "data");
      const r = await runSwarm([
        "--listen",
        `127.0.0.1:${freePort()}`,
        "--data-dir",
        dataDir,
        "--tls-cert",
        join(pki.dir, "a.crt"),
        "--tls-key",
        join(pki.dir, "b.key"),
      ]);
      assert.match(
        r.stderr,
        /swarm: config_invalid: TLS key '.*b\.key' does not belong to certificate/,
      );
      assert.equal(r.code, 2, r.stderr);
      assert.equal(await exists(dataDir), false);
    } finally {
      await pki.cleanup();
    }
  },
});

Deno.test({
  name: "a port in use is a setup mistake: exit 2; a failed start removes only what it wrote",
  sanitizeResources: false,
  async fn() {
    const holder = await startNode();
    try {
      await withTempDir(async (dir) => {
        const fresh = join(dir, "fresh");
        const r = await runSwarm(["--listen", `127.0.0.1:${holder.port}`, "--data-dir", fresh]);
        assert.match(
          r.stderr,
          /swarm: config_invalid: Cannot listen on 127\.0\.0\.1:\d+: Address already in use/,
        );
        assert.equal(r.code, 2, r.stderr);
        assert.equal(await exists(fresh), false, "no node id, store or starter skills left");

        // A data dir from an earlier run keeps what it held (its node id); nothing new stays.
        const earlier = join(dir, "earlier");
        await Deno.mkdir(earlier);
        await Deno.writeTextFile(join(earlier, "node-id"), `${crypto.randomUUID()}\n`);
        await Deno.writeTextFile(join(earlier, "notes.txt"), "the operator's");
        const id = await Deno.readTextFile(join(earlier, "node-id"));
        const again = await runSwarm([
          "--listen",
          `127.0.0.1:${holder.port}`,
          "--data-dir",
          earlier,
        ]);
        assert.equal(again.code, 2, again.stderr);
        const left = [];
        for await (const e of Deno.readDir(earlier)) left.push(e.name);
        assert.deepEqual(left.sort(), ["node-id", "notes.txt"]);
        assert.equal(await Deno.readTextFile(join(earlier, "node-id")), id);
      });
    } finally {
      await holder.stop();
    }
  },
});
