/**
 * Per-client rate limiting of a route, over a {@link RateLimiter}.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { SwarmError } from "../../protocol/mod.ts";
import type { RateLimiter } from "../../security/mod.ts";

/** Options of {@link rateLimit}. */
export interface RateLimitOptions {
  /**
   * The limiter to charge, read on every request so a config reload can swap it;
   * `undefined` (or a limiter with rate 0) lets everything through.
   */
  limiter: () => RateLimiter | undefined;
  /**
   * Who is asking: the authenticated subject, or the client address for an open node.
   * Never a raw token: the key is handed to `onLimited`, which may log it. The key is
   * never written into the response.
   */
  key: (c: Context) => string;
  /** Told about each refusal (for metrics, events and logs). */
  onLimited?: (key: string) => void;
}

/**
 * Refuses a request when its client has used up its bucket, with 429 `rate_limited`
 * and `retry_after_s` (which the error handler turns into `Retry-After`). Runs after
 * authentication, so the key can be the caller's subject, and before the body is read.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { rateLimit } from "./rate_limit.ts";
 * import { RateLimiter } from "../../security/token_bucket.ts";
 * const limiter = new RateLimiter({ ratePerSecond: 20, burst: 40 });
 * const app = new Hono().post(
 *   "/task",
 *   rateLimit({ limiter: () => limiter, key: (c) => c.req.header("x-client") ?? "anonymous" }),
 *   (c) => c.text("ok"),
 * );
 * console.assert((await app.request("/task", { method: "POST" })).status === 200);
 * ```
 */
export const rateLimit = (options: RateLimitOptions): MiddlewareHandler => {
  const { limiter, key, onLimited } = options;
  return async function rateLimit(c, next) {
    const current = limiter();
    if (current?.enabled) {
      const client = key(c);
      const taken = current.take(client);
      if (!taken.allowed) {
        onLimited?.(client);
        // Whole seconds, as Retry-After carries them; never 0, which invites a busy loop.
        const retryAfterS = Math.max(1, Math.ceil(taken.retryAfterMs / 1000));
        throw new SwarmError(
          "rate_limited",
          `Too many requests from this client: retry in ${retryAfterS} s`,
          { retry_after_s: retryAfterS },
        );
      }
    }
    await next();
  };
};
