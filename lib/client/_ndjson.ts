/**
 * Line splitting for `application/x-ndjson` bodies, as the bytes arrive.
 *
 * @module
 */
import { SwarmError } from "../protocol/errors.ts";

/** Longest line accepted from a peer, in UTF-16 code units (16 MiB). */
export const MAX_LINE_LENGTH = 16 * 1024 * 1024;

/**
 * Yields each non-blank line of `body` (without its `\n` or `\r\n`) as soon as it is
 * complete; a last line without a newline is yielded at the end. Breaking out of the
 * loop cancels the body.
 *
 * @throws {SwarmError} `bad_peer_response` when a line exceeds {@link MAX_LINE_LENGTH}.
 */
export async function* readLines(
  body: ReadableStream<Uint8Array>,
  source: string,
): AsyncGenerator<string> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let newline = buffer.indexOf("\n");
      while (newline !== -1) {
        const line = buffer.slice(0, newline).replace(/\r$/, "");
        buffer = buffer.slice(newline + 1);
        if (line.trim() !== "") yield line;
        newline = buffer.indexOf("\n");
      }
      if (buffer.length > MAX_LINE_LENGTH) {
        throw new SwarmError(
          "bad_peer_response",
          `Stream line from ${source} is too long: more than ${MAX_LINE_LENGTH} characters`,
        );
      }
    }
    const last = buffer.replace(/\r$/, "");
    if (last.trim() !== "") yield last;
  } finally {
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
