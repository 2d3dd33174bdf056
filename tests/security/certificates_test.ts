import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import assert from "node:assert/strict";
import { fetchFailed, TLS_REFUSED } from "../_helpers/fetch_failure.ts";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import {
  type CertificateAndKey,
  checkCommonName,
  checkDnsName,
  checkIpAddress,
  checkValidDays,
  createMeshCa,
  describeCertificate,
  issueCertificate,
  keyMatchesCertificate,
  parsePemCertificates,
} from "../../lib/security/certificates.ts";
import { SwarmError } from "../../lib/protocol/errors.ts";
import {
  CERT_FILE_MODE,
  KEY_FILE_MODE,
  writeCertificateAndKey,
} from "../../lib/security/certificate_files.ts";
import { fetchWithin, outputWithin } from "../_helpers/with_timeout.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

// One CA for the tests that only read certificates: key generation is cheap, but the
// files written for openssl are shared the same way.
const ca = await createMeshCa({ commonName: "test mesh CA" });
const rogueCa = await createMeshCa({ commonName: "test mesh CA" });

function issue(options: Partial<Parameters<typeof issueCertificate>[0]> = {}) {
  return issueCertificate({
    caCertPem: ca.certPem,
    caKeyPem: ca.keyPem,
    commonName: "node-a",
    ...options,
  });
}

/** Runs openssl with the given files written to a temporary directory. */
async function openssl(
  args: (dir: string) => string[],
  files: Record<string, string>,
): Promise<{ code: number; out: string }> {
  const dir = await Deno.makeTempDir({ prefix: "swarm_pki_test_" });
  try {
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
    }
    const result = await outputWithin("openssl", { args: args(dir), stderr: "piped", ms: 30_000 });
    const out = new TextDecoder().decode(result.stdout) + new TextDecoder().decode(result.stderr);
    return { code: result.code, out };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function assertConfigInvalid(err: unknown, pattern: RegExp): true {
  assert.ok(err instanceof SwarmError, `expected a SwarmError, got ${err}`);
  assert.equal(err.code, "config_invalid");
  assert.match(err.message, pattern);
  assert.ok(!err.message.includes("\n"), "one-line message");
  return true;
}

Deno.test("createMeshCa() makes a self-signed P-256 CA with critical constraints and key usage", async () => {
  const cert = new x509.X509Certificate(ca.certPem);
  assert.equal(cert.subject, "CN=test mesh CA");
  assert.equal(cert.issuer, cert.subject);
  assert.ok(await cert.isSelfSigned());
  assert.deepEqual(cert.publicKey.algorithm, { name: "ECDSA", namedCurve: "P-256" });
  assert.equal(cert.signatureAlgorithm.hash.name, "SHA-256");

  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  assert.ok(bc && bc.ca && bc.critical);
  assert.equal(bc.pathLength, 0);
  const ku = cert.getExtension(x509.KeyUsagesExtension);
  assert.ok(ku && ku.critical);
  assert.equal(ku.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  assert.ok(ski);
  const expectedKeyId = Array.from(
    new Uint8Array(await cert.publicKey.getKeyIdentifier()),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  assert.equal(ski.keyId, expectedKeyId);

  // 16 bytes, positive: 32 hex digits, top bit clear.
  assert.match(cert.serialNumber, /^[0-7][0-9a-f]{31}$/);
  assert.notEqual(cert.serialNumber, new x509.X509Certificate(rogueCa.certPem).serialNumber);
  assert.match(ca.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
  assert.ok(await keyMatchesCertificate(ca.certPem, ca.keyPem));
});

Deno.test("createMeshCa() output reads the same to openssl", async () => {
  const { code, out } = await openssl(
    (d) => ["x509", "-noout", "-text", "-in", `${d}/ca.crt`],
    { "ca.crt": ca.certPem },
  );
  assert.equal(code, 0, out);
  assert.match(out, /Version: 3 \(0x2\)/);
  assert.match(out, /Signature Algorithm: ecdsa-with-SHA256/);
  assert.match(out, /Subject: CN ?= ?test mesh CA/);
  assert.match(out, /Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
  assert.match(out, /Key Usage: critical\s+Certificate Sign, CRL Sign/);
  assert.match(out, /Subject Key Identifier/);
  const key = await openssl(
    (d) => ["pkey", "-in", `${d}/ca.key`, "-noout", "-text"],
    { "ca.key": ca.keyPem },
  );
  assert.equal(key.code, 0, key.out);
  assert.match(key.out, /P-256|prime256v1/);
});

Deno.test("createMeshCa() sets the validity from validDays, starting a little in the past", async () => {
  const now = new Date("2030-01-01T00:00:00Z");
  const made = await createMeshCa({ commonName: "dated", validDays: 10, now });
  const info = await describeCertificate(made.certPem);
  assert.ok(Date.parse(info.notBefore) < now.getTime());
  assert.ok(Date.parse(info.notBefore) >= now.getTime() - 10 * 60 * 1000);
  assert.equal(Date.parse(info.notAfter), now.getTime() + 10 * DAY_MS);
});

Deno.test("issueCertificate() makes a leaf with the extensions a TLS leaf needs", async () => {
  const leaf = await issue({ dns: ["node-a.lan"], ips: ["10.0.0.7"] });
  const cert = new x509.X509Certificate(leaf.certPem);
  const caCert = new x509.X509Certificate(ca.certPem);
  assert.equal(cert.subject, "CN=node-a");
  assert.equal(cert.issuer, caCert.subject);
  assert.ok(await cert.verify({ publicKey: caCert.publicKey, signatureOnly: true }));
  assert.equal(await cert.isSelfSigned(), false);

  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  assert.ok(bc && !bc.ca);
  const ku = cert.getExtension(x509.KeyUsagesExtension);
  assert.ok(ku && ku.critical);
  assert.equal(ku.usages, x509.KeyUsageFlags.digitalSignature, "no keyEncipherment for EC");
  const aki = cert.getExtension(x509.AuthorityKeyIdentifierExtension);
  assert.equal(aki?.keyId, caCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId);
  assert.ok(cert.getExtension(x509.SubjectKeyIdentifierExtension));
  assert.match(cert.serialNumber, /^[0-7][0-9a-f]{31}$/);
  assert.ok(await keyMatchesCertificate(leaf.certPem, leaf.keyPem));
  assert.equal(await keyMatchesCertificate(leaf.certPem, ca.keyPem), false);

  const { code, out } = await openssl(
    (d) => ["verify", "-CAfile", `${d}/ca.crt`, `${d}/leaf.crt`],
    { "ca.crt": ca.certPem, "leaf.crt": leaf.certPem },
  );
  assert.equal(code, 0, out);
  assert.match(out, /leaf.crt: OK/);
});

Deno.test("issueCertificate() sets extended key usage from usage, as openssl's purposes see it", async () => {
  const cases = [
    { usage: "server", eku: ["serverAuth"], sslserver: true, sslclient: false },
    { usage: "client", eku: ["clientAuth"], sslserver: false, sslclient: true },
    { usage: "both", eku: ["serverAuth", "clientAuth"], sslserver: true, sslclient: true },
  ] as const;
  for (const c of cases) {
    const leaf = await issue({ usage: c.usage, dns: ["node-a"] });
    assert.deepEqual((await describeCertificate(leaf.certPem)).extendedKeyUsages, c.eku, c.usage);
    for (const purpose of ["sslserver", "sslclient"] as const) {
      const { code, out } = await openssl(
        (d) => ["verify", "-purpose", purpose, "-CAfile", `${d}/ca.crt`, `${d}/leaf.crt`],
        { "ca.crt": ca.certPem, "leaf.crt": leaf.certPem },
      );
      assert.equal(code === 0, c[purpose], `${c.usage} as ${purpose}: ${out}`);
    }
  }
});

Deno.test("issueCertificate() writes DNS and IP subject alternative names", async () => {
  const leaf = await issue({
    dns: ["Node-A.lan", "*.mesh.lan", "node-a.lan"],
    ips: ["192.168.1.20", "0:0:0:0:0:0:0:1", "fe80::1"],
  });
  const info = await describeCertificate(leaf.certPem);
  assert.deepEqual(info.dns, ["node-a.lan", "*.mesh.lan"], "lower-cased, duplicates dropped");
  assert.deepEqual(info.ips, ["192.168.1.20", "::1", "fe80::1"]);
  const { out } = await openssl(
    (d) => ["x509", "-noout", "-ext", "subjectAltName", "-in", `${d}/leaf.crt`],
    { "leaf.crt": leaf.certPem },
  );
  assert.match(out, /DNS:node-a\.lan, DNS:\*\.mesh\.lan, IP Address:192\.168\.1\.20/);
  assert.match(out, /IP Address:0:0:0:0:0:0:0:1, IP Address:FE80:0:0:0:0:0:0:1/);
});

Deno.test("issueCertificate() uses the common name as DNS name when no name is given", async () => {
  const leaf = await issue({ commonName: "node-b.lan" });
  const info = await describeCertificate(leaf.certPem);
  assert.deepEqual([info.dns, info.ips], [["node-b.lan"], []]);

  // A client certificate may carry an identity that is not a host name.
  const client = await issue({ commonName: "alice@laptop", usage: "client" });
  const cert = new x509.X509Certificate(client.certPem);
  assert.equal(cert.getExtension(x509.SubjectAlternativeNameExtension), null);
  assert.equal((await describeCertificate(client.certPem)).commonName, "alice@laptop");

  await assert.rejects(
    issue({ commonName: "alice@laptop", usage: "server" }),
    (err) => assertConfigInvalid(err, /not a DNS name/),
  );
});

Deno.test("issueCertificate() ends no later than the CA and refuses an expired CA", async () => {
  const now = new Date();
  const shortCa = await createMeshCa({ commonName: "short", validDays: 2, now });
  const leaf = await issueCertificate({
    caCertPem: shortCa.certPem,
    caKeyPem: shortCa.keyPem,
    commonName: "node-a",
    validDays: 825,
    now,
  });
  const [leafInfo, caInfo] = await Promise.all([
    describeCertificate(leaf.certPem),
    describeCertificate(shortCa.certPem),
  ]);
  assert.equal(leafInfo.notAfter, caInfo.notAfter);

  const past = new Date(now.getTime() - 10 * DAY_MS);
  const oldCa = await createMeshCa({ commonName: "old", validDays: 1, now: past });
  await assert.rejects(
    issueCertificate({ caCertPem: oldCa.certPem, caKeyPem: oldCa.keyPem, commonName: "node-a" }),
    (err) => assertConfigInvalid(err, /^CA certificate expired/),
  );
});

Deno.test("issueCertificate() refuses a CA key that is not the CA's, and a leaf as CA", async () => {
  await assert.rejects(
    issue({ caKeyPem: rogueCa.keyPem }),
    (err) => assertConfigInvalid(err, /^CA key mismatch/),
  );
  const leaf = await issue();
  await assert.rejects(
    issue({ caCertPem: leaf.certPem, caKeyPem: leaf.keyPem }),
    (err) => assertConfigInvalid(err, /^Not a CA certificate/),
  );
  await assert.rejects(
    issue({ caKeyPem: ca.certPem }),
    (err) => assertConfigInvalid(err, /No PEM private key/),
  );
  await assert.rejects(
    issue({ caCertPem: "not pem" }),
    (err) => assertConfigInvalid(err, /PEM/),
  );
});

Deno.test("issueCertificate() explains how to convert an SEC1 'EC PRIVATE KEY'", async () => {
  const { code, out } = await openssl(
    (d) => ["ec", "-in", `${d}/ca.key`, "-outform", "PEM"],
    { "ca.key": ca.keyPem },
  );
  assert.equal(code, 0, out);
  const sec1 = out.slice(out.indexOf("-----BEGIN EC PRIVATE KEY-----"));
  assert.match(sec1, /^-----BEGIN EC PRIVATE KEY-----/);
  await assert.rejects(
    issue({ caKeyPem: sec1 }),
    (err) => assertConfigInvalid(err, /openssl pkcs8 -topk8 -nocrypt/),
  );
});

Deno.test("issueCertificate() refuses an RSA CA with a clear message; keyMatchesCertificate() reads RSA", async () => {
  const dir = await Deno.makeTempDir({ prefix: "swarm_pki_test_" });
  try {
    const made = await outputWithin("openssl", {
      args: [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        `${dir}/ca.key`,
        "-out",
        `${dir}/ca.crt`,
        "-subj",
        "/CN=rsa CA",
        "-days",
        "2",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
      ],
      stderr: "null",
      ms: 30_000,
    });
    assert.equal(made.code, 0);
    const rsaCert = await Deno.readTextFile(`${dir}/ca.crt`);
    assert.ok(await keyMatchesCertificate(rsaCert, await Deno.readTextFile(`${dir}/ca.key`)));
    assert.equal(await keyMatchesCertificate(rsaCert, ca.keyPem), false);
    assert.equal(
      await keyMatchesCertificate(ca.certPem, await Deno.readTextFile(`${dir}/ca.key`)),
      false,
    );
    await assert.rejects(
      issue({
        caCertPem: await Deno.readTextFile(`${dir}/ca.crt`),
        caKeyPem: await Deno.readTextFile(`${dir}/ca.key`),
      }),
      (err) => assertConfigInvalid(err, /^Unsupported CA key: it is RSA/),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("issueCertificate() rejects bad names, addresses and validity", async () => {
  const bad: [Partial<Parameters<typeof issueCertificate>[0]>, RegExp][] = [
    [{ commonName: "" }, /^Invalid common name: it is empty/],
    [{ commonName: "x".repeat(65) }, /at most 64/],
    [{ commonName: "a\nb" }, /control character/],
    [{ commonName: " lead" }, /white space/],
    [{ dns: ["a..b"] }, /empty label/],
    [{ dns: ["-a.lan"] }, /label "-a"/],
    [{ dns: ["a_b.lan"] }, /label "a_b"/],
    [{ dns: ["a.*.lan"] }, /wildcard that is not the first label/],
    [{ dns: ["*"] }, /only a wildcard/],
    [{ dns: ["x".repeat(64) + ".lan"] }, /at most 63/],
    [{ dns: [Array(128).fill("a").join(".")] }, /at most 253/],
    [{ dns: ["10.0.0.1"] }, /is an IP address/],
    [{ dns: [""] }, /empty/],
    [{ ips: ["10.0.0.256"] }, /^Invalid IP address/],
    [{ ips: ["010.0.0.1"] }, /^Invalid IP address/],
    [{ ips: ["1.2.3"] }, /^Invalid IP address/],
    [{ ips: ["fe80::1%eth0"] }, /^Invalid IP address/],
    [{ ips: ["[::1]"] }, /^Invalid IP address/],
    [{ ips: ["1:2:3:4:5:6:7:8:9"] }, /^Invalid IP address/],
    [{ ips: ["localhost"] }, /^Invalid IP address/],
    [{ validDays: 0 }, /^Invalid validity/],
    [{ validDays: 3651 }, /^Invalid validity/],
    [{ validDays: 1.5 }, /^Invalid validity/],
    [{ usage: "admin" as "both" }, /^Invalid usage/],
  ];
  for (const [options, pattern] of bad) {
    await assert.rejects(issue(options), (err) => assertConfigInvalid(err, pattern));
  }
  await assert.rejects(
    createMeshCa({ commonName: "ok", validDays: 0 }),
    (err) => assertConfigInvalid(err, /^Invalid validity/),
  );
});

Deno.test("certificate input checks accept what they should", () => {
  assert.equal(checkCommonName("swarm mesh CA"), "swarm mesh CA");
  assert.equal(checkCommonName("节点-1"), "节点-1");
  assert.equal(checkCommonName("x".repeat(64)), "x".repeat(64));
  assert.equal(checkDnsName("localhost"), "localhost");
  assert.equal(checkDnsName("1node.LAN"), "1node.lan");
  assert.equal(checkDnsName("*.lan"), "*.lan");
  assert.equal(checkDnsName("x".repeat(63) + ".lan"), "x".repeat(63) + ".lan");
  assert.equal(checkIpAddress("0.0.0.0"), "0.0.0.0");
  assert.equal(checkIpAddress("2001:DB8::0:1"), "2001:db8::1");
  assert.equal(checkIpAddress("::ffff:10.0.0.1"), "::ffff:a00:1");
  assert.equal(checkValidDays(1), 1);
  assert.equal(checkValidDays(3650), 3650);
});

Deno.test("describeCertificate() fingerprint matches openssl's SHA-256 fingerprint", async () => {
  const leaf = await issue({ ips: ["127.0.0.1"] });
  const info = await describeCertificate(leaf.certPem);
  const { code, out } = await openssl(
    (d) => ["x509", "-noout", "-fingerprint", "-sha256", "-in", `${d}/leaf.crt`],
    { "leaf.crt": leaf.certPem },
  );
  assert.equal(code, 0, out);
  assert.equal(info.fingerprint256, out.trim().split("=")[1]);
  assert.equal(info.commonName, "node-a");
  assert.equal(info.issuer, "CN=test mesh CA");
  assert.equal(info.isCa, false);
  assert.equal(info.serial, new x509.X509Certificate(leaf.certPem).serialNumber);
});

Deno.test("parsePemCertificates() splits a bundle and skips keys", async () => {
  const leaf = await issue();
  const bundle = `${leaf.certPem}\n${leaf.keyPem}\n${ca.certPem}\n`;
  const pems = parsePemCertificates(bundle);
  assert.equal(pems.length, 2);
  assert.equal((await describeCertificate(pems[0])).commonName, "node-a");
  assert.equal((await describeCertificate(pems[1])).commonName, "test mesh CA");
  assert.deepEqual(parsePemCertificates(leaf.keyPem), []);
  assert.throws(() => parsePemCertificates("hello"), SwarmError);
  await assert.rejects(describeCertificate(leaf.keyPem), /No PEM certificate/);
});

Deno.test("writeCertificateAndKey() writes 0600/0644, never clobbers without overwrite, leaves no temporary file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "swarm_pki_test_" });
  const names = async () => {
    const found = [];
    for await (const entry of Deno.readDir(dir)) found.push(entry.name);
    return found.sort();
  };
  try {
    const paths = { certPath: `${dir}/node.crt`, keyPath: `${dir}/node.key` };
    await writeCertificateAndKey(paths, ca, false);
    assert.equal((await Deno.stat(paths.keyPath)).mode! & 0o777, KEY_FILE_MODE);
    assert.equal((await Deno.stat(paths.certPath)).mode! & 0o777, CERT_FILE_MODE);
    assert.equal(await Deno.readTextFile(paths.certPath), ca.certPem);
    assert.equal(await Deno.readTextFile(paths.keyPath), ca.keyPem);
    await assert.rejects(writeCertificateAndKey(paths, rogueCa, false), Deno.errors.AlreadyExists);
    assert.equal(await Deno.readTextFile(paths.keyPath), ca.keyPem);
    assert.deepEqual(await names(), ["node.crt", "node.key"]);

    // Overwriting replaces a symbolic link itself, never the file it points to.
    await Deno.writeTextFile(`${dir}/target`, "target");
    await Deno.remove(paths.keyPath);
    await Deno.symlink(`${dir}/target`, paths.keyPath);
    await writeCertificateAndKey(paths, rogueCa, true);
    assert.equal(await Deno.readTextFile(`${dir}/target`), "target");
    assert.ok((await Deno.lstat(paths.keyPath)).isFile);
    assert.equal(await Deno.readTextFile(paths.keyPath), rogueCa.keyPem);
    assert.equal((await Deno.stat(paths.keyPath)).mode! & 0o777, KEY_FILE_MODE);
    assert.equal(await Deno.readTextFile(paths.certPath), rogueCa.certPem);
    assert.deepEqual(await names(), ["node.crt", "node.key", "target"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Fetches `url` with a client that trusts `caPem` (and presents `clientCert`, if given). */
async function fetchWith(
  url: string,
  caPem: string,
  clientCert?: CertificateAndKey,
): Promise<string> {
  const client = Deno.createHttpClient({
    caCerts: [caPem],
    ...(clientCert ? { cert: clientCert.certPem, key: clientCert.keyPem } : {}),
  });
  try {
    const res = await fetchWithin(url, { client });
    return await res.text();
  } finally {
    client.close();
  }
}

/** Serves `text` over HTTPS with `pair` on 127.0.0.1 for the time of `fn`. */
async function withTlsServer(
  pair: { certPem: string; keyPem: string },
  text: string,
  fn: (port: number) => Promise<void>,
): Promise<void> {
  const ac = new AbortController();
  const httpServer = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: pair.certPem,
    key: pair.keyPem,
    signal: ac.signal,
    onListen() {},
  }, () => new Response(text));
  try {
    await fn(httpServer.addr.port);
  } finally {
    ac.abort();
    await httpServer.finished;
  }
}

Deno.test("an issued server certificate serves HTTPS through Deno.serve", async () => {
  const server = await issue({ usage: "server", dns: ["localhost"], ips: ["127.0.0.1"] });
  await withTlsServer(server, "hello over tls", async (port) => {
    assert.equal(await fetchWith(`https://127.0.0.1:${port}/`, ca.certPem), "hello over tls");
    assert.equal(await fetchWith(`https://localhost:${port}/`, ca.certPem), "hello over tls");
    // Trusting another CA (same name, other key) must fail the handshake.
    await assert.rejects(
      fetchWith(`https://127.0.0.1:${port}/`, rogueCa.certPem),
      fetchFailed(/invalid peer certificate: BadSignature/),
    );
  });
});

Deno.test("a server certificate whose names do not cover the host is refused", async () => {
  const server = await issue({ usage: "server", dns: ["elsewhere.lan"] });
  await withTlsServer(server, "should not be read", async (port) => {
    await assert.rejects(
      fetchWith(`https://127.0.0.1:${port}/`, ca.certPem),
      fetchFailed(/certificate not valid for name "127\.0\.0\.1"/),
    );
  });
});

Deno.test("node:https mTLS accepts a client certificate of the CA and refuses a rogue one", async () => {
  const serverCert = await issue({ usage: "server", ips: ["127.0.0.1"] });
  const clientCert = await issue({ commonName: "alice", usage: "client" });
  const rogueClient = await issueCertificate({
    caCertPem: rogueCa.certPem,
    caKeyPem: rogueCa.keyPem,
    commonName: "alice",
    usage: "client",
  });
  const serverOnlyCert = await issue({ commonName: "alice", usage: "server" });

  const server = https.createServer({
    key: serverCert.keyPem,
    cert: serverCert.certPem,
    ca: [ca.certPem],
    requestCert: true,
    rejectUnauthorized: true,
  }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    res.end(JSON.stringify({ cn: peer.subject?.CN, fingerprint256: peer.fingerprint256 }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const seen = JSON.parse(await fetchWith(url, ca.certPem, clientCert));
    assert.equal(seen.cn, "alice");
    assert.equal(
      seen.fingerprint256,
      (await describeCertificate(clientCert.certPem)).fingerprint256,
    );

    // A rogue CA's certificate, none, one without the clientAuth usage: each refused.
    await assert.rejects(
      fetchWith(url, ca.certPem, rogueClient),
      fetchFailed(TLS_REFUSED),
    );
    await assert.rejects(fetchWith(url, ca.certPem), fetchFailed(TLS_REFUSED));
    await assert.rejects(
      fetchWith(url, ca.certPem, serverOnlyCert),
      fetchFailed(TLS_REFUSED),
    );
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
