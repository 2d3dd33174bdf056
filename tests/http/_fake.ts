/**
 * Test helpers for the HTTP layer: a fake TaskRouter (this is a unit test of the HTTP
 * layer; the real router has its own tests) and app dependencies around it.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Hono } from "hono";
import { createApp } from "../../lib/http/app.ts";
import { TaskTracker } from "../../lib/http/task_tracker.ts";
import type { AppDeps, RouteOptions, TaskRouter } from "../../lib/http/types.ts";
import type { NodeResult, NodeTask } from "../../lib/protocol/types.ts";

/** The token of apps built with {@link makeApp} unless told otherwise. */
export const TOKEN = "s3cret";
/** The node id of apps built with {@link makeApp}. */
export const NODE_ID = "node-under-test";

/** One call the fake router received. */
export interface RouteCall {
  task: NodeTask;
  options: RouteOptions;
}

/** A TaskRouter whose behaviour the test supplies, recording every call. */
export interface FakeRouter extends TaskRouter {
  calls: RouteCall[];
}

/** A fake router running `impl` (default: a completed result echoing the task id). */
export function fakeRouter(
  impl: (task: NodeTask, options: RouteOptions) => Promise<NodeResult> = (task) =>
    Promise.resolve(result(task.id)),
): FakeRouter {
  const calls: RouteCall[] = [];
  return {
    calls,
    route(task, options) {
      calls.push({ task, options });
      return impl(task, options);
    },
  };
}

/** A completed NodeResult for `taskId`. */
export function result(taskId: string, response = "3"): NodeResult {
  return { task_id: taskId, response, task_completed: true, tool_calls: 1 };
}

/** A valid NodeTask body. */
export function task(id = "t1", required: string[] = []): NodeTask {
  return {
    id,
    description: "add 1 and 2",
    context: { workspace: ".", session_key: "default", required_capabilities: required },
  };
}

/** The app under test, its fake router and what it logged. */
export interface TestApp {
  app: Hono;
  deps: AppDeps;
  router: FakeRouter;
  logged: Array<{ message: string; props: Record<string, unknown> }>;
}

/** Builds the real app around a fake router; `overrides` replace single dependencies. */
export function makeApp(
  overrides: Partial<AppDeps> & { router?: FakeRouter } = {},
): TestApp {
  const logged: TestApp["logged"] = [];
  const router = overrides.router ?? fakeRouter();
  const deps: AppDeps = {
    nodeId: NODE_ID,
    token: () => TOKEN,
    maxBodyBytes: 1024,
    tracker: new TaskTracker(),
    readiness: () => ({ ready: true }),
    load: () => ({ running: 1, queued: 2 }),
    localCapabilities: () => ["calc", "web"],
    statusExtras: () => Promise.resolve({ node_id: NODE_ID, version: "test" }),
    logError: (message, props) => logged.push({ message, props }),
    ...overrides,
    router,
  };
  return { app: createApp(deps), deps, router, logged };
}

/** Headers of an authenticated JSON request. */
export function authJson(extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...extra };
}

/** `POST /task` (or `path`) with an authenticated JSON body. */
export async function postTask(
  app: Hono,
  body: unknown,
  options: { path?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  return await app.request(`http://localhost${options.path ?? "/task"}`, {
    method: "POST",
    headers: options.headers ?? authJson(),
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/**
 * Reads an error answer and checks the shared shape: JSON with string `error` and
 * `message` (plus optional details); returns the body.
 */
export async function errorBody(
  response: Response,
  status: number,
  code: string,
): Promise<Record<string, unknown>> {
  assert.equal(response.status, status);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  const body = await response.json();
  assert.equal(typeof body.error, "string");
  assert.equal(typeof body.message, "string");
  assert.equal(body.error, code);
  assert.notEqual(body.message, "");
  return body;
}

/** A promise with its resolve and reject exposed. */
export function deferred<T>(): PromiseWithResolvers<T> {
  return Promise.withResolvers<T>();
}
