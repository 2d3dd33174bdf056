/**
 * `GET /metrics`: the node's Prometheus metrics in the text exposition format.
 *
 * @module
 */
import { Hono } from "hono";

/** Renders the metrics text and its content type. */
export type MetricsRenderer = () => Promise<{ contentType: string; body: string }>;

/** The metrics route (behind the app's bearer gate like every route). */
export function metricsRoutes(render: MetricsRenderer): Hono {
  return new Hono().get("/metrics", async (c) => {
    const { contentType, body } = await render();
    return c.body(body, 200, { "content-type": contentType });
  });
}
