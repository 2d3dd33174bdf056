import assert from "node:assert/strict";
import { fetchFailed, PLAIN_TO_TLS, TLS_REFUSED } from "../_helpers/fetch_failure.ts";
import tls from "node:tls";
import { type Caller, type HttpServer, startHttpServer } from "../../lib/http/server.ts";
import {
  type CertificateAndKey,
  createMeshCa,
  describeCertificate,
  issueCertificate,
} from "../../lib/security/certificates.ts";
import { fetchWithin, withTimeout } from "../_helpers/with_timeout.ts";

/** A mesh CA with two server certificates, a client certificate, and a rogue CA's client. */
async function makePki() {
  const ca = await createMeshCa({ commonName: "server test CA" });
  const rogueCa = await createMeshCa({ commonName: "server test CA" });
  const issue = (commonName: string, usage: "server" | "client", by = ca) =>
    issueCertificate({
      caCertPem: by.certPem,
      caKeyPem: by.keyPem,
      commonName,
      usage,
      ...(usage === "server" ? { ips: ["127.0.0.1"], dns: ["localhost"] } : {}),
    });
  return {
    ca: ca.certPem,
    first: await issue("node-a", "server"),
    second: await issue("node-a-rotated", "server"),
    alice: await issue("alice", "client"),
    rogue: await issue("alice", "client", rogueCa),
  };
}

const pki = await makePki();

async function fingerprintOf(cert: CertificateAndKey): Promise<string> {
  return (await describeCertificate(cert.certPem)).fingerprint256;
}

/** A handler answering with the caller it was given, counting calls. */
function echoCaller(): { handler: (r: Request, c: Caller) => Response; seen: Caller[] } {
  const seen: Caller[] = [];
  return {
    seen,
    handler: (request, caller) => {
      seen.push(caller);
      return Response.json({ caller, path: new URL(request.url).pathname });
    },
  };
}

/** An HTTP client trusting the test CA, presenting `identity` when given, no pooling. */
function client(identity?: CertificateAndKey): Deno.HttpClient {
  return Deno.createHttpClient({
    caCerts: [pki.ca],
    poolMaxIdlePerHost: 0,
    ...(identity ? { cert: identity.certPem, key: identity.keyPem } : {}),
  });
}

/** GETs `url` with a fresh client and closes it; resolves to the JSON answer. */
/** What {@link echoCaller}'s handler answers. */
interface Echo {
  caller: Caller;
  path: string;
}

async function getJson(url: string, identity?: CertificateAndKey): Promise<Echo> {
  const httpClient = client(identity);
  try {
    const response = await fetch(url, { client: httpClient, signal: AbortSignal.timeout(10_000) });
    assert.equal(response.status, 200, url);
    return await response.json();
  } finally {
    httpClient.close();
  }
}

/** The SHA-256 fingerprint of the certificate the server presents to a new handshake. */
function servedFingerprint(port: number, identity?: CertificateAndKey): Promise<string> {
  return withTimeout(
    new Promise<string>((resolve, reject) => {
      const socket = tls.connect({
        host: "127.0.0.1",
        port,
        ca: pki.ca,
        ...(identity ? { cert: identity.certPem, key: identity.keyPem } : {}),
      }, () => {
        resolve(socket.getPeerCertificate().fingerprint256);
        socket.destroy();
      });
      socket.on("error", (err) => {
        socket.destroy();
        reject(err);
      });
    }),
    {
      ms: 10_000,
      waitingFor: `a TLS handshake with 127.0.0.1:${port}`,
    },
  );
}

/** Runs `fn` against a started server, always shutting it down. */
async function withServer(
  options: Omit<Parameters<typeof startHttpServer>[0], "hostname" | "port">,
  fn: (server: HttpServer, base: string) => Promise<void>,
): Promise<void> {
  const server = await startHttpServer({ hostname: "127.0.0.1", port: 0, ...options });
  try {
    await fn(server, `${server.scheme}://127.0.0.1:${server.addr.port}`);
  } finally {
    await server.shutdown();
  }
}

Deno.test("startHttpServer() without TLS serves plain HTTP and hands the handler the remote address", async () => {
  const { handler, seen } = echoCaller();
  await withServer({ handler }, async (server, base) => {
    assert.equal(server.scheme, "http");
    assert.equal(server.mtls, false);
    assert.equal(server.addr.hostname, "127.0.0.1");
    assert.ok(server.addr.port > 0, "port 0 picks a free port");
    const response = await fetchWithin(`${base}/status`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      caller: { remoteAddress: "127.0.0.1" },
      path: "/status",
    });
    assert.deepEqual(seen, [{ remoteAddress: "127.0.0.1" }]);
  });
});

Deno.test("startHttpServer() without TLS refuses to reload TLS material", async () => {
  const { handler } = echoCaller();
  await withServer({ handler }, async (server, base) => {
    await assert.rejects(
      server.reload({ cert: pki.first.certPem, key: pki.first.keyPem }),
      /Cannot load TLS material into a plain HTTP server/,
    );
    const response = await fetchWithin(`${base}/x`);
    assert.equal(response.status, 200, "still serving plain HTTP");
    await response.body?.cancel();
  });
});

Deno.test("startHttpServer() refuses a port that is already bound", async () => {
  const { handler } = echoCaller();
  await withServer({ handler }, async (server) => {
    await assert.rejects(
      startHttpServer({ hostname: "127.0.0.1", port: server.addr.port, handler }),
      Deno.errors.AddrInUse,
    );
  });
});

Deno.test("startHttpServer() with TLS serves HTTPS to clients trusting the CA, and no plain HTTP", async () => {
  const { handler, seen } = echoCaller();
  const tlsMaterial = { cert: pki.first.certPem, key: pki.first.keyPem };
  await withServer({ handler, tls: tlsMaterial }, async (server, base) => {
    assert.equal(server.scheme, "https");
    assert.equal(server.mtls, false);
    assert.deepEqual(await getJson(`${base}/status`), {
      caller: { remoteAddress: "127.0.0.1" },
      path: "/status",
    });
    assert.equal(await servedFingerprint(server.addr.port), await fingerprintOf(pki.first));
    await assert.rejects(
      fetchWithin(`http://127.0.0.1:${server.addr.port}/status`),
      fetchFailed(PLAIN_TO_TLS),
    );
    // A client that does not trust the mesh CA cannot complete the handshake.
    await assert.rejects(
      fetch(`${base}/status`, { signal: AbortSignal.timeout(10_000) }),
      fetchFailed(/invalid peer certificate: UnknownIssuer/),
    );
    assert.equal(seen.length, 1);
  });
});

Deno.test("startHttpServer() with TLS serves a reloaded certificate to new handshakes", async () => {
  const { handler } = echoCaller();
  const tlsMaterial = { cert: pki.first.certPem, key: pki.first.keyPem };
  await withServer({ handler, tls: tlsMaterial }, async (server, base) => {
    const port = server.addr.port;
    assert.equal(await servedFingerprint(port), await fingerprintOf(pki.first));
    await server.reload({ cert: pki.second.certPem, key: pki.second.keyPem });
    assert.deepEqual(server.addr.port, port, "same port after reload");
    for (let i = 0; i < 3; i++) {
      assert.equal(
        await servedFingerprint(port),
        await fingerprintOf(pki.second),
        `handshake ${i}`,
      );
    }
    assert.equal((await getJson(`${base}/after`)).path, "/after");
  });
});

Deno.test("startHttpServer() with TLS rejects a reload whose key does not match, and keeps serving the old certificate", async () => {
  const { handler } = echoCaller();
  const tlsMaterial = { cert: pki.first.certPem, key: pki.first.keyPem };
  await withServer({ handler, tls: tlsMaterial }, async (server, base) => {
    await assert.rejects(
      server.reload({ cert: pki.second.certPem, key: pki.first.keyPem }),
      /KeyMismatch/,
    );
    assert.equal(await servedFingerprint(server.addr.port), await fingerprintOf(pki.first));
    assert.equal((await getJson(`${base}/still`)).path, "/still");
    // And a good reload still works afterwards.
    await server.reload({ cert: pki.second.certPem, key: pki.second.keyPem });
    assert.equal(await servedFingerprint(server.addr.port), await fingerprintOf(pki.second));
  });
});

Deno.test("startHttpServer() with a client CA requires a client certificate of that CA (mTLS)", async () => {
  const { handler, seen } = echoCaller();
  const tlsMaterial = { cert: pki.first.certPem, key: pki.first.keyPem, clientCa: pki.ca };
  await withServer({ handler, tls: tlsMaterial }, async (server, base) => {
    assert.equal(server.scheme, "https");
    assert.equal(server.mtls, true);
    const answer = await getJson(`${base}/status`, pki.alice);
    assert.deepEqual(answer, {
      caller: {
        remoteAddress: "127.0.0.1",
        clientCert: { commonName: "alice", fingerprint256: await fingerprintOf(pki.alice) },
      },
      path: "/status",
    });
    // No client certificate, a rogue CA's, plain HTTP: each refused in the handshake.
    await assert.rejects(getJson(`${base}/status`), fetchFailed(TLS_REFUSED));
    await assert.rejects(
      getJson(`${base}/status`, pki.rogue),
      fetchFailed(TLS_REFUSED),
    );
    await assert.rejects(
      fetchWithin(`http://127.0.0.1:${server.addr.port}/status`),
      fetchFailed(PLAIN_TO_TLS),
    );
    assert.equal(seen.length, 1, "refused callers never reach the handler");
  });
});

Deno.test("startHttpServer() with mTLS serves a reloaded server certificate, keeping the client CA", async () => {
  const { handler } = echoCaller();
  const tlsMaterial = { cert: pki.first.certPem, key: pki.first.keyPem, clientCa: pki.ca };
  await withServer({ handler, tls: tlsMaterial }, async (server, base) => {
    const port = server.addr.port;
    assert.equal(await servedFingerprint(port, pki.alice), await fingerprintOf(pki.first));
    // The reload names no client CA: the one the server started with stays.
    await server.reload({ cert: pki.second.certPem, key: pki.second.keyPem });
    assert.equal(await servedFingerprint(port, pki.alice), await fingerprintOf(pki.second));
    assert.equal(
      (await getJson(`${base}/after`, pki.alice)).caller.clientCert?.commonName,
      "alice",
    );
    // Client certificates are still required.
    await assert.rejects(getJson(`${base}/after`), fetchFailed(TLS_REFUSED));
  });
});

Deno.test({
  name:
    "startHttpServer() with mTLS rejects a reload whose key does not match, and keeps serving the old certificate",
  fn: async () => {
    const { handler } = echoCaller();
    const tlsMaterial = { cert: pki.first.certPem, key: pki.first.keyPem, clientCa: pki.ca };
    await withServer({ handler, tls: tlsMaterial }, async (server, base) => {
      await assert.rejects(
        server.reload({ cert: pki.second.certPem, key: pki.first.keyPem }),
        /KeyMismatch/,
      );
      assert.equal(
        await servedFingerprint(server.addr.port, pki.alice),
        await fingerprintOf(pki.first),
      );
      assert.equal((await getJson(`${base}/still`, pki.alice)).path, "/still");
    });
  },
});

Deno.test("startHttpServer() with mTLS refuses a header block over maxHeaderBytes", async () => {
  const { handler, seen } = echoCaller();
  const tlsMaterial = { cert: pki.first.certPem, key: pki.first.keyPem, clientCa: pki.ca };
  await withServer({ handler, tls: tlsMaterial, maxHeaderBytes: 2048 }, async (_server, base) => {
    const httpClient = client(pki.alice);
    try {
      const small = await fetchWithin(`${base}/x`, {
        client: httpClient,
        headers: { "x-pad": "a" },
      });
      assert.equal(small.status, 200);
      await small.body?.cancel();
      const big = await fetchWithin(`${base}/x`, {
        client: httpClient,
        headers: { "x-pad": "a".repeat(8192) },
      }).then((r) => r.body?.cancel().then(() => r.status), () => "refused");
      assert.ok(big === 431 || big === "refused", `got ${big}`);
      assert.equal(seen.length, 1);
    } finally {
      httpClient.close();
    }
  });
});

Deno.test("HttpServer.shutdown() resolves and the port stops answering", async () => {
  for (
    const tlsMaterial of [
      undefined,
      { cert: pki.first.certPem, key: pki.first.keyPem },
      { cert: pki.first.certPem, key: pki.first.keyPem, clientCa: pki.ca },
    ]
  ) {
    const { handler } = echoCaller();
    const server = await startHttpServer({
      hostname: "127.0.0.1",
      port: 0,
      handler,
      ...(tlsMaterial ? { tls: tlsMaterial } : {}),
    });
    const base = `${server.scheme}://127.0.0.1:${server.addr.port}`;
    assert.equal((await getJson(`${base}/x`, pki.alice)).path, "/x");
    await server.shutdown();
    // Closed: nothing listens any more.
    await assert.rejects(getJson(`${base}/x`, pki.alice), fetchFailed(/Connection refused/));
  }
});

/**
 * Opens an mTLS connection as alice, writes `text`, then one byte every `dripMs` for as
 * long as the connection lives, at most `capMs`; resolves with what came back and
 * whether the server closed the connection (false: the client gave up at `capMs`).
 */
function slowClient(
  port: number,
  text: string,
  dripMs: number,
  capMs = SLOW_CLIENT_CAP_MS,
): Promise<{ answer: string; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    let answer = "";
    let drip: ReturnType<typeof setInterval> | undefined;
    let gaveUp = false;
    const socket = tls.connect({
      host: "127.0.0.1",
      port,
      ca: pki.ca,
      cert: pki.alice.certPem,
      key: pki.alice.keyPem,
    }, () => {
      socket.write(text);
      drip = setInterval(() => socket.write("x"), dripMs);
    });
    const cap = setTimeout(() => {
      gaveUp = true;
      socket.destroy();
    }, capMs);
    socket.on("data", (chunk) => answer += chunk.toString());
    socket.on("close", () => {
      clearInterval(drip);
      clearTimeout(cap);
      resolve({ answer, closedByServer: !gaveUp });
    });
    socket.on("error", (err) => {
      clearInterval(drip);
      if (answer === "" && !gaveUp) {
        clearTimeout(cap);
        reject(err);
      }
    });
  });
}

/**
 * How long {@link slowClient} keeps dribbling before it gives up: 20 times the header
 * timeout of the test, so only a server that never closes reaches it.
 */
const SLOW_CLIENT_CAP_MS = 10_000;

// Issue 12 finding 9: slowloris connections were held for as long as they dribbled.
Deno.test("startHttpServer() with mTLS closes a connection whose headers do not arrive within headerTimeoutMs", async () => {
  const { handler, seen } = echoCaller();
  const tlsMaterial = { cert: pki.first.certPem, key: pki.first.keyPem, clientCa: pki.ca };
  await withServer(
    { handler, tls: tlsMaterial, headerTimeoutMs: 500, requestTimeoutMs: 500 },
    async (server) => {
      const headers = await slowClient(
        server.addr.port,
        "GET /x HTTP/1.1\r\nHost: a\r\nX-a: ",
        100,
      );
      assert.ok(headers.closedByServer, "the server held a connection whose headers dribble");
      assert.match(headers.answer, /^(HTTP\/1\.1 408|$)/);
      const body = await slowClient(
        server.addr.port,
        "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n",
        100,
      );
      assert.ok(body.closedByServer, "the server held a connection whose body dribbles");
      assert.equal(seen.length <= 1, true);
    },
  );
});

Deno.test("startHttpServer() on a loopback bind refuses a Host that is not a loopback name with 421", async () => {
  const { handler, seen } = echoCaller();
  const cases: Array<[host: string, allowed: string[], status: number]> = [
    ["evil.example", [], 421],
    ["localhost", [], 200],
    ["proxy.internal", ["proxy.internal"], 200],
    ["evil.example", ["*"], 200],
  ];
  for (const [host, allowedHosts, status] of cases) {
    await withServer({ handler, allowedHosts }, async (server) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
      await conn.write(
        new TextEncoder().encode(`GET /x HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
      );
      const text = new TextDecoder().decode(
        (await new Response(conn.readable).arrayBuffer()) as ArrayBuffer,
      );
      assert.match(text, new RegExp(`^HTTP/1\\.1 ${status}`), `${host} ${allowedHosts}: ${text}`);
      if (status === 421) {
        const body = JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4));
        assert.equal(body.error, "misdirected");
        assert.equal(body.reason, "host_not_allowed");
      }
    });
  }
  assert.equal(seen.length, 3, "the refused request never reached the handler");
});
