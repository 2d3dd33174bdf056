import assert from "node:assert/strict";
import { Hono } from "hono";
import { onError } from "../../../lib/http/middleware/errors.ts";
import { rateLimit, type RateLimitOptions } from "../../../lib/http/middleware/rate_limit.ts";
import { RateLimiter } from "../../../lib/security/token_bucket.ts";

const SECRET = "eyJhbGciOiJFZERTQSJ9.c2VjcmV0.c2ln";

/** A tiny app: `POST /task` behind the limiter, keyed by the `x-client` header. */
function appWith(options: Partial<RateLimitOptions> & { limiter: RateLimitOptions["limiter"] }) {
  const limited: string[] = [];
  const handled: string[] = [];
  const app = new Hono();
  app.post(
    "/task",
    rateLimit({
      key: (c) => c.req.header("x-client") ?? "anonymous",
      onLimited: (key) => limited.push(key),
      ...options,
    }),
    (c) => {
      handled.push(c.req.header("x-client") ?? "");
      return c.json({ ok: true });
    },
  );
  app.get("/status", (c) => c.json({ ok: true }));
  app.onError(onError(() => {}));
  const post = (client = "alice") =>
    app.request("http://localhost/task", { method: "POST", headers: { "x-client": client } });
  return { app, post, limited, handled };
}

function fakeLimiter(ratePerSecond: number, burst: number) {
  const clock = { ms: 0 };
  return { limiter: new RateLimiter({ ratePerSecond, burst, now: () => clock.ms }), clock };
}

Deno.test("rateLimit() lets a burst through, then answers 429 rate_limited with Retry-After", async () => {
  const { limiter } = fakeLimiter(20, 3);
  const { post, limited, handled } = appWith({ limiter: () => limiter });
  for (let i = 0; i < 3; i++) assert.equal((await post()).status, 200);
  const response = await post();
  assert.equal(response.status, 429);
  assert.equal(response.headers.get("retry-after"), "1");
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  assert.deepEqual(await response.json(), {
    error: "rate_limited",
    message: "Too many requests from this client: retry in 1 s",
    retry_after_s: 1,
  });
  assert.deepEqual(limited, ["alice"]);
  assert.equal(handled.length, 3, "the refused request never reached the handler");
});

Deno.test("rateLimit() rounds retry_after_s up to whole seconds", async () => {
  const { limiter, clock } = fakeLimiter(0.25, 1); // one token every 4 s
  const { post } = appWith({ limiter: () => limiter });
  await post();
  clock.ms = 1_500; // 2.5 s to go
  const response = await post();
  assert.equal(response.headers.get("retry-after"), "3");
  assert.equal((await response.json()).retry_after_s, 3);
  clock.ms = 4_000;
  assert.equal((await post()).status, 200);
});

Deno.test("rateLimit() limits each client on its own", async () => {
  const { limiter } = fakeLimiter(1, 1);
  const { post, limited } = appWith({ limiter: () => limiter });
  assert.equal((await post("alice")).status, 200);
  assert.equal((await post("alice")).status, 429);
  assert.equal((await post("bob")).status, 200);
  assert.equal((await post("bob")).status, 429);
  assert.deepEqual(limited, ["alice", "bob"]);
});

Deno.test("rateLimit() never echoes the key in the response", async () => {
  const { limiter } = fakeLimiter(1, 1);
  const { post } = appWith({ limiter: () => limiter });
  await post(SECRET);
  const response = await post(SECRET);
  assert.equal(response.status, 429);
  const text = await response.text();
  assert.ok(!text.includes(SECRET), text);
  for (const [, value] of response.headers) assert.ok(!value.includes(SECRET), value);
});

Deno.test("rateLimit() lets everything through without a limiter or with rate 0", async () => {
  for (const limiter of [undefined, new RateLimiter({ ratePerSecond: 0, burst: 0 })]) {
    let asked = 0;
    const { post, limited } = appWith({
      limiter: () => limiter,
      key: () => {
        asked++;
        return "k";
      },
    });
    for (let i = 0; i < 50; i++) assert.equal((await post()).status, 200);
    assert.equal(limited.length, 0);
    assert.equal(asked, 0, "the key is not computed when nothing is limited");
  }
});

Deno.test("rateLimit() reads the limiter on every request, so a reload can swap it", async () => {
  let current: RateLimiter | undefined = fakeLimiter(1, 1).limiter;
  const { post } = appWith({ limiter: () => current });
  assert.equal((await post()).status, 200);
  assert.equal((await post()).status, 429);
  current = undefined;
  assert.equal((await post()).status, 200);
  current = fakeLimiter(1, 2).limiter;
  assert.equal((await post()).status, 200);
  assert.equal((await post()).status, 200);
  assert.equal((await post()).status, 429);
});

Deno.test("rateLimit() applies only to the routes it is put on", async () => {
  const { limiter } = fakeLimiter(1, 1);
  const { app, post } = appWith({ limiter: () => limiter });
  await post();
  for (let i = 0; i < 5; i++) {
    assert.equal((await app.request("http://localhost/status")).status, 200);
  }
  assert.equal((await post()).status, 429);
});
