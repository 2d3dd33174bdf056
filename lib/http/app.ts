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
import type { AppDeps } from "./types.ts";

/**
 * Builds the HTTP app. Header limits, then authentication (shared token, scoped token,
 * client certificate) and the route's action run before any body is read; `POST /task`
 * is rate-limited per client and checks the task against the caller's scope.
 *
 * @internal Only because it returns npm's `Hono`, which `deno doc --lint` wrongly
 * calls a private type (denoland/deno#27364).
 */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.use(requestId({ headerName: "x-request-id" }));
  app.use(headerLimits({
    maxHeaderBytes: deps.maxHeaderBytes ?? Infinity,
    maxHeaders: deps.maxHeaders ?? Infinity,
  }));
  app.use(authenticate({
    sharedSecret: deps.token,
    verifyToken: deps.verifyToken ?? (() => undefined),
    onFailure: deps.onAuthFailure,
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
