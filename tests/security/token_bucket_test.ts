import assert from "node:assert/strict";
import { RateLimiter, type RateLimiterOptions } from "../../lib/security/token_bucket.ts";

/** A limiter on a fake clock the test moves by hand. */
function limiterAt(options: Omit<RateLimiterOptions, "now">) {
  const clock = { ms: 0 };
  const limiter = new RateLimiter({ ...options, now: () => clock.ms });
  return { limiter, clock };
}

/** Takes from `key` until refused; returns how many were allowed (at most `cap`). */
function drain(limiter: RateLimiter, key: string, cap = 1_000): number {
  let allowed = 0;
  while (allowed < cap && limiter.take(key).allowed) allowed++;
  return allowed;
}

Deno.test("RateLimiter.take() allows a burst, then refuses", () => {
  const { limiter } = limiterAt({ ratePerSecond: 20, burst: 40 });
  for (let i = 0; i < 40; i++) assert.deepEqual(limiter.take("a"), { allowed: true }, `take ${i}`);
  assert.deepEqual(limiter.take("a"), { allowed: false, retryAfterMs: 50 });
  assert.deepEqual(limiter.take("a"), { allowed: false, retryAfterMs: 50 });
});

Deno.test("RateLimiter.take() refills at ratePerSecond and never above burst", () => {
  const { limiter, clock } = limiterAt({ ratePerSecond: 10, burst: 5 });
  assert.equal(drain(limiter, "a"), 5);
  clock.ms = 300; // 3 tokens back
  assert.equal(drain(limiter, "a"), 3);
  clock.ms = 60_300; // a minute idle: back to the burst, not 600 tokens
  assert.equal(drain(limiter, "a"), 5);
});

Deno.test("RateLimiter.take() sustains exactly ratePerSecond over time", () => {
  const { limiter, clock } = limiterAt({ ratePerSecond: 20, burst: 40 });
  let allowed = 0;
  for (clock.ms = 0; clock.ms < 10_000; clock.ms += 5) allowed += drain(limiter, "a");
  // The burst plus 20 a second for the 9.995 s after it.
  assert.equal(allowed, 40 + 199);
});

const RETRY_AFTER: Array<[rate: number, burst: number, waitedMs: number, retryAfterMs: number]> = [
  [1, 1, 0, 1_000],
  [20, 40, 0, 50],
  [20, 40, 20, 30],
  [20, 40, 49, 1],
  [3, 1, 0, 334], // 333.33… rounds up: waiting 333 ms is not enough
  [3, 1, 333, 1],
  [0.5, 1, 0, 2_000],
  [0.1, 2, 0, 10_000],
  [1_000, 1, 0, 1],
  [1e6, 1, 0, 1], // never 0: a Retry-After of 0 would invite a busy loop
];

for (const [rate, burst, waitedMs, retryAfterMs] of RETRY_AFTER) {
  Deno.test(
    `RateLimiter.take() at ${rate}/s, burst ${burst}, ${waitedMs} ms after emptying says retry in ${retryAfterMs} ms`,
    () => {
      const { limiter, clock } = limiterAt({ ratePerSecond: rate, burst });
      assert.equal(drain(limiter, "a"), burst);
      clock.ms = waitedMs;
      assert.deepEqual(limiter.take("a"), { allowed: false, retryAfterMs });
      clock.ms += retryAfterMs - 1;
      if (retryAfterMs > 1) assert.equal(limiter.take("a").allowed, false, "one ms early");
      clock.ms += 1;
      assert.equal(limiter.take("a").allowed, true, "exactly on time");
    },
  );
}

Deno.test("RateLimiter.take() handles fractional rates without drift", () => {
  // 0.1 a second is not exact in binary floating point: ten 1 s steps must still make one token.
  const { limiter, clock } = limiterAt({ ratePerSecond: 0.1, burst: 1 });
  assert.equal(limiter.take("a").allowed, true);
  for (let i = 1; i < 10; i++) {
    clock.ms = i * 1_000;
    assert.equal(limiter.take("a").allowed, false, `after ${i} s`);
  }
  clock.ms = 10_000;
  assert.equal(limiter.take("a").allowed, true);
  // 2.5 a second: 5 tokens every 2 s.
  const fast = limiterAt({ ratePerSecond: 2.5, burst: 5 });
  assert.equal(drain(fast.limiter, "a"), 5);
  fast.clock.ms = 2_000;
  assert.equal(drain(fast.limiter, "a"), 5);
  fast.clock.ms = 2_400;
  assert.equal(drain(fast.limiter, "a"), 1);
});

Deno.test("RateLimiter.take() accepts a fractional burst", () => {
  const { limiter } = limiterAt({ ratePerSecond: 1, burst: 2.5 });
  assert.equal(drain(limiter, "a"), 2);
});

Deno.test("RateLimiter.take() keeps each key's bucket apart", () => {
  const { limiter, clock } = limiterAt({ ratePerSecond: 1, burst: 2 });
  assert.equal(drain(limiter, "a"), 2);
  assert.equal(drain(limiter, "b"), 2);
  assert.equal(limiter.take("a").allowed, false);
  clock.ms = 1_000;
  assert.equal(drain(limiter, "a"), 1);
  assert.equal(drain(limiter, "c"), 2);
  assert.equal(drain(limiter, "b"), 1);
});

Deno.test("RateLimiter.take() does not spend a token on a refusal", () => {
  const { limiter, clock } = limiterAt({ ratePerSecond: 1, burst: 1 });
  limiter.take("a");
  for (let i = 0; i < 100; i++) limiter.take("a");
  clock.ms = 1_000;
  assert.equal(limiter.take("a").allowed, true);
});

Deno.test("RateLimiter.take() refills nothing when the clock steps back", () => {
  const { limiter, clock } = limiterAt({ ratePerSecond: 1, burst: 1 });
  clock.ms = 5_000;
  limiter.take("a");
  clock.ms = 1_000;
  assert.deepEqual(limiter.take("a"), { allowed: false, retryAfterMs: 1_000 });
  clock.ms = 5_999;
  assert.equal(limiter.take("a").allowed, false);
  clock.ms = 6_000;
  assert.equal(limiter.take("a").allowed, true);
});

Deno.test("RateLimiter with ratePerSecond 0 allows everything and stores nothing", () => {
  const { limiter } = limiterAt({ ratePerSecond: 0, burst: 0 });
  assert.equal(limiter.enabled, false);
  for (let i = 0; i < 10_000; i++) assert.equal(limiter.take(`k${i % 3}`).allowed, true);
  assert.equal(limiter.size, 0);
});

Deno.test("RateLimiter keeps memory bounded under 100k distinct keys", () => {
  const { limiter, clock } = limiterAt({ ratePerSecond: 1, burst: 5, maxClients: 1_000 });
  for (let i = 0; i < 100_000; i++) {
    if (i % 1_000 === 0) clock.ms += 10; // some sweeps, mostly LRU eviction
    assert.equal(limiter.take(`client-${i}`).allowed, true);
    assert.ok(limiter.size <= 1_000, `size ${limiter.size} after ${i + 1} keys`);
  }
  assert.equal(limiter.size, 1_000);
});

Deno.test("RateLimiter evicts refilled buckets before busy ones", () => {
  const { limiter, clock } = limiterAt({ ratePerSecond: 1, burst: 3, maxClients: 3 });
  drain(limiter, "busy-1");
  limiter.take("light"); // 2 of 3 tokens left
  drain(limiter, "busy-2");
  clock.ms = 1_000; // "light" is full again, the busy ones hold 1 token
  assert.equal(limiter.take("new").allowed, true);
  assert.equal(limiter.size, 3);
  // The busy clients were not given a fresh burst: they were kept, "light" was dropped.
  assert.equal(drain(limiter, "busy-1"), 1);
  assert.equal(drain(limiter, "busy-2"), 1);
});

Deno.test("RateLimiter evicts the least recently used bucket when none is refilled", () => {
  const { limiter } = limiterAt({ ratePerSecond: 1, burst: 2, maxClients: 3 });
  drain(limiter, "a");
  drain(limiter, "b");
  drain(limiter, "c");
  limiter.take("a"); // refused, but "a" is now the most recently used
  assert.equal(limiter.take("d").allowed, true); // evicts "b"
  assert.equal(limiter.size, 3);
  assert.equal(limiter.take("a").allowed, false);
  assert.equal(limiter.take("c").allowed, false);
  // "b" was forgotten: it starts again with a full bucket (evicting "d", now the oldest).
  assert.equal(drain(limiter, "b"), 2);
});

Deno.test("RateLimiter evicts many refilled buckets in one sweep", () => {
  const { limiter, clock } = limiterAt({ ratePerSecond: 10, burst: 1, maxClients: 100 });
  for (let i = 0; i < 100; i++) limiter.take(`old-${i}`);
  clock.ms = 2_000; // all refilled
  limiter.take("new");
  assert.equal(limiter.size, 1);
});

const BAD_OPTIONS: Array<[name: string, options: RateLimiterOptions]> = [
  ["a negative rate", { ratePerSecond: -1, burst: 1 }],
  ["a NaN rate", { ratePerSecond: NaN, burst: 1 }],
  ["an infinite rate", { ratePerSecond: Infinity, burst: 1 }],
  ["a burst below 1", { ratePerSecond: 1, burst: 0.5 }],
  ["a NaN burst", { ratePerSecond: 1, burst: NaN }],
  ["maxClients 0", { ratePerSecond: 1, burst: 1, maxClients: 0 }],
  ["fractional maxClients", { ratePerSecond: 1, burst: 1, maxClients: 1.5 }],
];

for (const [name, options] of BAD_OPTIONS) {
  Deno.test(`RateLimiter() refuses ${name} with a RangeError`, () => {
    assert.throws(() => new RateLimiter(options), RangeError);
  });
}
