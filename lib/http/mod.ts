/**
 * The HTTP face of a node: a Hono app speaking SkillLite's protocol.
 *
 * @example
 * ```ts
 * import { isAuthorized } from "./mod.ts";
 * console.assert(isAuthorized("Bearer t", "t"));
 * ```
 *
 * @module
 */
export { createApp } from "./app.ts";
export { isAuthorized } from "./middleware/bearer_auth.ts";
export { parseRequired } from "./routes/can_do.ts";
export { allowedMethods, findRoute, ROUTES } from "./route_table.ts";
export type { RouteDeclaration, RouteMethod } from "./route_table.ts";
export { TaskTracker } from "./task_tracker.ts";
export type { AppDeps, RouteOptions, TaskRouter } from "./types.ts";
export { DEFAULT_INFLIGHT_MAX_EVENTS, Inflight } from "./inflight.ts";
export type { InflightOptions, SharedExecution } from "./inflight.ts";
export { EVENTS_GAP_HEADER, eventsRoutes } from "./routes/events.ts";
export type { EventsRoutesDeps } from "./routes/events.ts";
export type { MeshHelloDeps } from "./routes/mesh_hello.ts";
export type { SyncRouteDeps } from "./routes/sync.ts";
export * from "./server.ts";
