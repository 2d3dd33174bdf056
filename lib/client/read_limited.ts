/**
 * Reading a peer's answer body with a size limit, so that no peer can make this node
 * buffer more than it expects.
 *
 * @module
 */
import { SwarmError } from "../protocol/mod.ts";

/** Options of {@link readLimitedText}. */
export interface ReadLimitedOptions {
  /** Most bytes read; the body is cancelled beyond. Must be a positive integer. */
  maxBytes: number;
  /**
   * What a longer body does: `"throw"` refuses it with `bad_peer_response` (details:
   * `status`, `reason: "too_large"`, `max_bytes`); `"truncate"` returns its first
   * `maxBytes` bytes (for error bodies, of which only the start is ever quoted).
   *
   * @default {"throw"}
   */
  overflow?: "throw" | "truncate";
  /** Names the answer in the error message, e.g. `"Task result"`. @default {"Answer"} */
  what?: string;
}

function tooLarge(response: Response, source: string, maxBytes: number, what: string) {
  return new SwarmError(
    "bad_peer_response",
    `${what} from ${source} is larger than the limit of ${maxBytes} bytes`,
    { status: response.status, reason: "too_large", max_bytes: maxBytes },
  );
}

/**
 * Reads `response`'s body as UTF-8 text, at most `maxBytes` of it. A `Content-Length`
 * over the limit is refused before reading anything; otherwise the body is read chunk
 * by chunk and cancelled as soon as it passes the limit, so at most `maxBytes` (plus
 * one chunk) is ever held. Time is bounded by the signal the request was made with.
 *
 * @param response The answer whose body to read.
 * @param source Where it comes from (a peer URL), for error messages.
 * @param options The limit and what to do beyond it.
 * @returns The body text (possibly cut at `maxBytes` with `overflow: "truncate"`).
 * @throws {SwarmError} `bad_peer_response` with `reason: "too_large"` when the body is
 * longer than `maxBytes` and `overflow` is `"throw"`.
 * @throws {RangeError} When `maxBytes` is not a positive integer.
 * @throws Whatever reading the body throws (a lost connection, the request's abort).
 * @example
 * ```ts
 * import { readLimitedText } from "./read_limited.ts";
 * const text = await readLimitedText(new Response("hello"), "http://h:1", { maxBytes: 16 });
 * console.assert(text === "hello");
 * try {
 *   await readLimitedText(new Response("x".repeat(20)), "http://h:1", { maxBytes: 16 });
 * } catch (err) {
 *   console.assert((err as { code?: string }).code === "bad_peer_response");
 * }
 * ```
 */
export async function readLimitedText(
  response: Response,
  source: string,
  options: ReadLimitedOptions,
): Promise<string> {
  const { maxBytes, overflow = "throw", what = "Answer" } = options;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new RangeError(
      `Cannot read the answer as 'maxBytes' must be a positive integer: current value is ${maxBytes}`,
    );
  }
  const body = response.body;
  if (body === null) return "";
  const declared = Number(response.headers.get("content-length") ?? NaN);
  if (overflow === "throw" && declared > maxBytes) {
    await body.cancel().catch(() => {});
    throw tooLarge(response, source, maxBytes, what);
  }
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      if (total + value.length > maxBytes) {
        if (overflow === "throw") throw tooLarge(response, source, maxBytes, what);
        parts.push(value.subarray(0, maxBytes - total));
        total = maxBytes;
        break;
      }
      parts.push(value);
      total += value.length;
    }
  } finally {
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return new TextDecoder().decode(bytes);
}
