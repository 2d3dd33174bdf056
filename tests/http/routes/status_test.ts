import assert from "node:assert/strict";
import type { NodeResult } from "../../../lib/protocol/types.ts";
import {
  authJson,
  deferred,
  errorBody,
  fakeRouter,
  makeApp,
  NODE_ID,
  postTask,
  result,
  task,
} from "../_fake.ts";

async function getJson(
  app: ReturnType<typeof makeApp>["app"],
  path: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await app.request(`http://localhost${path}`, { headers: authJson() });
  return { status: response.status, body: await response.json() };
}

Deno.test("statusRoutes() GET /status answers idle with SkillLite's two fields first", async () => {
  const { app } = makeApp({
    statusExtras: () =>
      Promise.resolve({ node_id: NODE_ID, version: "9.9.9", capabilities: ["calc"] }),
  });
  const { status, body } = await getJson(app, "/status");
  assert.equal(status, 200);
  assert.deepEqual(Object.keys(body).slice(0, 2), ["status", "current_task_id"]);
  assert.deepEqual(body, {
    status: "idle",
    current_task_id: null,
    node_id: NODE_ID,
    version: "9.9.9",
    capabilities: ["calc"],
    running_tasks: 0,
  });
});

Deno.test("statusRoutes() GET /status answers busy with the running task's id", async () => {
  const entered = deferred<void>();
  const finish = deferred<NodeResult>();
  const router = fakeRouter(async (t) => {
    entered.resolve();
    await finish.promise;
    return result(t.id);
  });
  const { app } = makeApp({ router });
  const pending = postTask(app, task("task-42"));
  await entered.promise;
  const busy = await getJson(app, "/status");
  assert.equal(busy.body.status, "busy");
  assert.equal(busy.body.current_task_id, "task-42");
  assert.equal(busy.body.running_tasks, 1);
  finish.resolve(result("task-42"));
  assert.equal((await pending).status, 200);
  const idle = await getJson(app, "/status");
  assert.equal(idle.body.status, "idle");
  assert.equal(idle.body.current_task_id, null);
  assert.equal(idle.body.running_tasks, 0);
});

Deno.test("statusRoutes() GET /status names the latest of several running tasks", async () => {
  const finish = deferred<void>();
  let entered = 0;
  const allIn = deferred<void>();
  const router = fakeRouter(async (t) => {
    if (++entered === 2) allIn.resolve();
    await finish.promise;
    return result(t.id);
  });
  const { app } = makeApp({ router });
  const first = postTask(app, task("first"));
  await new Promise((r) => setTimeout(r, 1));
  const second = postTask(app, task("second"));
  await allIn.promise;
  const { body } = await getJson(app, "/status");
  assert.equal(body.status, "busy");
  assert.equal(body.current_task_id, "second");
  assert.equal(body.running_tasks, 2);
  finish.resolve();
  await Promise.all([(await first).body?.cancel(), (await second).body?.cancel()]);
});

Deno.test("statusRoutes() GET /status counts a streamed task as busy until its stream ends", async () => {
  const entered = deferred<void>();
  const finish = deferred<void>();
  const router = fakeRouter(async (t, options) => {
    options.onEvent?.({ event: "executing" });
    entered.resolve();
    await finish.promise;
    return result(t.id);
  });
  const { app } = makeApp({ router });
  const response = await postTask(app, task("streamed"), { path: "/task?stream=1" });
  await entered.promise;
  assert.equal((await getJson(app, "/status")).body.current_task_id, "streamed");
  finish.resolve();
  await response.text();
  assert.equal((await getJson(app, "/status")).body.status, "idle");
});

Deno.test("statusRoutes() GET /healthz answers ok with the node id and its load, even when not ready", async () => {
  const { app } = makeApp({ readiness: () => ({ ready: false }) });
  assert.deepEqual(await getJson(app, "/healthz"), {
    status: 200,
    body: { status: "ok", node_id: NODE_ID, running_tasks: 1, queued_tasks: 2 },
  });
});

Deno.test("statusRoutes() GET /readyz answers 200 ready when ready", async () => {
  const { app } = makeApp();
  assert.deepEqual(await getJson(app, "/readyz"), {
    status: 200,
    body: { status: "ready", node_id: NODE_ID },
  });
});

Deno.test("statusRoutes() GET /readyz answers 503 not_ready with the reason when not ready", async () => {
  const { app } = makeApp({ readiness: () => ({ ready: false, reason: "Starting" }) });
  const response = await app.request("http://localhost/readyz", { headers: authJson() });
  const body = await errorBody(response, 503, "not_ready");
  assert.deepEqual(body, { error: "not_ready", message: "Starting" });
  const { app: unnamed } = makeApp({ readiness: () => ({ ready: false }) });
  const unnamedBody = await errorBody(
    await unnamed.request("http://localhost/readyz", { headers: authJson() }),
    503,
    "not_ready",
  );
  assert.equal(unnamedBody.message, "Node is not ready");
});

Deno.test("statusRoutes() answers /status even while the node is not ready", async () => {
  const { app } = makeApp({ readiness: () => ({ ready: false, reason: "Starting" }) });
  assert.equal((await getJson(app, "/status")).status, 200);
});
