/**
 * Every route the node serves, declared once: its method, its path, and who may call it
 * (anyone, or an authenticated caller whose grant holds an action). The declarations
 * drive the authentication gate, the scope check and the 404/405 answers; `createApp`
 * refuses to build an app that mounts a route without one, so a new route cannot be
 * silently open to the wrong credential.
 *
 * @example
 * ```ts
 * import { allowedMethods, findRoute, ROUTES } from "./route_table.ts";
 * console.assert(findRoute(ROUTES, "POST", "/task")?.public === false);
 * console.assert(findRoute(ROUTES, "HEAD", "/healthz")?.public === true);
 * console.assert(findRoute(ROUTES, "GET", "/task") === undefined);
 * console.assert(allowedMethods(ROUTES, "/task").join() === "POST");
 * ```
 *
 * @module
 */
import { type Action, HELLO_PATH } from "../security/mod.ts";

/** A method a route may be declared with. `HEAD` is answered by the `GET` route. */
export type RouteMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** One route: where it is, and who may call it. */
export type RouteDeclaration =
  & {
    /** The method, upper case, as the app mounts it. */
    readonly method: RouteMethod;
    /** The exact path, as the app mounts it (no pattern, no trailing slash). */
    readonly path: string;
  }
  & (
    | {
      /**
       * Answered without any credential: the gate neither authenticates the caller nor
       * checks a scope, and the handler gets no grant.
       */
      readonly public: true;
    }
    | {
      /** Answered only to an authenticated caller. */
      readonly public: false;
      /** The action the caller's grant must hold, else 403 `forbidden`. */
      readonly action: Action;
    }
  );

/**
 * The node's routes. Health, readiness and the membership challenge are public: a
 * systemd watchdog, a container HEALTHCHECK, a Kubernetes probe or a peer's health
 * check must not need the mesh secret (they reveal only the node id and its load), and
 * a peer answers the challenge before it is given any credential.
 */
export const ROUTES: readonly RouteDeclaration[] = [
  { method: "POST", path: "/task", public: false, action: "task" },
  { method: "GET", path: "/status", public: false, action: "read" },
  { method: "GET", path: "/can-do", public: false, action: "read" },
  { method: "GET", path: "/metrics", public: false, action: "read" },
  { method: "GET", path: "/events", public: false, action: "read" },
  { method: "GET", path: "/healthz", public: true },
  { method: "GET", path: "/readyz", public: true },
  { method: "POST", path: HELLO_PATH, public: true },
  // Skill sync: peers read with the node's credential; handing a node a release or its
  // files is publishing.
  { method: "GET", path: "/sync/digests", public: false, action: "read" },
  { method: "GET", path: "/sync/release", public: false, action: "read" },
  { method: "POST", path: "/sync/release", public: false, action: "publish" },
  { method: "GET", path: "/sync/blob", public: false, action: "read" },
  { method: "PUT", path: "/sync/blob", public: false, action: "publish" },
  { method: "GET", path: "/sync/skills", public: false, action: "read" },
];

/**
 * The declaration answering `method path`, exactly (case-sensitive method, no
 * trailing-slash folding, as the router matches); `HEAD` finds the `GET` route.
 *
 * @param routes The declarations to search, e.g. {@link ROUTES}.
 * @returns The declaration, or undefined when `method path` is not declared: such a
 * request must be refused, never given a default scope.
 * @example
 * ```ts
 * import { findRoute, ROUTES } from "./route_table.ts";
 * const route = findRoute(ROUTES, "GET", "/status");
 * console.assert(route !== undefined && !route.public && route.action === "read");
 * ```
 */
export function findRoute(
  routes: readonly RouteDeclaration[],
  method: string,
  path: string,
): RouteDeclaration | undefined {
  const wanted = method === "HEAD" ? "GET" : method;
  return routes.find((route) => route.method === wanted && route.path === path);
}

/**
 * The methods declared for `path`, in declaration order: the `Allow` of a 405 answer;
 * empty when no route has this path (a 404).
 *
 * @example
 * ```ts
 * import { allowedMethods, ROUTES } from "./route_table.ts";
 * console.assert(allowedMethods(ROUTES, "/status").join() === "GET");
 * console.assert(allowedMethods(ROUTES, "/nope").length === 0);
 * ```
 */
export function allowedMethods(routes: readonly RouteDeclaration[], path: string): string[] {
  return routes.filter((route) => route.path === path).map((route) => route.method);
}

/** A route as Hono lists it in `app.routes`. */
export interface MountedRoute {
  /** The method; `ALL` for middleware added with `app.use()`. */
  method: string;
  /** The path; `/*` for middleware added with `app.use()`. */
  path: string;
}

/** How mounted routes and declarations disagree; both empty when they agree. */
export interface RouteMismatch {
  /** Mounted routes without a declaration, as `METHOD /path`. */
  undeclared: string[];
  /** Declarations not mounted, as `METHOD /path`. */
  unmounted: string[];
}

/** Whether a mounted entry is middleware (`app.use()` with no path) rather than a route. */
function isMiddleware(route: MountedRoute): boolean {
  return route.method === "ALL" && route.path === "/*";
}

/**
 * Compares what an app mounts (`app.routes`, middleware skipped) with the declarations.
 * A route mounted for several methods or with a pattern path is undeclared unless each
 * method and the exact path are declared.
 *
 * @param mounted The app's routes, e.g. Hono's `app.routes`.
 * @param routes The declarations, e.g. {@link ROUTES}.
 * @example
 * ```ts
 * import { compareRoutes, ROUTES } from "./route_table.ts";
 * const { undeclared, unmounted } = compareRoutes([{ method: "GET", path: "/x" }], ROUTES);
 * console.assert(undeclared.join() === "GET /x" && unmounted.includes("POST /task"));
 * ```
 */
export function compareRoutes(
  mounted: readonly MountedRoute[],
  routes: readonly RouteDeclaration[],
): RouteMismatch {
  const name = (route: MountedRoute) => `${route.method} ${route.path}`;
  const handled = mounted.filter((route) => !isMiddleware(route));
  const undeclared = handled.filter((route) =>
    !routes.some((r) => r.method === route.method && r.path === route.path)
  ).map(name);
  const unmounted = routes.filter((route) =>
    !handled.some((r) => r.method === route.method && r.path === route.path)
  ).map(name);
  return { undeclared: [...new Set(undeclared)], unmounted };
}

/**
 * The declarations of the routes an app mounts, in declaration order: what its gate and
 * its 404/405 answers go by, so a route the app leaves out (no metrics, no events) is
 * answered as unknown.
 *
 * @param mounted The routes the app mounts, e.g. a sub-app's `routes`.
 * @param routes The declarations to pick from; {@link ROUTES} when omitted.
 * @throws {TypeError} When a mounted route has no declaration.
 * @example
 * ```ts
 * import { mountedDeclarations } from "./route_table.ts";
 * const picked = mountedDeclarations([{ method: "GET", path: "/status" }]);
 * console.assert(picked.length === 1 && picked[0].path === "/status");
 * ```
 */
export function mountedDeclarations(
  mounted: readonly MountedRoute[],
  routes: readonly RouteDeclaration[] = ROUTES,
): RouteDeclaration[] {
  const { undeclared } = compareRoutes(mounted, routes);
  if (undeclared.length > 0) {
    throw new TypeError(
      `Cannot mount a route without a declaration in lib/http/route_table.ts: ${
        undeclared.join(", ")
      }`,
    );
  }
  return routes.filter((route) =>
    mounted.some((r) => r.method === route.method && r.path === route.path)
  );
}

/**
 * Checks that routes mounted ahead of the authentication gate are all declared public:
 * a route declared as needing a credential must not be reachable without one.
 *
 * @param mounted The routes mounted ahead of authentication.
 * @param routes The declarations; {@link ROUTES} when omitted.
 * @throws {TypeError} When one of them is undeclared or not declared public.
 * @example
 * ```ts
 * import { requirePublic } from "./route_table.ts";
 * requirePublic([{ method: "POST", path: "/mesh/hello" }]);
 * ```
 */
export function requirePublic(
  mounted: readonly MountedRoute[],
  routes: readonly RouteDeclaration[] = ROUTES,
): void {
  const gated = mountedDeclarations(mounted, routes).filter((route) => !route.public);
  if (gated.length > 0) {
    const names = gated.map((route) => `${route.method} ${route.path}`).join(", ");
    throw new TypeError(`Cannot mount a route ahead of authentication unless public: ${names}`);
  }
}
