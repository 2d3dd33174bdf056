/**
 * The node's Hono application: SkillLite's routes plus health and readiness.
 *
 * @module
 */
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { bearerAuth } from "./middleware/bearer_auth.ts";
import { notFound, onError } from "./middleware/errors.ts";
import { canDoRoutes } from "./routes/can_do.ts";
import { statusRoutes } from "./routes/status.ts";
import { taskRoutes } from "./routes/task.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { eventsRoutes } from "./routes/events.ts";
import type { AppDeps } from "./types.ts";

/**
 * Builds the HTTP app. Every route sits behind the bearer gate when a token is set;
 * authentication runs before any body is read.
 *
 * @internal Only because it returns npm's `Hono`, which `deno doc --lint` wrongly
 * calls a private type (denoland/deno#27364).
 */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.use(requestId({ headerName: "x-request-id" }));
  app.use(bearerAuth({ token: deps.token, onFailure: deps.onAuthFailure }));
  app.route("/", taskRoutes(deps));
  app.route("/", statusRoutes(deps));
  app.route("/", canDoRoutes(deps));
  if (deps.metrics) app.route("/", metricsRoutes(deps.metrics));
  if (deps.events) app.route("/", eventsRoutes({ hub: deps.events }));
  app.notFound(notFound);
  app.onError(
    onError((err) =>
      deps.logError("Unhandled error", { error: err instanceof Error ? err.stack : String(err) })
    ),
  );
  return app;
}
