/**
 * Authentication and authorization of every request: who the caller is (shared
 * SkillLite token, scoped token, client certificate) and whether its grant covers the
 * route's declared action (see `../route_table.ts`). 401 for missing or invalid
 * credentials, 403 naming the missing scope, 404/405 for a route not declared.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { SwarmError } from "../../protocol/mod.ts";
import {
  allows,
  fullGrant,
  type Grant,
  type RateLimiter,
  TokenError,
  type TokenRefusal,
} from "../../security/mod.ts";
import type { Caller } from "../server.ts";
import { bearerToken, isAuthorized } from "./bearer_auth.ts";
import { findRoute, type RouteDeclaration, ROUTES } from "../route_table.ts";
import { notFound } from "./errors.ts";

/** Why a request was refused with 401: `missing`, `invalid`, or a scoped token's {@link TokenRefusal}. */
export type AuthFailure = "missing" | "invalid" | TokenRefusal;

/** Options of {@link authenticate}. */
export interface AuthOptions {
  /** The shared SkillLite token; undefined when none is set. Read per request (rotation). */
  sharedSecret: () => string | undefined;
  /**
   * Verifies a scoped token into a grant, or rejects with an error carrying a
   * `reason`; undefined when no keyring is loaded. Read per request (live reload).
   */
  verifyToken: () => ((token: string) => Promise<Grant>) | undefined;
  /**
   * Told about each refusal: `missing`, `invalid`, or a token refusal reason, the path
   * and the caller's address.
   */
  onFailure?: (reason: AuthFailure, path: string, source: string) => void;
  /**
   * Failed authentications allowed per source address: each failure takes a token, and
   * once a source's bucket is empty its failures are answered 429 `rate_limited` with
   * `Retry-After` instead of 401. Valid credentials are never charged nor refused, so a
   * flood of bad tokens cannot lock out honest callers that share its address (every
   * local process on a loopback node, every client behind a reverse proxy).
   * Undefined (or a limiter with rate 0) = no throttling.
   */
  failureLimiter?: RateLimiter;
  /**
   * The declarations of the routes the app mounts: those declared public skip
   * authentication; every other request, declared or not, is authenticated.
   *
   * @default {ROUTES}
   */
  routes?: readonly RouteDeclaration[];
}

declare module "hono" {
  /** Variables set on every request's context. */
  interface ContextVariableMap {
    /** What the caller may do, set by {@link authenticate}. */
    grant: Grant;
  }
}

/**
 * Finds the caller's grant and stores it as `c.var.grant`, before any body is read.
 *
 * - No token authentication configured: the caller gets everything (a loopback node, or
 *   an mTLS node where the verified certificate is the credential).
 * - Otherwise the `Authorization: Bearer` value must be the shared token (full scope,
 *   SkillLite-compatible) or a scoped token the keyring verifies; a client certificate
 *   alone is then not enough, so scoped tokens keep their meaning on mTLS nodes.
 * - Routes declared public skip it and carry no grant.
 */
export const authenticate = (options: AuthOptions): MiddlewareHandler => {
  const routes = options.routes ?? ROUTES;
  return async function authenticate(c, next) {
    if (findRoute(routes, c.req.method, c.req.path)?.public) return await next();
    const caller = c.env as Caller | undefined;
    const cert = caller?.clientCert;
    const secret = options.sharedSecret();
    const verify = options.verifyToken();
    const header = c.req.header("authorization");
    const refuse = (reason: AuthFailure, message: string): never => {
      const source = caller?.remoteAddress ?? "";
      options.onFailure?.(reason, c.req.path, source);
      const limiter = options.failureLimiter;
      const taken = limiter?.enabled ? limiter.take(`addr:${source}`) : { allowed: true as const };
      if (!taken.allowed) {
        // Whole seconds, as Retry-After carries them; never 0, which invites a busy loop.
        const retryAfterS = Math.max(1, Math.ceil(taken.retryAfterMs / 1000));
        throw new SwarmError(
          "rate_limited",
          `Too many failed authentications from this address: retry in ${retryAfterS} s`,
          { retry_after_s: retryAfterS, reason: "auth_failures" },
        );
      }
      const plain = reason === "missing" || reason === "invalid";
      throw new SwarmError("unauthorized", message, plain ? {} : { reason });
    };
    let grant: Grant;
    if (secret === undefined && verify === undefined) {
      grant = cert ? fullGrant("client-cert", cert.commonName) : fullGrant("open", "anonymous");
    } else if (!header) {
      return refuse("missing", "Missing or invalid bearer token");
    } else if (secret !== undefined && isAuthorized(header, secret)) {
      grant = fullGrant("shared-secret", "shared-token");
    } else {
      const token = bearerToken(header);
      if (token === undefined || verify === undefined) {
        return refuse("invalid", "Missing or invalid bearer token");
      }
      try {
        grant = { ...(await verify(token)), token };
      } catch (err) {
        const reason: AuthFailure = err instanceof TokenError ? err.reason : "invalid";
        return refuse(reason, `Invalid token: ${reason.replaceAll("_", " ")}`);
      }
    }
    c.set("grant", cert ? { ...grant, clientCert: cert } : grant);
    await next();
  };
};

/** Options of {@link authorizeAction}. */
export interface AuthorizeOptions {
  /**
   * The declarations of the routes the app mounts: each names the action its callers
   * need.
   *
   * @default {ROUTES}
   */
  routes?: readonly RouteDeclaration[];
}

/**
 * Refuses with 403 a caller whose grant lacks the action its route declares; public
 * routes pass. A request for a route not declared is refused before any handler runs,
 * with the 405 or 404 the app's `notFound` gives: it is never granted a default action.
 */
export const authorizeAction = (options: AuthorizeOptions = {}): MiddlewareHandler => {
  const routes = options.routes ?? ROUTES;
  const undeclared = notFound(routes);
  return async function authorizeAction(c, next) {
    const route = findRoute(routes, c.req.method, c.req.path);
    if (route === undefined) return await undeclared(c);
    if (route.public) return await next();
    const grant = grantOf(c);
    if (!allows(grant, route.action)) {
      throw new SwarmError(
        "forbidden",
        `Credential of '${grant.subject}' lacks the '${route.action}' action`,
        { missing_scope: `action:${route.action}` },
      );
    }
    await next();
  };
};

/** The grant {@link authenticate} stored for this request. */
export function grantOf(c: Context): Grant {
  const grant = c.get("grant") as Grant | undefined; // Unset only if a route skipped the middleware.
  if (!grant) throw new SwarmError("internal", "Request reached a route without authentication");
  return grant;
}
