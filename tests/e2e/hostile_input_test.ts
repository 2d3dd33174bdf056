/**
 * The hostile-input suite (issue 6): thousands of generated malformed requests —
 * bodies, content types, credentials, headers, paths, methods, query strings, raw
 * HTTP/1.1 bytes — sent to ONE real node started through the installed launcher, with
 * a bearer token, a Deno KV file in a temp data dir and one Deno skill (echo).
 *
 * Asserted: every answer is a 4xx JSON error `{error, message}` (raw TCP cases: no 5xx,
 * an answer or a close), never a hang or a reset; no answer or log line echoes the
 * token or the credentials sent; `/healthz` stays 200 between batches and a valid task
 * still runs at the end; the node's RSS grows by less than 64 MiB over the main round
 * (measured from the end of a warm-up round that sends every family, small, and the
 * large bodies in full); after a graceful stop every task record in its KV file is
 * complete, and none belongs to a refused request. The two steps after the memory
 * check are the bugs the first run of this suite found (a body cut short answered 5xx,
 * a deeply nested input answered 5xx), kept as regression checks.
 *
 * Each family is a fast-check property bounded in runs and time. A failure prints the
 * seed and path; `HOSTILE_SEED=<seed>` replays a run (every family uses that seed).
 *
 * The second security round (issue 12) attacks from the other sides, each finding with
 * its own end-to-end test (docs/threat-model.md, claims 31-44):
 * - a LAN intruder announcing itself on mDNS, a spoofed or relaying seed, a SkillLite
 *   peer without the opt-in: `membership_test.ts`;
 * - a malicious skill (imports, symlinks, secrets, memory, processes, disk):
 *   `skill_sandbox_test.ts`;
 * - a malicious peer (huge answers, endless progress, redirects, load lies, refusals
 *   and garbage): `hostile_peer_test.ts`;
 * - symlinked keyrings, multi-capability scopes, error names, terminal escapes, auth
 *   floods, token lifetime, slowloris bodies, DNS rebinding: `hardening_test.ts`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import fc from "fast-check";
import { generateKeyPair, SignJWT } from "jose";
import { KV_FILE } from "../../lib/store/open_store.ts";
import { parseNodeResult } from "../../lib/protocol/validate.ts";
import type { TaskRecord } from "../../lib/store/task_store.ts";
import { FIXTURE_SKILLS, postTask, startNode, type TestNode } from "./_node.ts";
import {
  acceptedContentType,
  type BodyPlan,
  deepInputTask,
  echoTask,
  HOSTILE_ID_PREFIX,
  type HostileRequest,
  invalidJsonBody,
  MAX_BODY_BYTES,
  MAX_CHUNKS,
  oversizeBody,
  ROUTES,
  wrongContentType,
  wrongShapeBody,
} from "./_hostile.ts";
import {
  authorizationValue,
  badAuthorization,
  badDeadline,
  overlongHeaders,
  randomHeaders,
  type RogueAlg,
  type SignRogueJwt,
} from "./_hostile_headers.ts";
import {
  canDoQuery,
  longUnknownPath,
  tagsOverLimits,
  unknownPath,
  wrongMethod,
} from "./_hostile_paths.ts";
import { rawRequest, truncatedBodyRequest } from "./_hostile_raw.ts";
import { type Answer, processTreeRssKiB, rawExchange, send } from "./_hostile_io.ts";
import { skillsUnavailable } from "../_helpers/bwrap.ts";

// Their nodes hold the echo-deno skill (Deno, sandboxed in bubblewrap): without a sandbox it is
// not advertised, so those tests would route nothing.
const noSkills = await skillsUnavailable();
if (noSkills) {
  console.log(`hostile_input_test (tests whose nodes hold a fixture skill) skipped: ${noSkills}`);
}

const TOKEN = `hostile-token-${crypto.randomUUID().replaceAll("-", "")}`;
const AUTH: [string, string] = ["authorization", `Bearer ${TOKEN}`];
const JSON_TYPE: [string, string] = ["content-type", "application/json"];
const SEED = Number(Deno.env.get("HOSTILE_SEED") ?? Math.floor(Math.random() * 2 ** 31));
const MAX_RSS_GROWTH_KIB = 64 * 1024;
/** Share of each family's runs and time the warm-up round spends. */
const WARM_UP_SCALE = 0.2;
/**
 * Share of their time limit the two full warm-up rounds of heavy families may take
 * (all time limits add up to about 70 s, for a slow two-core machine).
 */
const HEAVY_WARM_UP_TIME_SCALE = 0.5;
const encoder = new TextEncoder();

/** One family of hostile requests: a generator and what every answer must satisfy. */
interface Family<T> {
  /** Step name: the requests and the answer they must get. */
  name: string;
  arbitrary: fc.Arbitrary<T>;
  /** Most runs (requests) per round; a slow machine may do fewer in `timeLimitMs`. */
  numRuns: number;
  timeLimitMs: number;
  /** Sends one request built from `value` and asserts the answer. */
  check(value: T): Promise<void>;
  /**
   * Sends large bodies: run in full in the warm-up too, so that the node's allocator
   * reaches its high-water mark before the memory baseline is read.
   */
  heavy?: boolean;
}

function family<T>(f: Family<T>): Family<unknown> {
  return f as Family<unknown>;
}

/**
 * Runs a family as a fast-check property, its runs scaled by `scale` and its time limit
 * by `timeScale`; returns the number of requests sent.
 */
async function runFamily(
  f: Family<unknown>,
  seed: number,
  scale: number,
  timeScale = scale,
): Promise<number> {
  let count = 0;
  await fc.assert(
    fc.asyncProperty(f.arbitrary, async (value) => {
      count++;
      await f.check(value);
    }),
    {
      seed,
      numRuns: Math.max(1, Math.ceil(f.numRuns * scale)),
      plugins: [fc.interruptAfterTimeLimit(f.timeLimitMs * timeScale)],
    },
  );
  return count;
}

/** A 4xx JSON error body `{error: string, message: string}` that does not echo the token. */
function assertJsonError(answer: Answer, expected?: number[]): void {
  const context = `${answer.status} ${answer.contentType} ${answer.text.slice(0, 300)}`;
  assert.ok(answer.status >= 400 && answer.status < 500, `expected a 4xx, got ${context}`);
  if (expected) {
    // A rate limit may refuse anything, before any other check.
    assert.ok(
      expected.includes(answer.status) || answer.status === 429,
      `expected ${expected.join("/")}, got ${context}`,
    );
  }
  assert.match(answer.contentType, /^application\/json\b/, context);
  const body = JSON.parse(answer.text);
  assert.equal(typeof body.error, "string", context);
  assert.equal(typeof body.message, "string", context);
  assert.ok(!answer.text.includes(TOKEN), `the answer echoes the token: ${context}`);
}

function taskRequest(body: BodyPlan, headers: Array<[string, string]> = []): HostileRequest {
  return { method: "POST", path: "/task", headers: [AUTH, ...headers], body };
}

function whole(bytes: Uint8Array<ArrayBuffer>): BodyPlan {
  return { bytes, chunked: false, chunkSize: bytes.length };
}

function hostileTaskBytes(uuid: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(JSON.stringify(echoTask(`${HOSTILE_ID_PREFIX}${uuid}`)));
}

async function assertHealthy(node: TestNode): Promise<void> {
  const answer = await send(node.url, { method: "GET", path: "/healthz", headers: [AUTH] });
  assert.equal(answer.status, 200, `/healthz: ${answer.status} ${answer.text.slice(0, 200)}`);
}

async function runEcho(node: TestNode, id: string): Promise<void> {
  const res = await postTask(node.url, echoTask(id, { n: 1 }), { token: TOKEN, timeoutMs: 30_000 });
  assert.equal(res.status, 200, res.text);
  assert.equal((res.body as Record<string, unknown>).task_completed, true, res.text);
}

/** Signs JWTs with keys the node has never seen. */
async function rogueSigner(): Promise<SignRogueJwt> {
  const keys: Record<RogueAlg, CryptoKey | Uint8Array> = {
    EdDSA: (await generateKeyPair("EdDSA")).privateKey,
    ES256: (await generateKeyPair("ES256")).privateKey,
    HS256: crypto.getRandomValues(new Uint8Array(32)),
  };
  return (alg: RogueAlg, claims: Record<string, unknown>, kid: string | null) =>
    new SignJWT(claims).setProtectedHeader(kid === null ? { alg } : { alg, kid }).sign(keys[alg]);
}

/** What the families record for the final checks. */
interface Observed {
  /** Ids of tasks the node answered 200: the only ones that may have a record. */
  accepted: Set<string>;
  /** Long credentials sent, which no log line may hold. */
  credentials: Set<string>;
}

/** The families every answer of which must be right today. */
function regularFamilies(
  node: TestNode,
  sign: SignRogueJwt,
  observed: Observed,
): Family<unknown>[] {
  const malformedTargets = fc.constantFrom<HostileRequest>(
    taskRequest(whole(encoder.encode("{")), [JSON_TYPE]),
    taskRequest(whole(encoder.encode("[]")), [JSON_TYPE]),
    taskRequest(whole(encoder.encode("{}")), [["content-type", "text/plain"]]),
    { method: "GET", path: "/no-such-route", headers: [AUTH] },
    { method: "DELETE", path: "/status", headers: [AUTH] },
  );
  return [
    family({
      name: "POST /task: invalid JSON → 400/422",
      arbitrary: fc.tuple(invalidJsonBody(), acceptedContentType()),
      numRuns: 700,
      timeLimitMs: 5_000,
      heavy: true,
      async check([body, type]) {
        const answer = await send(node.url, taskRequest(body, [["content-type", type]]));
        assertJsonError(answer, [400, 413, 422]);
      },
    }),
    family({
      name: "POST /task: wrong shapes → 422",
      arbitrary: fc.tuple(wrongShapeBody(), acceptedContentType()),
      numRuns: 700,
      timeLimitMs: 4_000,
      async check([body, type]) {
        const answer = await send(node.url, taskRequest(body, [["content-type", type]]));
        assertJsonError(answer, [413, 422]);
      },
    }),
    family({
      name: `POST /task: bodies over ${MAX_BODY_BYTES} bytes, whole or chunked → 413`,
      arbitrary: oversizeBody(),
      numRuns: 150,
      timeLimitMs: 3_000,
      heavy: true,
      async check(body) {
        const answer = await send(node.url, taskRequest(body, [JSON_TYPE]));
        assertJsonError(answer, [413]);
      },
    }),
    family({
      name: "POST /task: wrong, missing or odd content types → 415",
      arbitrary: fc.tuple(wrongContentType(), fc.boolean(), fc.uuid()),
      numRuns: 300,
      timeLimitMs: 2_000,
      async check([type, chunked, uuid]) {
        const body = { bytes: hostileTaskBytes(uuid), chunked, chunkSize: 512 };
        const headers: Array<[string, string]> = type === null ? [] : [["content-type", type]];
        assertJsonError(await send(node.url, taskRequest(body, headers)), [415]);
      },
    }),
    family({
      name: "credentials: missing, malformed, JWT-shaped, alg none, rogue-signed → 401",
      arbitrary: fc.tuple(
        badAuthorization(),
        fc.constantFrom(
          "POST /task",
          "GET /status",
          "GET /can-do?required=echo",
          // /healthz and /readyz are public: a credential there is ignored.
          "GET /no-such-route",
        ),
        fc.uuid(),
      ),
      numRuns: 700,
      timeLimitMs: 5_000,
      async check([recipe, target, uuid]) {
        const value = await authorizationValue(recipe, TOKEN, sign);
        const [method, path] = target.split(" ");
        const headers: Array<[string, string]> = value === null ? [] : [["authorization", value]];
        if (method === "POST") headers.push(JSON_TYPE);
        const body = method === "POST" ? whole(hostileTaskBytes(uuid)) : undefined;
        const answer = await send(node.url, { method, path, headers, body });
        // 431: a header limit may refuse a very long credential before authentication.
        assertJsonError(answer, [401, 431]);
        const credential = value?.trim().split(/\s+/).at(-1) ?? "";
        for (const secret of [value?.trim() ?? "", credential]) {
          if (secret.length < 8) continue;
          assert.ok(!answer.text.includes(secret), `the answer echoes ${secret.slice(0, 40)}`);
          if (observed.credentials.size < 500) observed.credentials.add(secret);
        }
      },
    }),
    family({
      name: "random header names and values on refused requests → 4xx JSON",
      arbitrary: fc.tuple(malformedTargets, randomHeaders()),
      numRuns: 400,
      timeLimitMs: 3_000,
      async check([request, extra]) {
        const headers = [...request.headers, ...extra];
        assertJsonError(await send(node.url, { ...request, headers }));
      },
    }),
    family({
      name: "header blocks over the limits → 431 (a bare 400 from the HTTP stack over 64 KiB)",
      arbitrary: fc.tuple(overlongHeaders(), fc.constantFrom("/status", "/task")),
      numRuns: 100,
      timeLimitMs: 2_000,
      async check([block, path]) {
        const answer = await send(node.url, {
          method: path === "/task" ? "POST" : "GET",
          path,
          headers: [AUTH, JSON_TYPE, ...block.headers],
          body: path === "/task" ? whole(encoder.encode("{}")) : undefined,
        });
        // Within what the HTTP stack takes (64 KiB, ~120 headers) the node's own limit
        // answers; beyond it the HTTP stack's bare 400 does.
        if (block.bytes < 60 * 1024 && block.headers.length <= 110) {
          return assertJsonError(answer, [431]);
        }
        if (answer.contentType.startsWith("application/json")) return assertJsonError(answer);
        assert.equal(answer.status, 400, `${answer.status} ${answer.text.slice(0, 200)}`);
        assert.equal(answer.text, "");
      },
    }),
    family({
      name: "unknown paths with percent-encoding garbage → 404 (401 without the token)",
      arbitrary: fc.tuple(unknownPath(), fc.boolean()),
      numRuns: 500,
      timeLimitMs: 3_000,
      async check([path, withToken]) {
        const answer = await send(node.url, {
          method: "GET",
          path,
          headers: withToken ? [AUTH] : [],
        });
        assertJsonError(answer, withToken ? [404] : [401]);
      },
    }),
    family({
      name:
        "unknown paths of 4–60 KiB → 414 over the target limit (else 404, or 401 without the token)",
      arbitrary: fc.tuple(longUnknownPath(), fc.boolean()),
      numRuns: 300,
      timeLimitMs: 3_000,
      heavy: true,
      async check([{ path }, withToken]) {
        const headers: Array<[string, string]> = withToken ? [AUTH] : [];
        const answer = await send(node.url, { method: "GET", path, headers });
        assertJsonError(answer, withToken ? [404, 414] : [401, 414]);
      },
    }),
    family({
      name: "known routes with the wrong method → 405 with allow",
      arbitrary: wrongMethod(),
      numRuns: 200,
      timeLimitMs: 2_000,
      async check({ path, method }) {
        const answer = await send(node.url, { method, path, headers: [AUTH] });
        assertJsonError(answer, [405]);
        if (answer.status === 405) assert.equal(answer.headers.get("allow"), ROUTES[path]);
      },
    }),
    family({
      name: "GET /can-do with malformed, repeated or odd params → a well-formed answer or 4xx",
      arbitrary: canDoQuery(),
      numRuns: 400,
      timeLimitMs: 3_000,
      async check(path) {
        const answer = await send(node.url, { method: "GET", path, headers: [AUTH] });
        if (answer.status !== 200) return assertJsonError(answer);
        const body = JSON.parse(answer.text);
        assert.equal(typeof body.can_do, "boolean", answer.text);
        assert.equal(body.instance_name, node.nodeId, answer.text);
      },
    }),
    family({
      name: "GET /can-do over the tag limits → 400 (414 over the target limit)",
      arbitrary: tagsOverLimits(),
      numRuns: 100,
      timeLimitMs: 2_000,
      async check({ path }) {
        const answer = await send(node.url, { method: "GET", path, headers: [AUTH] });
        assertJsonError(answer, [400, 414]);
      },
    }),
    family({
      name: "x-swarm-deadline-ms that is not a safe integer → 400",
      arbitrary: fc.tuple(badDeadline(), fc.uuid()),
      numRuns: 150,
      timeLimitMs: 2_000,
      async check([deadline, uuid]) {
        const headers: Array<[string, string]> = [JSON_TYPE, ["x-swarm-deadline-ms", deadline]];
        const answer = await send(node.url, taskRequest(whole(hostileTaskBytes(uuid)), headers));
        assertJsonError(answer, [400]);
      },
    }),
    family({
      name: "raw TCP: malformed request lines, versions, headers, NUL bytes → 4xx or close",
      arbitrary: rawRequest(TOKEN),
      numRuns: 400,
      timeLimitMs: 4_000,
      async check(raw) {
        const answer = await rawExchange(node.port, raw.bytes);
        const where = `${raw.kind}: ${JSON.stringify(answer.text.slice(0, 300))}`;
        assert.ok(answer.closed, `the node neither answered nor closed: ${where}`);
        assert.ok(answer.statuses.every((s) => s < 500), `5xx answer to ${where}`);
        assert.ok(!answer.text.includes(TOKEN), `the answer echoes the token: ${where}`);
      },
    }),
  ];
}

/**
 * The families of the bugs the first run of this suite found (issue 6), fixed since:
 * a task body the client cuts short was answered 5xx, and a task input nested
 * thousands of levels deep too. Each is now 4xx (or a close) or 200.
 */
function regressionFamilies(node: TestNode): Family<unknown>[] {
  return [
    family({
      name: "raw TCP: a task body cut short by the client → 4xx or close, never 2xx or 5xx",
      arbitrary: truncatedBodyRequest(TOKEN),
      numRuns: 40,
      timeLimitMs: 2_000,
      async check(raw) {
        const answer = await rawExchange(node.port, raw.bytes);
        const where = `${raw.kind}: ${JSON.stringify(answer.text.slice(0, 300))}`;
        assert.ok(answer.closed, `the node neither answered nor closed: ${where}`);
        // Half a body is never a task: a 2xx would mean something ran.
        assert.ok(
          answer.statuses.every((s) => s >= 400 && s < 500),
          `a status other than 4xx for ${where}`,
        );
      },
    }),
    family({
      name:
        "POST /task: a task whose input nests 1k–10k levels → 422 for its depth, never run, never 5xx",
      arbitrary: deepInputTask(),
      numRuns: 6,
      timeLimitMs: 3_000,
      async check({ bytes }) {
        const answer = await send(node.url, taskRequest(whole(bytes), [JSON_TYPE]));
        // Deeper than the input nesting limit (64 levels): refused for that reason.
        assertJsonError(answer, [422]);
        if (answer.status !== 429) {
          assert.match(JSON.parse(answer.text).message, /nests deeper than 64 levels/);
        }
      },
    }),
  ];
}

/** Checks the task records in the KV file of a stopped node; returns their ids. */
async function checkTaskRecords(kvPath: string): Promise<string[]> {
  const kv = await Deno.openKv(kvPath);
  const ids: string[] = [];
  try {
    for await (const entry of kv.list<TaskRecord>({ prefix: ["tasks"] })) {
      const [, id] = entry.key;
      const record = entry.value;
      const where = `record ${JSON.stringify(entry.key)}: ${JSON.stringify(record).slice(0, 300)}`;
      assert.equal(entry.key.length, 2, where);
      assert.equal(typeof id, "string", where);
      assert.ok(!String(id).startsWith(HOSTILE_ID_PREFIX), `a refused task left a ${where}`);
      assert.equal(record.id, id, where);
      assert.match(record.fingerprint, /^[0-9a-f]{64}$/, where);
      assert.ok(Number.isFinite(record.nodeStartedMs) && Number.isFinite(record.startedMs), where);
      assert.equal(record.state, "done", `left running after a graceful stop: ${where}`);
      assert.ok(Number.isFinite(record.finishedMs), where);
      assert.equal(parseNodeResult(record.result).task_id, id, where);
      assert.ok(record.owner === undefined || typeof record.owner === "string", where);
      ids.push(String(id));
    }
  } finally {
    kv.close();
  }
  return ids;
}

/**
 * The largest bodies, whole and streamed, which the random warm-up may not happen to
 * send. Without them the first such bodies of the measured round can raise RSS by tens
 * of MiB once: memory the allocator keeps for reuse, not a leak.
 */
async function preload(node: TestNode): Promise<number> {
  let count = 0;
  for (const size of [MAX_BODY_BYTES - 1, 16 * MAX_BODY_BYTES]) {
    const bytes = encoder.encode("9".repeat(size));
    for (let i = 0; i < 15; i++) {
      const chunked = i % 3 !== 0;
      const chunkSize = Math.ceil(size / MAX_CHUNKS);
      const answer = await send(node.url, taskRequest({ bytes, chunked, chunkSize }, [JSON_TYPE]));
      assertJsonError(answer, [413, 422]);
      count++;
    }
  }
  return count;
}

Deno.test(
  "hostile input: malformed requests get 4xx JSON errors; the node stays healthy, bounded and consistent",
  { ignore: noSkills !== null },
  async (t) => {
    console.log(`hostile input: seed ${SEED} (replay with HOSTILE_SEED=${SEED})`);
    const dataDir = await Deno.makeTempDir({ prefix: "swarm-hostile-" });
    const begun = performance.now();
    const observed: Observed = { accepted: new Set(), credentials: new Set() };
    const mib = (kib: number) => Math.round(kib / 1024);
    let requests = 0;
    let node: TestNode | undefined;
    try {
      node = await startNode({
        dataDir,
        args: [
          "--skills-dir",
          `${FIXTURE_SKILLS}echo-deno`,
          "--max-body-bytes",
          String(MAX_BODY_BYTES),
          // No per-client task rate limit: thousands of refusals a second must each get
          // their own answer, not 429 (which the checks would accept anyway).
          "--task-rate",
          "0",
        ],
        env: { SKILLLITE_SWARM_TOKEN: TOKEN },
      });
      const live = node;
      const { pid } = live;
      const rss = () => processTreeRssKiB(pid);
      const regular = regularFamilies(live, await rogueSigner(), observed);
      const step = (f: Family<unknown>) =>
        t.step(f.name, async () => {
          const started = performance.now();
          const count = await runFamily(f, SEED, 1);
          requests += count;
          const ms = Math.round(performance.now() - started);
          console.log(`  ${count} requests in ${ms} ms; node RSS ${mib(await rss())} MiB`);
          await assertHealthy(live);
        });

      let baselineKiB = 0;
      await t.step("warm-up: valid tasks run, then a round of every family", async () => {
        for (let i = 0; i < 3; i++) {
          const id = `valid-${crypto.randomUUID()}`;
          await runEcho(live, id);
          observed.accepted.add(id);
        }
        for (const f of regular) requests += await runFamily(f, SEED + 1, WARM_UP_SCALE);
        for (const seed of [SEED + 2, SEED + 3]) {
          for (const f of regular.filter((f) => f.heavy)) {
            requests += await runFamily(f, seed, 1, HEAVY_WARM_UP_TIME_SCALE);
          }
        }
        requests += await preload(live);
        await assertHealthy(live);
        baselineKiB = await rss();
        console.log(`  ${requests} requests; node RSS ${mib(baselineKiB)} MiB`);
      });

      for (const f of regular) await step(f);

      await t.step("memory: RSS grew by less than 64 MiB since the warm-up", async () => {
        const endKiB = await rss();
        console.log(
          `  ${requests} requests; node RSS ${mib(baselineKiB)} MiB after the warm-up, ` +
            `${mib(endKiB)} MiB now: growth ${mib(endKiB - baselineKiB)} MiB ` +
            `(limit ${mib(MAX_RSS_GROWTH_KIB)} MiB)`,
        );
        assert.ok(baselineKiB > 0, "no baseline: the warm-up failed");
        assert.ok(endKiB > 0, "RSS read from /proc");
        assert.ok(endKiB - baselineKiB < MAX_RSS_GROWTH_KIB, "RSS grew by 64 MiB or more");
      });

      // The bugs the first run found, fixed since: kept as regression checks.
      for (const f of regressionFamilies(live)) await step(f);
      await t.step(
        "afterwards: healthy, a valid task runs, no credential in the logs",
        async () => {
          await assertHealthy(live);
          const id = `valid-${crypto.randomUUID()}`;
          await runEcho(live, id);
          observed.accepted.add(id);
          const logs = [...live.rawLines, ...live.logs.map((l) => JSON.stringify(l))];
          for (const secret of [TOKEN, ...observed.credentials]) {
            const line = logs.find((l) => l.includes(secret));
            assert.equal(line, undefined, `a log line holds a credential: ${line?.slice(0, 200)}`);
          }
          const internal = live.logs.filter((l) => l.message === "Unhandled error").length;
          console.log(`  ${requests} requests in all; ${internal} "Unhandled error" log lines`);
        },
      );

      await t.step(
        "after a graceful stop: every task record is complete, none from a refusal",
        async () => {
          assert.equal(await live.stop(), 0, "exit code of a graceful stop");
          const ids = await checkTaskRecords(join(dataDir, KV_FILE));
          assert.deepEqual(ids.sort(), [...observed.accepted].sort());
        },
      );
    } finally {
      await node?.kill();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      console.log(`hostile input: ${Math.round(performance.now() - begun)} ms in all`);
    }
  },
);
