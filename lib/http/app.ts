/**
 * The node's Hono application: SkillLite's routes plus health and readiness, each
 * declared once in `route_table.ts`.
 *
 * @module
 */
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { authenticate, authorizeAction, grantOf } from "./middleware/auth.ts";
import { headerLimits } from "./middleware/header_limits.ts";
import { rateLimit } from "./middleware/rate_limit.ts";
import { toSwarmError } from "../protocol/mod.ts";
import { type Grant, rateKey, RateLimiter } from "../security/mod.ts";
import type { Caller } from "./server.ts";
import { notFound, onError } from "./middleware/errors.ts";
import { canDoRoutes } from "./routes/can_do.ts";
import { statusRoutes } from "./routes/status.ts";
import { taskRoutes } from "./routes/task.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { eventsRoutes } from "./routes/events.ts";
import { meshHelloRoutes } from "./routes/mesh_hello.ts";
import { syncRoutes } from "./routes/sync.ts";
import { mountedDeclarations, requirePublic } from "./route_table.ts";
import type { AppDeps } from "./types.ts";

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
 * before any body is read; `POST /task` is rate-limited per client and checks the task
 * against the caller's scope. Who may call each route, and the 404/405 answers, come
 * from its declaration in `ROUTES` (`route_table.ts`): `/healthz`, `/readyz` and
 * `POST /mesh/hello` are public.
 *
 * @throws {TypeError} When a route is mounted without a declaration in `ROUTES`, or a
 * route mounted ahead of authentication is not declared public.
 * @internal Only because it returns npm's `Hono`, which `deno doc --lint` wrongly
 * calls a private type (denoland/deno#27364).
 */
export function createApp(deps: AppDeps, security: AppSecurityOptions = {}): Hono {
  // Answered before authentication: a peer proves membership before it is given any credential.
  const open = new Hono();
  if (deps.meshHello) open.route("/", meshHelloRoutes(deps.meshHello));
  const gated = new Hono();
  if (deps.taskRateLimiter) {
    const limiter = deps.taskRateLimiter;
    gated.post(
      "/task",
      rateLimit({
        limiter: () => limiter,
        key: (c) => rateKey(grantOf(c), (c.env as Caller | undefined)?.remoteAddress ?? ""),
      }),
    );
  }
  gated.route("/", taskRoutes(deps));
  gated.route("/", statusRoutes(deps));
  gated.route("/", canDoRoutes(deps));
  if (deps.metrics) gated.route("/", metricsRoutes(deps.metrics));
  if (deps.events) gated.route("/", eventsRoutes({ hub: deps.events }));
  if (deps.sync) gated.route("/", syncRoutes(deps.sync));
  const routes = mountedDeclarations([...open.routes, ...gated.routes]);
  requirePublic(open.routes, routes);

  const app = new Hono();
  app.use(requestId({ headerName: "x-request-id" }));
  app.use(headerLimits({
    maxHeaderBytes: deps.maxHeaderBytes ?? Infinity,
    maxHeaders: deps.maxHeaders ?? Infinity,
  }));
  app.route("/", open);
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
    routes,
  }));
  app.use(authorizeAction({ routes }));
  app.route("/", gated);
  app.notFound(notFound(routes));
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
