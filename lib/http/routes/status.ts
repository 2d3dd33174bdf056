/**
 * `GET /status` (SkillLite's two fields first, swarm's after), `/healthz`, `/readyz`.
 * Health and readiness are public (no credential, see `ROUTES` in `../route_table.ts`):
 * they answer only the node id, its load and readiness.
 *
 * @module
 */
import { Hono } from "hono";
import { SwarmError } from "../../protocol/mod.ts";
import type { AppDeps } from "../types.ts";

/** The status, health and readiness routes. */
export function statusRoutes(deps: AppDeps): Hono {
  return new Hono()
    .get("/status", async (c) => {
      const current = deps.tracker.current();
      return c.json({
        status: current === null ? "idle" : "busy",
        current_task_id: current,
        ...(await deps.statusExtras()),
        running_tasks: deps.tracker.size,
      });
    })
    .get("/healthz", (c) => {
      const { running, queued } = deps.load();
      return c.json({
        status: "ok",
        node_id: deps.nodeId,
        running_tasks: running,
        queued_tasks: queued,
      });
    })
    .get("/readyz", (c) => {
      const { ready, reason } = deps.readiness();
      if (!ready) throw new SwarmError("not_ready", reason ?? "Node is not ready");
      return c.json({ status: "ready", node_id: deps.nodeId });
    });
}
