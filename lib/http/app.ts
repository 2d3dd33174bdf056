/**
 * The node's Hono application: SkillLite's routes plus health and readiness.
 *
 * @module
 */
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { authenticate, authorizeAction, grantOf } from "./middleware/auth.ts";
import { headerLimits } from "./middleware/header_limits.ts";
import { rateLimit } from "./middleware/rate_limit.ts";
import { toSwarmError } from "../protocol/errors.ts";
import { rateKey } from "../security/rate_key.ts";
import type { Caller } from "./server.ts";
import type { Grant } from "../security/grant.ts";
import { notFound, onError } from "./middleware/errors.ts";
import { canDoRoutes } from "./routes/can_do.ts";
import { statusRoutes } from "./routes/status.ts";
import { taskRoutes } from "./routes/task.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { eventsRoutes } from "./routes/events.ts";
import { meshHelloRoutes } from "./routes/mesh_hello.ts";
import type { AppDeps } from "./types.ts";
import { RateLimiter } from "../security/token_bucket.ts";

/** Default sustained rate of failed authentications per source address, per second. */
export const DEFAULT_AUTH_FAILURE_RATE = 5;
/** Default burst of failed authentications per source address. */
export const DEFAULT_AUTH_FAILURE_BURST = 50;

/** Security settings of {@link createApp} beyond {@link AppDeps}. */
export interface AppSecurityOptions {
  /**
   * Throttle of failed authentications per source address (429 once spent).
   *
   * @default {a limiter of DEFAULT_AUTH_FAILURE_RATE per second, burst DEFAULT_AUTH_FAILURE_BURST}
   */
  authFailureLimiter?: RateLimiter;
  /**
   * Told about each refused authentication with the caller's address; replaces
   * `deps.onAuthFailure` when given.
   */
  onAuthFailure?: (reason: string, path: string, source: string) => void;
}

/**
 * Builds the HTTP app. Header limits, then authentication (shared token, scoped token,
 * client certificate; failures throttled per source address) and the route's action run
 * before any body is read; `/healthz`, `/readyz` and `POST /mesh/hello` are public;
 * `POST /task` is rate-limited per client and checks the task against the caller's scope.
 *
 * @internal Only because it returns npm's `Hono`, which `deno doc --lint` wrongly
 * calls a private type (denoland/deno#27364).
 */
export function createApp(deps: AppDeps, security: AppSecurityOptions = {}): Hono {
  const app = new Hono();
  app.use(requestId({ headerName: "x-request-id" }));
  app.use(headerLimits({
    maxHeaderBytes: deps.maxHeaderBytes ?? Infinity,
    maxHeaders: deps.maxHeaders ?? Infinity,
  }));
  // Before authentication: a peer proves membership before it is given any credential.
  if (deps.meshHello) app.route("/", meshHelloRoutes(deps.meshHello));
  app.use(authenticate({
    sharedSecret: deps.token,
    verifyToken: deps.verifyToken ?? (() => undefined),
    onFailure: security.onAuthFailure ??
      ((reason, path) => deps.onAuthFailure?.(reason, path)),
    failureLimiter: security.authFailureLimiter ??
      new RateLimiter({
        ratePerSecond: DEFAULT_AUTH_FAILURE_RATE,
        burst: DEFAULT_AUTH_FAILURE_BURST,
      }),
  }));
  app.use(authorizeAction());
  if (deps.taskRateLimiter) {
    const limiter = deps.taskRateLimiter;
    app.post(
      "/task",
      rateLimit({
        limiter: () => limiter,
        key: (c) => rateKey(grantOf(c), (c.env as Caller | undefined)?.remoteAddress ?? ""),
      }),
    );
  }
  app.route("/", taskRoutes(deps));
  app.route("/", statusRoutes(deps));
  app.route("/", canDoRoutes(deps));
  if (deps.metrics) app.route("/", metricsRoutes(deps.metrics));
  if (deps.events) app.route("/", eventsRoutes({ hub: deps.events }));
  app.notFound(notFound);
  const renderError = onError((err) =>
    deps.logError("Unhandled error", { error: err instanceof Error ? err.stack : String(err) })
  );
  app.onError((err, c) => {
    const refusal = toSwarmError(err);
    if (refusal.code === "forbidden" && deps.onForbidden) {
      const subject = (c.get("grant") as Grant | undefined)?.subject ?? "";
      deps.onForbidden(String(refusal.details.missing_scope), subject, c.req.path);
    }
    return renderError(err, c);
  });
  return app;
}
