import assert from "node:assert/strict";
import { DEFAULT_MAX_LINE_BYTES, readLines } from "../../lib/client/_ndjson.ts";
import { SwarmError } from "../../lib/protocol/errors.ts";

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(chunks.join(""));
  // Split at the chunk boundaries given, in bytes, so multi-byte characters can be cut.
  let offset = 0;
  const parts = chunks.map((c) => {
    const length = new TextEncoder().encode(c).length;
    const part = bytes.slice(offset, offset + length);
    offset += length;
    return part;
  });
  return ReadableStream.from(parts);
}

function byteStream(bytes: Uint8Array, cuts: number[]): ReadableStream<Uint8Array> {
  const points = [0, ...cuts, bytes.length];
  return ReadableStream.from(points.slice(1).map((end, i) => bytes.slice(points[i], end)));
}

async function lines(stream: ReadableStream<Uint8Array>): Promise<string[]> {
  const seen: string[] = [];
  for await (const line of readLines(stream, "test")) seen.push(line);
  return seen;
}

Deno.test("readLines() splits lines across chunks, drops blanks and CRs", async () => {
  const cases: Array<[string[], string[]]> = [
    [['{"a":1}\n{"b":2}\n'], ['{"a":1}', '{"b":2}']],
    [['{"a"', ':1}\n{"b', '":2}'], ['{"a":1}', '{"b":2}']],
    [["x\r\n\r\n\n  \ny\r\n"], ["x", "y"]],
    [[""], []],
  ];
  for (const [chunks, want] of cases) {
    assert.deepEqual(await lines(streamOf(chunks)), want, JSON.stringify(chunks));
  }
});

Deno.test("readLines() keeps multi-byte characters cut between chunks", async () => {
  const bytes = new TextEncoder().encode('{"r":"等于几"}\n');
  assert.deepEqual(await lines(byteStream(bytes, [8, 9, 10])), ['{"r":"等于几"}']);
});

/** Reads every line of `stream` with `maxLineBytes`, or returns the error it threw. */
async function linesOrError(
  stream: ReadableStream<Uint8Array>,
  maxLineBytes: number,
): Promise<string[] | SwarmError> {
  const seen: string[] = [];
  try {
    for await (const line of readLines(stream, "http://peer:1", { maxLineBytes })) seen.push(line);
  } catch (err) {
    if (err instanceof SwarmError) return err;
    throw err;
  }
  return seen;
}

/** A stream of `count` chunks of `size` bytes of `byte`, counting what was pulled. */
function endless(byte: number, size: number, count: number) {
  const pulled = { chunks: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled.chunks === count) return controller.close();
      pulled.chunks++;
      controller.enqueue(new Uint8Array(size).fill(byte));
    },
    cancel() {
      pulled.cancelled = true;
    },
  }, { highWaterMark: 0 });
  return { stream, pulled };
}

Deno.test("readLines() accepts a line of exactly maxLineBytes, with \\n or \\r\\n", async () => {
  const line = "x".repeat(1_000);
  for (const end of ["\n", "\r\n", ""]) {
    for (const cuts of [[], [999], [1_000], [1_001]]) {
      const bytes = new TextEncoder().encode(`${line}${end}{"b":2}\n`);
      const got = await linesOrError(
        byteStream(bytes, cuts.filter((c) => c < bytes.length)),
        1_000,
      );
      if (end === "") {
        assert.ok(got instanceof SwarmError, `no newline, cuts ${cuts}`);
      } else {
        assert.deepEqual(got, [line, '{"b":2}'], `end ${JSON.stringify(end)}, cuts ${cuts}`);
      }
    }
  }
});

Deno.test("readLines() counts bytes, not characters", async () => {
  // "等" is 3 bytes in UTF-8: 4 of them are 12 bytes.
  const bytes = new TextEncoder().encode("等等等等\n");
  assert.deepEqual(await linesOrError(byteStream(bytes, [5]), 12), ["等等等等"]);
  const refused = await linesOrError(byteStream(bytes, [5]), 11);
  assert.ok(refused instanceof SwarmError);
});

Deno.test("readLines() aborts on a line one byte over the limit, naming the limit", async () => {
  const bytes = new TextEncoder().encode(`{"a":1}\n${"y".repeat(1_001)}\n{"b":2}\n`);
  for (const cuts of [[], [8], [500, 1_000], [1_008, 1_009]]) {
    const seen: string[] = [];
    const err = await (async () => {
      try {
        for await (
          const line of readLines(byteStream(bytes, cuts), "http://peer:1", {
            maxLineBytes: 1_000,
          })
        ) seen.push(line);
      } catch (err) {
        return err;
      }
    })();
    assert.deepEqual(seen, ['{"a":1}'], `lines before the long one, cuts ${cuts}`);
    assert.ok(err instanceof SwarmError, `cuts ${cuts}: ${err}`);
    assert.equal(err.code, "bad_peer_response");
    assert.equal(err.status, 502);
    assert.equal(err.message, "Stream line from http://peer:1 is longer than 1000 bytes");
    assert.equal(err.details.max_bytes, 1_000);
  }
});

Deno.test("readLines() stops reading an endless line soon after the limit, and cancels", async () => {
  // 1 GiB without a newline, in 64 KiB chunks: refused after 2 chunks with a 100 KiB limit.
  const { stream, pulled } = endless(0x61, 64 * 1024, 16 * 1024);
  const got = await linesOrError(stream, 100 * 1024);
  assert.ok(got instanceof SwarmError);
  assert.equal(pulled.chunks, 2);
  assert.equal(pulled.cancelled, true);
});

Deno.test("readLines() refuses a single chunk larger than the limit without a newline", async () => {
  const got = await linesOrError(ReadableStream.from([new Uint8Array(5_000).fill(0x61)]), 4_096);
  assert.ok(got instanceof SwarmError);
});

Deno.test("readLines() reads many normal lines whose total is far over the limit", async () => {
  const count = 20_000;
  const text = Array.from({ length: count }, (_, i) => JSON.stringify({ i })).join("\n") + "\n";
  const bytes = new TextEncoder().encode(text);
  const cuts = Array.from({ length: Math.floor(bytes.length / 997) }, (_, i) => (i + 1) * 997);
  const got = await linesOrError(byteStream(bytes, cuts), 64);
  assert.ok(Array.isArray(got));
  assert.equal(got.length, count);
  assert.equal(got[count - 1], JSON.stringify({ i: count - 1 }));
});

Deno.test("readLines() defaults to a 16 MiB line limit", async () => {
  assert.equal(DEFAULT_MAX_LINE_BYTES, 16 * 1024 * 1024);
  const ok = new TextEncoder().encode("z".repeat(DEFAULT_MAX_LINE_BYTES) + "\n");
  assert.equal((await lines(byteStream(ok, [65_536])))[0].length, DEFAULT_MAX_LINE_BYTES);
  const over = new TextEncoder().encode("z".repeat(DEFAULT_MAX_LINE_BYTES + 1) + "\n");
  await assert.rejects(() => lines(byteStream(over, [])), SwarmError);
});

for (const maxLineBytes of [0, -1, 1.5, NaN]) {
  Deno.test(`readLines() refuses maxLineBytes ${maxLineBytes} with a RangeError`, async () => {
    await assert.rejects(() => linesOrError(streamOf(["a\n"]), maxLineBytes), RangeError);
  });
}
