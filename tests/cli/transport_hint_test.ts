import assert from "node:assert/strict";
import { transportHint } from "../../lib/cli/_transport_hint.ts";
import { runCli } from "../../lib/cli/mod.ts";
import { createMeshCa, issueCertificate } from "../../lib/security/certificates.ts";
import { capture } from "./_capture.ts";

const HINTS: Array<[message: string, expected: string]> = [
  [
    "Cannot reach http://127.0.0.1:7700: fetch failed: client error (SendRequest): invalid HTTP version parsed",
    "Cannot reach http://127.0.0.1:7700: fetch failed: client error (SendRequest): invalid HTTP version parsed; the node looks like it speaks TLS: try https://127.0.0.1:7700",
  ],
  [
    "Cannot reach https://[::1]:7700: fetch failed: client error (Connect): received corrupt message of type InvalidContentType",
    "Cannot reach https://[::1]:7700: fetch failed: client error (Connect): received corrupt message of type InvalidContentType; the node looks like it speaks plain HTTP, not TLS: try http://[::1]:7700",
  ],
  // Nothing to hint: a refused connection, or the right scheme failing otherwise.
  [
    "Cannot reach http://127.0.0.1:9: fetch failed: tcp connect error: Connection refused",
    "Cannot reach http://127.0.0.1:9: fetch failed: tcp connect error: Connection refused",
  ],
  [
    "Cannot reach https://127.0.0.1:7700: fetch failed: invalid peer certificate: UnknownIssuer",
    "Cannot reach https://127.0.0.1:7700: fetch failed: invalid peer certificate: UnknownIssuer",
  ],
  ["Timed out after 10 ms waiting for http://x:1", "Timed out after 10 ms waiting for http://x:1"],
];

for (const [message, expected] of HINTS) {
  Deno.test(`transportHint(): ${message.slice(0, 60)}…`, () => {
    assert.equal(transportHint(message), expected);
  });
}

const ca = await createMeshCa({ commonName: "transport hint test CA" });
const cert = await issueCertificate({
  caCertPem: ca.certPem,
  caKeyPem: ca.keyPem,
  commonName: "node-a",
  ips: ["127.0.0.1"],
  usage: "server",
});

// Issue 14: http:// against a TLS node said "invalid HTTP version parsed", no hint.
Deno.test("swarm status http:// against a TLS node suggests https://, exit 1", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert: cert.certPem, key: cert.keyPem, onListen() {} },
    () => Response.json({ status: "idle", current_task_id: null }),
  );
  try {
    const url = `http://127.0.0.1:${server.addr.port}`;
    const out = await capture(() => runCli(["status", "--url", url], {}));
    assert.equal(out.code, 1);
    assert.equal(out.stderr.split("\n").length, 1, "one line");
    assert.match(out.stderr, /^swarm status: peer_unreachable: Cannot reach http:\/\//);
    assert.ok(
      out.stderr.endsWith(
        `; the node looks like it speaks TLS: try https://127.0.0.1:${server.addr.port}`,
      ),
      out.stderr,
    );
  } finally {
    await server.shutdown();
  }
});

Deno.test("swarm status https:// against a plain node suggests http://, exit 1", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => Response.json({ status: "idle", current_task_id: null }),
  );
  try {
    const url = `https://127.0.0.1:${server.addr.port}`;
    const out = await capture(() => runCli(["status", "--url", url], {}));
    assert.equal(out.code, 1);
    assert.ok(
      out.stderr.endsWith(
        `; the node looks like it speaks plain HTTP, not TLS: try http://127.0.0.1:${server.addr.port}`,
      ),
      out.stderr,
    );
  } finally {
    await server.shutdown();
  }
});
