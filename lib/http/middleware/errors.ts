/**
 * Renders every failure as the JSON error shape `{error, message}`.
 *
 * @module
 */
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { SwarmError, toSwarmError } from "../../protocol/mod.ts";
import { allowedMethods, type RouteDeclaration } from "../route_table.ts";

/** The JSON response for a {@link SwarmError}. */
export function errorResponse(c: Context, err: SwarmError): Response {
  const headers: Record<string, string> = {};
  if (err.code === "unauthorized") headers["www-authenticate"] = "Bearer";
  // A retryable refusal (overloaded, draining) says when to come back, in whole seconds.
  const retryAfter = err.details.retry_after_s;
  if (typeof retryAfter === "number" && retryAfter >= 0) {
    headers["retry-after"] = String(Math.ceil(retryAfter));
  }
  // A client too slow to send its body does not get to keep the connection.
  if (err.details.reason === "body_timeout") headers["connection"] = "close";
  return c.json(err.toBody(), err.status as 400, headers);
}

/**
 * Whether `err` is the runtime failing to read a request body the client cut short or
 * encoded wrongly (a closed connection, a truncated chunked body): the client's fault.
 */
export function isBodyReadError(err: unknown): boolean {
  return (err instanceof Deno.errors.BadResource || err instanceof Deno.errors.Http ||
    err instanceof TypeError) && /cannot read (request )?body/i.test((err as Error).message);
}

/** `app.onError` handler: SwarmErrors keep their code, anything else is `internal`. */
export function onError(log: (err: unknown) => void): ErrorHandler {
  return function onError(err, c) {
    if (isBodyReadError(err)) {
      return errorResponse(
        c,
        new SwarmError(
          "invalid_request",
          "Cannot read the request body: the client ended it early or sent a broken encoding",
        ),
      );
    }
    if (err instanceof HTTPException && !(err instanceof SwarmError)) {
      const code = err.status === 413
        ? "payload_too_large"
        : err.status === 401
        ? "unauthorized"
        : "invalid_request";
      return errorResponse(c, new SwarmError(code, err.message || "Bad request"));
    }
    const swarmErr = toSwarmError(err);
    if (swarmErr.code === "internal") log(err);
    return errorResponse(c, swarmErr);
  };
}

/**
 * `app.notFound` handler: 405 `method_not_allowed` with `Allow` for a declared path with
 * another method, else 404 `not_found`.
 *
 * @param routes The declarations of the routes the app mounts.
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { notFound } from "./errors.ts";
 * import { ROUTES } from "../route_table.ts";
 * const app = new Hono();
 * app.notFound(notFound(ROUTES));
 * console.assert((await app.request("http://localhost/task")).status === 405);
 * ```
 */
export const notFound = (routes: readonly RouteDeclaration[]): NotFoundHandler => {
  return function notFound(c) {
    const allowed = allowedMethods(routes, c.req.path).join(", ");
    if (allowed) {
      c.header("allow", allowed);
      return errorResponse(
        c,
        new SwarmError(
          "method_not_allowed",
          `${c.req.path} accepts ${allowed}, not ${c.req.method}`,
        ),
      );
    }
    return errorResponse(
      c,
      new SwarmError("not_found", `No route for ${c.req.method} ${c.req.path}`),
    );
  };
};
