/**
 * Reads and validates a NodeTask body: content type, size, JSON syntax, fields.
 *
 * @module
 */
import type { Context } from "hono";
import { type NodeTask, parseNodeTask, SwarmError } from "../protocol/mod.ts";
import { type ReadBodyOptions, readBodyText } from "./read_body.ts";

/**
 * Reads (at most `maxBodyBytes`, within `options.timeoutMs`) and parses the request body
 * of `POST /task`.
 *
 * @throws {SwarmError} `unsupported_media_type` (415), `payload_too_large` (413),
 * `invalid_json` (400) or `invalid_task` (422).
 */
export async function readTask(
  c: Context,
  maxBodyBytes: number,
  options: ReadBodyOptions = {},
): Promise<NodeTask> {
  const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/json" && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) {
    throw new SwarmError(
      "unsupported_media_type",
      `Expected Content-Type application/json: got '${type || "none"}'`,
    );
  }
  // A body the client cuts short fails here; `onError` answers it with 400.
  const text = await readBodyText(c.req.raw, maxBodyBytes, options);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new SwarmError("invalid_json", `Malformed JSON body: ${(err as Error).message}`);
  }
  return parseNodeTask(body);
}
