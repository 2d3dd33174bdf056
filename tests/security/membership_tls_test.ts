import assert from "node:assert/strict";
import { createMeshCa, issueCertificate } from "../../lib/security/certificates.ts";
import { leafSignedBy, provePeerTls } from "../../lib/security/membership_tls.ts";
import { decodePem } from "../../lib/security/_pem.ts";

// The rogue CA has the mesh CA's very name: only its key tells them apart.
const meshCa = await createMeshCa({ commonName: "swarm mesh CA" });
const rogueCa = await createMeshCa({ commonName: "swarm mesh CA" });
const issue = (ca: typeof meshCa, ips = ["127.0.0.1"]) =>
  issueCertificate({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, commonName: "node-b", ips });

function der(pem: string): Uint8Array {
  return new Uint8Array(decodePem(pem)[0].rawData);
}

/** An HTTPS server on loopback presenting `cert`. */
function serveTls(cert: { certPem: string; keyPem: string }) {
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: cert.certPem,
    key: cert.keyPem,
    onListen() {},
  }, () => new Response("ok"));
  return { address: `127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

Deno.test("leafSignedBy() accepts only a certificate the mesh CA signed, while valid", async () => {
  const good = await issue(meshCa);
  const rogue = await issue(rogueCa);
  assert.equal(await leafSignedBy(der(good.certPem), meshCa.certPem, Date.now()), true);
  assert.equal(await leafSignedBy(der(rogue.certPem), meshCa.certPem, Date.now()), false);
  assert.equal(
    await leafSignedBy(der(good.certPem), meshCa.certPem, Date.now() + 900 * 86_400_000),
    false,
    "expired",
  );
  assert.equal(await leafSignedBy(new Uint8Array([1, 2, 3]), meshCa.certPem, Date.now()), false);
  // A bundle: the mesh CA may come second.
  const bundle = `${rogueCa.certPem}\n${meshCa.certPem}`;
  assert.equal(await leafSignedBy(der(good.certPem), bundle, Date.now()), true);
});

Deno.test("provePeerTls() proves a peer serving a mesh certificate for its address", async () => {
  const server = serveTls(await issue(meshCa));
  try {
    assert.equal(
      await provePeerTls(server.address, { ca: meshCa.certPem, timeoutMs: 5_000 }),
      true,
    );
  } finally {
    await server.close();
  }
});

Deno.test("provePeerTls() refuses a rogue CA's certificate, a wrong address and plain HTTP", async () => {
  const rogue = serveTls(await issue(rogueCa));
  const elsewhere = serveTls(await issue(meshCa, ["10.9.9.9"]));
  const plain = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("ok"),
  );
  try {
    const options = { ca: meshCa.certPem, timeoutMs: 5_000 };
    assert.equal(await provePeerTls(rogue.address, options), false, "rogue CA");
    assert.equal(await provePeerTls(elsewhere.address, options), false, "cert for another IP");
    assert.equal(
      await provePeerTls(`127.0.0.1:${plain.addr.port}`, options),
      false,
      "plain HTTP",
    );
    assert.equal(await provePeerTls("not an address", options), false, "garbage");
  } finally {
    await rogue.close();
    await elsewhere.close();
    await plain.shutdown();
  }
});
