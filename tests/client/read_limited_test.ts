import assert from "node:assert/strict";
import { readLimitedText } from "../../lib/client/read_limited.ts";
import { SwarmError } from "../../lib/protocol/errors.ts";

function chunked(parts: string[]): Response {
  const encoder = new TextEncoder();
  let i = 0;
  return new Response(
    new ReadableStream<Uint8Array>({
      pull(controller) {
        if (i < parts.length) controller.enqueue(encoder.encode(parts[i++]));
        else controller.close();
      },
    }),
  );
}

Deno.test("readLimitedText() reads bodies up to maxBytes and refuses longer ones", async () => {
  const cases: Array<[string, () => Response, number, string | "too_large"]> = [
    ["empty", () => new Response(null), 4, ""],
    ["exactly the limit", () => chunked(["ab", "cd"]), 4, "abcd"],
    ["one byte over, chunked", () => chunked(["ab", "cde"]), 4, "too_large"],
    ["Content-Length over", () => new Response("abcdef"), 4, "too_large"],
    ["multi-byte characters", () => chunked(["h\u00e9", "llo"]), 6, "h\u00e9llo"],
  ];
  for (const [label, make, maxBytes, want] of cases) {
    const read = readLimitedText(make(), "http://h:1", { maxBytes, what: "Thing" });
    if (want !== "too_large") {
      assert.equal(await read, want, label);
      continue;
    }
    await assert.rejects(read, (err) => {
      assert.ok(err instanceof SwarmError, label);
      assert.equal(err.code, "bad_peer_response", label);
      assert.equal(
        err.message,
        `Thing from http://h:1 is larger than the limit of ${maxBytes} bytes`,
      );
      assert.deepEqual(err.details, { status: 200, reason: "too_large", max_bytes: maxBytes });
      return true;
    });
  }
});

Deno.test("readLimitedText() truncates instead when asked, and cancels the rest", async () => {
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(new TextEncoder().encode("0123456789"));
    },
    cancel() {
      cancelled = true;
    },
  });
  const text = await readLimitedText(new Response(body), "http://h:1", {
    maxBytes: 25,
    overflow: "truncate",
  });
  assert.equal(text, "0123456789012345678901234");
  assert.ok(cancelled);
});

Deno.test("readLimitedText() refuses a limit that is not a positive integer", async () => {
  for (const maxBytes of [0, -5, 2.5, Number.NaN]) {
    await assert.rejects(readLimitedText(new Response("x"), "s", { maxBytes }), RangeError);
  }
});
