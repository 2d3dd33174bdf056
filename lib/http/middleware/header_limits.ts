/**
 * Limits on the request line and headers, answered as JSON errors.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { SwarmError } from "../../protocol/mod.ts";

/** Longest request target (path and query) accepted by default, in bytes: 8 KiB. */
export const DEFAULT_MAX_TARGET_BYTES = 8 * 1024;

/** Options of {@link headerLimits}. Each limit is a positive integer, or `Infinity` for none. */
export interface HeaderLimitsOptions {
  /**
   * Largest header block in bytes: for each header its name, value and 4 (`": "` and
   * CRLF), plus the request target. Above it: 431 `headers_too_large`.
   */
  maxHeaderBytes: number;
  /** Most header fields. Above it: 431 `headers_too_large`. */
  maxHeaders: number;
  /**
   * Longest request target (path and query), in bytes. Above it: 414 `uri_too_long`.
   *
   * @default {8192}
   */
  maxTargetBytes?: number;
}

/** What the header limits find wrong with a request, or `undefined` when it is within them. */
export type HeaderProblem =
  | {
    /** The request target is too long. */
    kind: "target";
    /** Its length in bytes. */
    bytes: number;
  }
  | {
    /** There are too many header fields. */
    kind: "count";
    /** How many there are. */
    count: number;
  }
  | {
    /** The header block is too large. */
    kind: "bytes";
    /** Its size in bytes, as {@link HeaderLimitsOptions.maxHeaderBytes} counts it. */
    bytes: number;
  };

/**
 * Measures a request against the limits. Headers are counted as the Fetch API shows
 * them: repeated fields arrive joined by `", "`, so each counts once, with the joined
 * value. Header strings are byte strings (one character per byte), and the target is
 * percent-encoded ASCII, so `length` is their size in bytes.
 *
 * @param request The request: its URL's path and query, and its headers.
 * @param options The limits.
 * @returns The first limit exceeded (target, then count, then bytes), or `undefined`.
 * @example
 * ```ts
 * import { headerProblem } from "./header_limits.ts";
 * // "/t" is 2 bytes, "host: x\r\n" is 4 + 1 + 4 = 9.
 * const request = new Request("http://x/t", { headers: { host: "x" } });
 * console.assert(headerProblem(request, { maxHeaderBytes: 11, maxHeaders: 1 }) === undefined);
 * console.assert(headerProblem(request, { maxHeaderBytes: 10, maxHeaders: 1 })?.kind === "bytes");
 * ```
 */
export function headerProblem(
  request: Request,
  options: HeaderLimitsOptions,
): HeaderProblem | undefined {
  const { maxHeaderBytes, maxHeaders, maxTargetBytes = DEFAULT_MAX_TARGET_BYTES } = options;
  const url = new URL(request.url);
  const target = url.pathname.length + url.search.length;
  if (target > maxTargetBytes) return { kind: "target", bytes: target };
  let count = 0;
  let bytes = target;
  for (const [name, value] of request.headers) {
    count++;
    bytes += name.length + value.length + 4;
  }
  if (count > maxHeaders) return { kind: "count", count };
  if (bytes > maxHeaderBytes) return { kind: "bytes", bytes };
  return undefined;
}

function requireLimit(name: string, value: number): void {
  if (!(value >= 1 && (Number.isSafeInteger(value) || value === Infinity))) {
    throw new RangeError(
      `Cannot limit headers as '${name}' must be a positive integer or Infinity: it is ${value}`,
    );
  }
}

/**
 * Refuses a request whose target is longer than `maxTargetBytes` with 414
 * `uri_too_long`, and one with more than `maxHeaders` headers or more than
 * `maxHeaderBytes` of them with 431 `headers_too_large`. `Deno.serve` already drops
 * far larger requests at the transport; this answers the ones below that cap with a
 * clear JSON error. Put it first, before authentication.
 *
 * @throws {RangeError} At set-up, when a limit is not a positive integer or `Infinity`.
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { headerLimits } from "./header_limits.ts";
 * const app = new Hono();
 * app.use(headerLimits({ maxHeaderBytes: 16_384, maxHeaders: 100 }));
 * app.get("/status", (c) => c.json({ status: "idle" }));
 * console.assert((await app.request("/status")).status === 200);
 * ```
 */
export const headerLimits = (options: HeaderLimitsOptions): MiddlewareHandler => {
  const { maxHeaderBytes, maxHeaders, maxTargetBytes = DEFAULT_MAX_TARGET_BYTES } = options;
  requireLimit("maxHeaderBytes", maxHeaderBytes);
  requireLimit("maxHeaders", maxHeaders);
  requireLimit("maxTargetBytes", maxTargetBytes);
  const limits = { maxHeaderBytes, maxHeaders, maxTargetBytes };
  return async function headerLimits(c, next) {
    const problem = headerProblem(c.req.raw, limits);
    // The messages give sizes only: never a header's name or value, which may be secret.
    if (problem?.kind === "target") {
      throw new SwarmError(
        "uri_too_long",
        `Request target is ${problem.bytes} bytes: more than ${maxTargetBytes}`,
        { max_bytes: maxTargetBytes },
      );
    }
    if (problem?.kind === "count") {
      throw new SwarmError(
        "headers_too_large",
        `Request has ${problem.count} header fields: more than ${maxHeaders}`,
        { max_headers: maxHeaders, max_bytes: maxHeaderBytes },
      );
    }
    if (problem?.kind === "bytes") {
      throw new SwarmError(
        "headers_too_large",
        `Request headers are ${problem.bytes} bytes: more than ${maxHeaderBytes}`,
        { max_headers: maxHeaders, max_bytes: maxHeaderBytes },
      );
    }
    await next();
  };
};
