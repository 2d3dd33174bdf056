import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { parseTlsArgs, runTls, TLS_HELP } from "../../lib/cli/tls.ts";
import { UsageError } from "../../lib/cli/_usage.ts";
import { describeCertificate, keyMatchesCertificate } from "../../lib/security/certificates.ts";
import { capture } from "./_capture.ts";
import { withTempDir } from "../_helpers/temp_dir.ts";

async function mode(path: string): Promise<number> {
  return (await Deno.stat(path)).mode! & 0o777;
}

function assertOneLine(text: string, pattern: RegExp): void {
  assert.equal(text.split("\n").length, 1, `one line expected, got: ${text}`);
  assert.match(text, pattern);
}

Deno.test("swarm tls init writes ca.crt (0644) and ca.key (0600) in a new 0700 directory", async () => {
  await withTempDir(async (tmp) => {
    const dir = `${tmp}/pki`;
    const out = await capture(() => runTls(["init", "--dir", dir, "--name", "lab CA"]));
    assert.equal(out.code, 0, out.stderr);
    assert.equal(await mode(dir), 0o700);
    assert.equal(await mode(`${dir}/ca.crt`), 0o644);
    assert.equal(await mode(`${dir}/ca.key`), 0o600);
    assert.match(out.stdout, new RegExp(`Wrote ${dir}/ca\\.crt`));
    assert.match(out.stdout, new RegExp(`Wrote ${dir}/ca\\.key`));
    assert.match(out.stdout, /^Next: swarm tls issue NODE --dir /m);

    const certPem = await Deno.readTextFile(`${dir}/ca.crt`);
    const info = await describeCertificate(certPem);
    assert.ok(info.isCa);
    assert.equal(info.commonName, "lab CA");
    assert.ok(await keyMatchesCertificate(certPem, await Deno.readTextFile(`${dir}/ca.key`)));
    // No temporary file is left behind.
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names.sort(), ["ca.crt", "ca.key"]);
  });
});

Deno.test("swarm tls init refuses to overwrite without --force and replaces with it", async () => {
  await withTempDir(async (dir) => {
    assert.equal((await capture(() => runTls(["init", "--dir", dir]))).code, 0);
    const before = await Deno.readTextFile(`${dir}/ca.key`);

    const refused = await capture(() => runTls(["init", "--dir", dir]));
    assert.equal(refused.code, 1);
    assertOneLine(
      refused.stderr,
      /^swarm tls: config_invalid: .*ca\.crt and .*ca\.key already exist: pass --force/,
    );
    assert.equal(await Deno.readTextFile(`${dir}/ca.key`), before);

    // One existing file is enough to refuse, and nothing is written.
    await Deno.remove(`${dir}/ca.crt`);
    const partial = await capture(() => runTls(["init", "--dir", dir]));
    assert.equal(partial.code, 1);
    assertOneLine(partial.stderr, /ca\.key already exists/);
    await assert.rejects(Deno.stat(`${dir}/ca.crt`), Deno.errors.NotFound);

    const forced = await capture(() => runTls(["init", "--dir", dir, "--force"]));
    assert.equal(forced.code, 0, forced.stderr);
    assert.notEqual(await Deno.readTextFile(`${dir}/ca.key`), before);
    assert.equal(await mode(`${dir}/ca.key`), 0o600);
    assert.equal(await mode(`${dir}/ca.crt`), 0o644);
  });
});

Deno.test("swarm tls issue signs NAME.crt (0644) and NAME.key (0600) with the CA", async () => {
  await withTempDir(async (dir) => {
    assert.equal((await capture(() => runTls(["init", "--dir", dir]))).code, 0);
    const out = await capture(() =>
      runTls([
        "issue",
        "node-a",
        "--dir",
        dir,
        "--dns",
        "node-a.lan",
        "--ip",
        "192.168.1.20",
        "--ip",
        "::1",
        "--days",
        "30",
      ])
    );
    assert.equal(out.code, 0, out.stderr);
    assert.match(
      out.stdout,
      /Wrote .*node-a\.crt \(CN=node-a; DNS:node-a\.lan, IP:192\.168\.1\.20/,
    );
    assert.match(out.stdout, /^Next: swarm serve --tls-cert .*node-a\.crt --tls-key/m);
    assert.equal(await mode(`${dir}/node-a.crt`), 0o644);
    assert.equal(await mode(`${dir}/node-a.key`), 0o600);

    const certPem = await Deno.readTextFile(`${dir}/node-a.crt`);
    const info = await describeCertificate(certPem);
    assert.equal(info.commonName, "node-a");
    assert.equal(info.issuer, "CN=swarm mesh CA");
    assert.deepEqual(info.dns, ["node-a.lan"]);
    assert.deepEqual(info.ips, ["192.168.1.20", "::1"]);
    assert.deepEqual(info.extendedKeyUsages, ["serverAuth", "clientAuth"]);
    const days = (Date.parse(info.notAfter) - Date.now()) / 86_400_000;
    assert.ok(days > 29.9 && days <= 30, `${days} days`);
    assert.ok(await keyMatchesCertificate(certPem, await Deno.readTextFile(`${dir}/node-a.key`)));

    const verify = await new Deno.Command("openssl", {
      args: ["verify", "-CAfile", `${dir}/ca.crt`, `${dir}/node-a.crt`],
      stderr: "piped",
    }).output();
    assert.equal(verify.code, 0, new TextDecoder().decode(verify.stderr));

    const again = await capture(() => runTls(["issue", "node-a", "--dir", dir, "--ip", "::1"]));
    assert.equal(again.code, 1);
    assertOneLine(again.stderr, /already exist: pass --force/);
    assert.equal(await Deno.readTextFile(`${dir}/node-a.crt`), certPem);
  });
});

Deno.test("swarm tls issue --client --out-dir writes a client certificate elsewhere", async () => {
  await withTempDir(async (dir) => {
    assert.equal((await capture(() => runTls(["init", "--dir", `${dir}/ca`]))).code, 0);
    const out = await capture(() =>
      runTls(["issue", "alice_laptop", "--dir", `${dir}/ca`, "--client", "--out-dir", `${dir}/out`])
    );
    assert.equal(out.code, 0, out.stderr);
    assert.equal(await mode(`${dir}/out`), 0o700);
    assert.equal(await mode(`${dir}/out/alice_laptop.key`), 0o600);
    const info = await describeCertificate(await Deno.readTextFile(`${dir}/out/alice_laptop.crt`));
    assert.deepEqual(info.extendedKeyUsages, ["clientAuth"]);
    assert.deepEqual([info.dns, info.ips], [[], []], "the name is not a DNS name");
    await assert.rejects(Deno.stat(`${dir}/ca/alice_laptop.crt`), Deno.errors.NotFound);
  });
});

Deno.test("swarm tls issue with a CA from another directory's key fails in one line", async () => {
  await withTempDir(async (dir) => {
    assert.equal((await capture(() => runTls(["init", "--dir", `${dir}/a`]))).code, 0);
    assert.equal((await capture(() => runTls(["init", "--dir", `${dir}/b`]))).code, 0);
    await Deno.copyFile(`${dir}/b/ca.key`, `${dir}/a/ca.key`);
    const out = await capture(() => runTls(["issue", "node-a", "--dir", `${dir}/a`]));
    assert.equal(out.code, 1);
    assertOneLine(out.stderr, /^swarm tls: config_invalid: CA key mismatch/);
    await assert.rejects(Deno.stat(`${dir}/a/node-a.key`), Deno.errors.NotFound);
  });
});

Deno.test("swarm tls issue without a CA exits 1 with one line", async () => {
  await withTempDir(async (dir) => {
    const out = await capture(() => runTls(["issue", "node-a", "--dir", dir]));
    assert.equal(out.code, 1);
    assertOneLine(
      out.stderr,
      /^swarm tls: config_invalid: No CA: .*ca\.crt is missing, create one with 'swarm tls init/,
    );
  });
});

Deno.test("swarm tls usage mistakes exit 2 with one line", async () => {
  await withTempDir(async (dir) => {
    assert.equal((await capture(() => runTls(["init", "--dir", dir]))).code, 0);
    const cases: [string[], RegExp][] = [
      [["issue", "../evil", "--dir", dir], /Invalid NAME '\.\.\/evil'/],
      [["issue", ".hidden", "--dir", dir], /Invalid NAME '\.hidden'/],
      [["issue", "a b", "--dir", dir], /Invalid NAME 'a b'/],
      [["issue", "ca", "--dir", dir, "--force"], /Invalid NAME 'ca': it is reserved/],
      [["issue", "node-a", "--dir", dir, "--ip", "10.0.0.300"], /--ip: Invalid IP address/],
      [["issue", "node-a", "--dir", dir, "--dns", "a..b"], /--dns: Invalid DNS name/],
      [["issue", "node-a", "--dir", dir, "--days", "0"], /--days: Invalid validity/],
      [["issue", "node-a", "--dir", dir, "--days", "ten"], /Invalid --days 'ten'/],
      [["issue", "node_a", "--dir", dir], /NAME 'node_a' is not a DNS name/],
      [["issue", "--dir", dir], /Missing NAME/],
      [["issue", "a", "b", "--dir", dir], /Expected one NAME, got 2/],
      [["issue", "node-a", "--dir", dir, "--bogus"], /bogus/],
      [["init"], /Missing --dir/],
      [["init", "--dir", dir, "--client"], /client/],
      [["show"], /Missing FILE/],
      [[], /Missing subcommand/],
      [["rotate"], /Unknown subcommand 'rotate'/],
    ];
    for (const [argv, pattern] of cases) {
      const out = await capture(() => runTls(argv));
      assert.equal(out.code, 2, `${argv.join(" ")}: ${out.stderr}`);
      assertOneLine(out.stderr, pattern);
      assert.match(out.stderr, /^swarm tls: invalid_argument: .*\(see 'swarm tls --help'\)$/);
    }
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names.sort(), ["ca.crt", "ca.key"], "nothing written on a usage error");
  });
});

Deno.test("swarm tls --help exits 0 and documents every subcommand and SWARM_TLS_DIR", async () => {
  for (const argv of [["--help"], ["-h"], ["help"], ["init", "--help"], ["issue", "-h"]]) {
    const out = await capture(() => runTls(argv));
    assert.equal(out.code, 0);
    assert.equal(out.stdout, TLS_HELP);
  }
  for (const word of ["swarm tls init", "swarm tls issue", "swarm tls show", "$SWARM_TLS_DIR"]) {
    assert.ok(TLS_HELP.includes(word), word);
  }
  assert.match(TLS_HELP, /no --dns and no --ip: NAME alone/);
});

Deno.test("swarm tls show prints a certificate as text and as JSON", async () => {
  await withTempDir(async (dir) => {
    assert.equal((await capture(() => runTls(["init", "--dir", dir]))).code, 0);
    assert.equal(
      (await capture(() => runTls(["issue", "node-a", "--dir", dir, "--ip", "10.0.0.7"]))).code,
      0,
    );
    const text = await capture(() => runTls(["show", `${dir}/node-a.crt`, `${dir}/ca.crt`]));
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /subject: +CN=node-a/);
    assert.match(text.stdout, /IP addresses: 10\.0\.0\.7/);
    assert.match(text.stdout, /CA: +yes/);
    assert.match(text.stdout, /SHA-256: +([0-9A-F]{2}:){31}[0-9A-F]{2}/);

    const json = await capture(() => runTls(["show", "--json", `${dir}/node-a.crt`]));
    assert.equal(json.code, 0, json.stderr);
    const [shown] = JSON.parse(json.stdout);
    const expected = await describeCertificate(await Deno.readTextFile(`${dir}/node-a.crt`));
    assert.deepEqual(shown, { file: `${dir}/node-a.crt`, ...expected });

    const key = await capture(() => runTls(["show", `${dir}/node-a.key`]));
    assert.equal(key.code, 1);
    assertOneLine(key.stderr, /config_invalid: No certificate in .*node-a\.key/);
    const missing = await capture(() => runTls(["show", `${dir}/nope.crt`]));
    assert.equal(missing.code, 1);
    assertOneLine(missing.stderr, /config_invalid: Cannot read .*nope\.crt/);
  });
});

Deno.test("parseTlsArgs() takes --dir from SWARM_TLS_DIR and usage from --server/--client", () => {
  const env = { SWARM_TLS_DIR: "/etc/swarm/pki" };
  const init = parseTlsArgs(["init"], env);
  assert.deepEqual(init, {
    command: "init",
    dir: "/etc/swarm/pki",
    name: "swarm mesh CA",
    days: 3650,
    force: false,
  });
  assert.equal((parseTlsArgs(["init", "--dir", "x"], env) as { dir: string }).dir, "x");
  const usages: [string[], string][] = [
    [[], "both"],
    [["--server"], "server"],
    [["--client"], "client"],
    [["--server", "--client"], "both"],
  ];
  for (const [flags, usage] of usages) {
    const args = parseTlsArgs(["issue", "node-a", ...flags], env);
    assert.ok(args.command === "issue");
    assert.equal(args.usage, usage, flags.join(" "));
    assert.equal(args.days, 825);
    assert.equal(args.outDir, "/etc/swarm/pki");
  }
  assert.throws(() => parseTlsArgs(["init"], {}), UsageError);
  assert.throws(() => parseTlsArgs(["init"], { SWARM_TLS_DIR: "" }), UsageError);
});

Deno.test("swarm tls init sets file modes whatever the umask", async () => {
  const tlsModule = new URL("../../lib/cli/tls.ts", import.meta.url).href;
  const config = fileURLToPath(new URL("../../deno.json", import.meta.url));
  // 222 would leave a directory made with mode 0700 at 0500 without the chmod after.
  for (const umask of ["077", "000", "222"]) {
    await withTempDir(async (dir) => {
      const script = `import { runTls } from ${JSON.stringify(tlsModule)};` +
        `Deno.exit(await runTls(["init", "--dir", ${JSON.stringify(`${dir}/pki`)}]));`;
      const result = await new Deno.Command("sh", {
        args: [
          "-c",
          `umask ${umask} && exec "$0" eval --config "$1" "$2"`,
          Deno.execPath(),
          config,
          script,
        ],
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.equal(result.code, 0, new TextDecoder().decode(result.stderr));
      assert.equal(await mode(`${dir}/pki`), 0o700, `umask ${umask}`);
      assert.equal(await mode(`${dir}/pki/ca.crt`), 0o644, `umask ${umask}`);
      assert.equal(await mode(`${dir}/pki/ca.key`), 0o600, `umask ${umask}`);
    });
  }
});
