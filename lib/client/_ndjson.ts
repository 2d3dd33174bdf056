/**
 * Line splitting for `application/x-ndjson` bodies, as the bytes arrive.
 *
 * @module
 */
import { SwarmError } from "../protocol/mod.ts";

/**
 * Longest line accepted from a peer by default, in bytes: 16 MiB, room for a `done`
 * event carrying a result of the largest kept output (1 MiB) after JSON escaping.
 */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

/** Options of {@link readLines}. */
export interface ReadLinesOptions {
  /**
   * Longest line accepted, in bytes, not counting its `\n` or `\r\n`. Longer lines
   * abort the stream; at most this many bytes of a line are ever buffered. Must hold
   * the largest event expected, e.g. a `done` event carrying a whole result.
   *
   * @default {1048576}
   */
  maxLineBytes?: number;
}

const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * Yields each non-blank line of `body` (without its `\n` or `\r\n`) as soon as it is
 * complete; a last line without a newline is yielded at the end. Breaking out of the
 * loop cancels the body. Lines are split on bytes, which is safe for UTF-8 (a `\n` byte
 * is never part of a multi-byte character), and each is decoded on its own.
 *
 * @param body The NDJSON body.
 * @param source Where it comes from (a peer URL), for error messages.
 * @param options The line limit.
 * @throws {SwarmError} `bad_peer_response` when a line is longer than `maxLineBytes`.
 * @throws {RangeError} When `maxLineBytes` is not a positive integer.
 */
export async function* readLines(
  body: ReadableStream<Uint8Array>,
  source: string,
  options: ReadLinesOptions = {},
): AsyncGenerator<string> {
  const { maxLineBytes = DEFAULT_MAX_LINE_BYTES } = options;
  if (!Number.isSafeInteger(maxLineBytes) || maxLineBytes < 1) {
    throw new RangeError(
      `Cannot read lines as 'maxLineBytes' must be a positive integer: it is ${maxLineBytes}`,
    );
  }
  const reader = body.getReader();
  const line = new LineBuffer(maxLineBytes, source);
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      let start = 0;
      let newline = value.indexOf(NEWLINE, start);
      while (newline !== -1) {
        line.append(value.subarray(start, newline));
        const text = line.take();
        if (text.trim() !== "") yield text;
        start = newline + 1;
        newline = value.indexOf(NEWLINE, start);
      }
      line.append(value.subarray(start));
    }
    const last = line.take();
    if (last.trim() !== "") yield last;
  } finally {
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/** The bytes of the line being read, refusing to grow past the limit. */
class LineBuffer {
  readonly #maxBytes: number;
  readonly #source: string;
  readonly #decoder = new TextDecoder();
  #parts: Uint8Array[] = [];
  #bytes = 0;

  constructor(maxBytes: number, source: string) {
    this.#maxBytes = maxBytes;
    this.#source = source;
  }

  /**
   * Adds bytes to the line. One byte over the limit is allowed to wait for the next
   * chunk when it is a `\r`: it may be the first half of a `\r\n`.
   */
  append(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const total = this.#bytes + bytes.length;
    const endsWithCr = bytes[bytes.length - 1] === CR;
    if (total - (endsWithCr ? 1 : 0) > this.#maxBytes) {
      throw new SwarmError(
        "bad_peer_response",
        `Stream line from ${this.#source} is longer than ${this.#maxBytes} bytes`,
        { max_bytes: this.#maxBytes },
      );
    }
    // Copied, so that a short part does not keep a whole large chunk alive.
    this.#parts.push(bytes.slice());
    this.#bytes = total;
  }

  /** The line so far, decoded without a final `\r`; the buffer starts empty again. */
  take(): string {
    let bytes: Uint8Array;
    if (this.#parts.length === 1) bytes = this.#parts[0];
    else {
      bytes = new Uint8Array(this.#bytes);
      let offset = 0;
      for (const part of this.#parts) {
        bytes.set(part, offset);
        offset += part.length;
      }
    }
    this.#parts = [];
    this.#bytes = 0;
    if (bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    return this.#decoder.decode(bytes);
  }
}
