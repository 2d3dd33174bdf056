import assert from "node:assert/strict";
import { readLines } from "../../lib/client/_ndjson.ts";

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
