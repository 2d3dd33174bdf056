import assert from "node:assert/strict";
import { readBodyText } from "../../lib/http/read_body.ts";
import { SwarmError } from "../../lib/protocol/errors.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

const LIMIT = 65_536;

/** A real server whose handler reads the body with `readBodyText`, answering its length or error code. */
async function withServer(fn: (url: string) => Promise<void>): Promise<void> {
  const ready = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: (addr) => ready.resolve(addr as Deno.NetAddr) },
    async (request) => {
      try {
        return new Response(String((await readBodyText(request, LIMIT)).length));
      } catch (err) {
        return new Response(err instanceof SwarmError ? err.code : String(err), { status: 400 });
      }
    },
  );
  const { port } = await ready.promise;
  try {
    await fn(`http://127.0.0.1:${port}/`);
  } finally {
    await server.shutdown();
  }
}

/** A chunked body (no Content-Length) of `size` bytes in chunks of `chunk` bytes. */
function chunked(size: number, chunk: number): ReadableStream<Uint8Array> {
  const data = new TextEncoder().encode("x".repeat(size));
  return new ReadableStream({
    start(controller) {
      for (let i = 0; i < data.length; i += chunk) controller.enqueue(data.slice(i, i + chunk));
      controller.close();
    },
  });
}

async function post(url: string, body: BodyInit): Promise<string> {
  const res = await fetch(url, { method: "POST", body, signal: AbortSignal.timeout(10_000) });
  return await res.text();
}

Deno.test("readBodyText() reads chunked bodies up to the limit and refuses one byte more", async () => {
  await withServer(async (url) => {
    for (const size of [0, 1, 536, LIMIT - 1, LIMIT]) {
      for (const chunk of [16, 1000, 70_000]) {
        assert.equal(await post(url, chunked(size, chunk)), String(size), `${size}/${chunk}`);
      }
    }
    for (const size of [LIMIT + 1, 3 * LIMIT]) {
      assert.equal(await post(url, chunked(size, 1000)), "payload_too_large");
    }
  });
});

Deno.test("readBodyText() reads a body with Content-Length up to the limit", async () => {
  await withServer(async (url) => {
    assert.equal(await post(url, "y".repeat(LIMIT)), String(LIMIT));
    assert.equal(await post(url, "y".repeat(LIMIT + 1)), "payload_too_large");
    assert.equal(await post(url, "ü".repeat(10)), "10");
  });
});

Deno.test("readBodyText() refuses an oversize declared length before reading", async () => {
  const request = new Request("http://x/", {
    method: "POST",
    headers: { "content-length": String(LIMIT + 1) },
    body: new ReadableStream({ pull() {/* never sends: reading would hang */} }),
  });
  await assert.rejects(readBodyText(request, LIMIT), (err: SwarmError) => {
    assert.equal(err.code, "payload_too_large");
    assert.equal(err.details.max_bytes, LIMIT);
    return true;
  });
});

Deno.test("readBodyText() reads in-process requests (no byte stream) with the same limit", async () => {
  assert.equal(
    await readBodyText(new Request("http://x/", { method: "POST", body: "abc" }), 3),
    "abc",
  );
  assert.equal(await readBodyText(new Request("http://x/"), 3), "");
  await assert.rejects(
    readBodyText(new Request("http://x/", { method: "POST", body: "abcd" }), 3),
    /exceeds 3 bytes/,
  );
});

Deno.test("readBodyText() refuses a body that does not arrive within timeoutMs (slowloris)", async () => {
  const cases: Array<[why: string, body: () => ReadableStream<Uint8Array>]> = [
    ["a stream that never sends", () => new ReadableStream<Uint8Array>({ pull() {} })],
    ["a byte stream that never sends", () => new ReadableStream({ type: "bytes", pull() {} })],
    [
      "a stream sending a byte every 30 ms",
      () => {
        let n = 0;
        return new ReadableStream<Uint8Array>({
          async pull(controller) {
            await new Promise((r) => setTimeout(r, 30));
            if (n++ > 100) controller.close();
            else controller.enqueue(new Uint8Array([120]));
          },
        });
      },
    ],
  ];
  for (const [why, body] of cases) {
    const request = new Request(
      "http://x/",
      { method: "POST", body: body(), duplex: "half" } as
        & RequestInit
        & { duplex: string },
    );
    // The dribbling stream would take over 3 s to end: refused, it was cut at 200 ms.
    await assert.rejects(
      withTimeout(readBodyText(request, LIMIT, { timeoutMs: 200 }), {
        ms: 10_000,
        waitingFor: `readBodyText() to refuse ${why}`,
      }),
      (err: SwarmError) =>
        err.code === "invalid_request" && err.details.reason === "body_timeout" &&
        err.details.timeout_ms === 200,
      why,
    );
  }
});

Deno.test("readBodyText() reads a body that arrives in time, with the deadline on", async () => {
  const request = new Request("http://x/", { method: "POST", body: "hello" });
  assert.equal(await readBodyText(request, LIMIT, { timeoutMs: 1_000 }), "hello");
});

Deno.test("readBodyText() over a real socket answers a dribbling client within the deadline", async () => {
  const ready = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: (addr) => ready.resolve(addr as Deno.NetAddr) },
    async (request) => {
      try {
        return new Response(await readBodyText(request, LIMIT, { timeoutMs: 300 }));
      } catch (err) {
        const e = err as SwarmError;
        return new Response(`${e.code}:${e.details.reason}`, { status: 400 });
      }
    },
  );
  const { port } = await ready.promise;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const encoder = new TextEncoder();
    await conn.write(encoder.encode("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab"));
    const buffer = new Uint8Array(1024);
    // 98 bytes of the body never come: only the deadline can answer.
    const n = await withTimeout(conn.read(buffer), {
      ms: 10_000,
      waitingFor: "the server's answer to a body cut short",
    });
    const answer = new TextDecoder().decode(buffer.subarray(0, n ?? 0));
    assert.match(answer, /^HTTP\/1\.1 400/);
    assert.match(answer, /invalid_request:body_timeout$/);
  } finally {
    conn.close();
    await server.shutdown();
  }
});
