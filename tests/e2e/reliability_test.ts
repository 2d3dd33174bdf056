/**
 * Fault injection (issue 5): real nodes on the test bed (and on loopback for the
 * one-node cases) running a journal skill that records every run, while nodes are
 * killed with -9, paused with SIGSTOP, restarted, stopped with SIGTERM mid-task,
 * overloaded and given deadlines shorter than their work. Every figure the issue
 * targets is measured and printed; what is asserted is what happened and in which
 * order (time bounds here are generous and only keep the waits finite). The detection
 * bound itself (dead within 2.5 s, 3 s on the LAN) is proven on a fake clock against the
 * real HealthChecker in tests/peers/health_detection_test.ts, and measured by
 * `deno task bench` (mesh: kill -9 → dead).
 */
import { strict as assert } from "node:assert";
import { startNode, type TestNode } from "./_node.ts";
import { createTestbed, nodeControl, testbedUnavailable } from "./_testbed.ts";
import {
  exactlyOnce,
  type JournalSkill,
  journalTask,
  makeJournalSkill,
  peerRows,
  peerState,
  processesMentioning,
  routedRecords,
  rssKib,
  runTaskStream,
  sendTask,
  type StreamedTask,
  type TaskAnswer,
  touched,
  until,
  validRetryAfter,
} from "./_reliability.ts";
import { skillsUnavailable } from "../_helpers/bwrap.ts";

// Every case runs the journal skill, a Python skill, as a node runs it: in bubblewrap.
const noSkills = await skillsUnavailable({ python: true });
if (noSkills) console.log(`reliability_test skipped: ${noSkills}`);
const testbedMissing = await testbedUnavailable();
if (testbedMissing && !noSkills) {
  console.log(`reliability_test (test bed cases) skipped: ${testbedMissing}`);
}
/** Why a test-bed case cannot run here, or null. */
const bedUnavailable = noSkills ?? testbedMissing;
const TOKEN = "reliability-token";
const env = { SKILLLITE_SWARM_TOKEN: TOKEN };
/**
 * The issue's target for a kill -9'd peer to stop receiving tasks, with default health
 * flags: here only the base of generous waits (see the module doc for where it is proven).
 */
const DEAD_TARGET_MS = 3_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const executorArgs = (skill: JournalSkill, extra: string[] = []) => [
  "--skills-dir",
  skill.skillsDir,
  ...extra,
];
/** An empty skills dir for routers: they can only forward. */
const NO_SKILLS = await Deno.makeTempDir({ prefix: "swarm-noskills-" });
globalThis.addEventListener("unload", () => Deno.removeSync(NO_SKILLS, { recursive: true }));
const routerArgs = ["--skills-dir", NO_SKILLS];
const NO_RATE_LIMIT = ["--task-rate", "0"];

async function waitAlive(router: TestNode, peers: TestNode[], timeoutMs = 15_000) {
  await until(
    `${peers.map((p) => p.nodeId).join(", ")} alive in the router's table`,
    async () => {
      const rows = await peerRows(router.url, TOKEN);
      return peers.every((p) => rows.some((row) => row.id === p.nodeId && row.state === "alive"));
    },
    timeoutMs,
  );
}

function summary(answer: TaskAnswer & { id?: string }): string {
  return `${answer.id ?? ""} → ${answer.status} ${answer.error ?? answer.text.slice(0, 200)}`;
}

function countOf(lines: string[], id: string): number {
  return lines.filter((l) => l === id).length;
}

/** The skill's printed result inside a NodeResult body. */
function skillOutput(answer: TaskAnswer): { task_id: string; seq: number; node: string } {
  return JSON.parse(String(answer.body?.response));
}

Deno.test({
  name:
    "reliability: a steady stream through a router survives kill -9, SIGSTOP and a restart, each task answered and run exactly once",
  ignore: bedUnavailable !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const bed = await createTestbed({ nodes: 4 });
    const skills = await Promise.all(["E1", "E2", "E3"].map((l) => makeJournalSkill(l)));
    const e3DataDir = await Deno.makeTempDir({ prefix: "swarm-e3-" });
    try {
      const [r, e1, e2, e3] = await Promise.all([
        bed.startNode(bed.hosts[0], { env, args: routerArgs }),
        bed.startNode(bed.hosts[1], {
          env,
          args: executorArgs(skills[0], ["--max-concurrent-tasks", "1"]),
        }),
        bed.startNode(bed.hosts[2], { env, args: executorArgs(skills[1]) }),
        bed.startNode(bed.hosts[3], { env, args: executorArgs(skills[2]), dataDir: e3DataDir }),
      ]);
      await waitAlive(r, [e1, e2, e3]);

      const MIN_TASKS = 200;
      const MAX_TASKS = 500;
      const TASKS_AFTER_FAULTS = 24;
      let sentWhenFaultsDone: number | undefined;
      let abort = false;
      let sentSoFar = 0;
      const startedAt = Date.now();
      const stream = runTaskStream(r.url, {
        token: TOKEN,
        concurrency: 8,
        sleepMs: 200,
        keepGoing: (sent) => {
          sentSoFar = sent;
          if (abort || sent >= MAX_TASKS) return false;
          return sent < MIN_TASKS || sentWhenFaultsDone === undefined ||
            sent < sentWhenFaultsDone + TASKS_AFTER_FAULTS;
        },
      });

      const faultLog: string[] = [];
      const note = (what: string) => faultLog.push(`${Date.now() - startedAt} ms: ${what}`);
      const runningOn = async (skill: JournalSkill) => {
        let ids: string[] = [];
        await until(
          `${skill.label} runs a task of the stream`,
          async () => {
            ids = await skill.running();
            return ids.length > 0;
          },
          15_000,
          10,
        );
        return ids;
      };
      let killedTask = "";
      let pausedWith: string[] = [];
      let drainedWith: string[] = [];
      let e3Exit = -1;
      const probe = journalTask({ seq: -1, sleepMs: 1_000 });
      let drainProbe: Promise<TaskAnswer> | undefined;
      let e3RestartedAt = Infinity;
      const faults = (async () => {
        // E1 (one task at a time) dies with -9 while a run of its skill is under way.
        [killedTask] = await runningOn(skills[0]);
        await e1.kill();
        note(`E1 killed -9 while running ${killedTask}`);
        // E2 is paused for 3 s with work in flight, then resumed.
        pausedWith = await runningOn(skills[1]);
        await e2.pause();
        note(`E2 paused while running ${pausedWith.length} task(s)`);
        await sleep(3_000);
        await e2.resume();
        note("E2 resumed");
        await waitAlive(r, [e2], 10_000);
        note("E2 alive again in R's table");
        // E3 is stopped with SIGTERM while it runs tasks (at least a 1 s task sent to it
        // directly, whatever R's choices), and started again on the same port and data dir.
        drainProbe = sendTask(e3.url, probe, { token: TOKEN });
        await until(
          "E3 runs the drain probe",
          async () => (await skills[2].started()).includes(probe.id),
          10_000,
          10,
        );
        drainedWith = await skills[2].running();
        e3Exit = await e3.stop();
        note(`E3 exited with ${e3Exit} after SIGTERM while running ${drainedWith.length} task(s)`);
        const e3b = await bed.startNode(bed.hosts[3], {
          env,
          args: executorArgs(skills[2]),
          port: e3.port,
          dataDir: e3DataDir,
        });
        note("E3 restarted");
        e3RestartedAt = Date.now();
        await waitAlive(r, [e3b], 15_000);
        note("E3 alive again in R's table");
        sentWhenFaultsDone = sentSoFar;
      })();
      let results: StreamedTask[];
      try {
        await faults;
      } finally {
        abort = sentWhenFaultsDone === undefined;
        results = await stream;
      }
      const elapsed = Date.now() - startedAt;
      console.log(`reliability stream: ${faultLog.join("; ")}`);

      assert.equal(e3Exit, 0, "E3 did not exit 0 on SIGTERM");
      assert.ok(
        results.length >= MIN_TASKS && results.length <= MAX_TASKS,
        `${results.length} tasks sent`,
      );
      const bad = results.filter((t) => t.status !== 200 || t.body?.task_completed !== true);
      assert.deepEqual(bad.map(summary), [], "every task must be answered 200 completed");
      for (const t of results) assert.equal(t.body?.task_id, t.id);

      const journals = {
        E1: await skills[0].lines(),
        E2: await skills[1].lines(),
        E3: await skills[2].lines(),
      };
      assert.ok(drainProbe);
      const probeAnswer = await drainProbe;
      assert.equal(probeAnswer.status, 200, summary(probeAnswer));
      assert.equal(probeAnswer.body?.task_completed, true, summary(probeAnswer));
      const ids = [...results.map((t) => t.id), probe.id];
      const check = exactlyOnce(ids, journals);
      assert.deepEqual(check.duplicated, [], "tasks that ran twice");
      assert.deepEqual(check.missing, [], "answered tasks that never ran to the end");
      assert.deepEqual(check.unexpected, [], "journal lines of tasks never sent");
      for (const t of results) {
        assert.deepEqual(check.where.get(t.id), [skillOutput(t).node], `${t.id} ran elsewhere`);
      }
      assert.ok(!journals.E1.includes(killedTask), "the run killed with E1 reached its journal");
      assert.ok(ids.includes(killedTask), "E1 ran a task of another stream");
      for (const id of drainedWith) {
        assert.ok(
          journals.E3.includes(id),
          `${id}, running on E3 at SIGTERM, was not finished there`,
        );
      }

      const retried = routedRecords(r.logs).filter((rec) => (rec.attempts ?? []).length > 0);
      console.log(
        `reliability stream: ${results.length} tasks in ${elapsed} ms; ran on E1 ${journals.E1.length}, ` +
          `E2 ${journals.E2.length}, E3 ${journals.E3.length}; ${retried.length} needed a retry at R; ` +
          `killed task ${killedTask} answered by ${
            check.where.get(killedTask)
          }; tasks running on paused ` +
          `E2 ran on ${pausedWith.map((id) => check.where.get(id)).join(", ")}; restarted E3 ran ` +
          `${
            results.filter((t) => t.sentAt > e3RestartedAt && skillOutput(t).node === "E3").length
          } ` +
          "tasks",
      );
    } finally {
      await bed.remove();
      await Promise.all(skills.map((s) => s.remove()));
      await Deno.remove(e3DataDir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "reliability: a killed peer is marked dead and then receives no task; a paused peer is suspected and recovers",
  ignore: bedUnavailable !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const bed = await createTestbed({ nodes: 3 });
    const skills = await Promise.all(["E1", "E2"].map((l) => makeJournalSkill(l)));
    try {
      const [r, e1, e2] = await Promise.all([
        bed.startNode(bed.hosts[0], { env, args: routerArgs }),
        bed.startNode(bed.hosts[1], { env, args: executorArgs(skills[0]) }),
        bed.startNode(bed.hosts[2], { env, args: executorArgs(skills[1]) }),
      ]);
      await waitAlive(r, [e1, e2]);
      await until("R reports E1's latency and load", async () => {
        const row = (await peerRows(r.url, TOKEN)).find((p) => p.id === e1.nodeId);
        return typeof row?.latency_ms === "number" && row !== undefined && "load" in row;
      }, 5_000);

      // Load through R while E1 is killed.
      let stopLoad = false;
      const load = runTaskStream(r.url, {
        token: TOKEN,
        concurrency: 4,
        sleepMs: 50,
        keepGoing: (sent) => !stopLoad && sent < 1_000,
      });
      let results: StreamedTask[] = [];
      let killedAt = 0;
      let deadAt = 0;
      try {
        await until(
          "E1 runs tasks of the load",
          async () => (await skills[0].lines()).length > 0,
          10_000,
        );
        killedAt = Date.now();
        await e1.kill();
        deadAt = await until(
          "R marks E1 dead",
          async () => await peerState(r.url, e1.nodeId, TOKEN) === "dead",
          DEAD_TARGET_MS + 5_000,
        );
        await sleep(1_000);
      } finally {
        stopLoad = true;
        results = await load;
      }
      // When a task reached R is bounded by when it was sent: the last task sent that
      // still tried E1 tells how long E1 kept receiving tasks.
      const sentAt = new Map(results.map((t) => [t.id, t.sentAt]));
      const touchedE1 = routedRecords(r.logs)
        .filter((rec) => touched(rec, e1.nodeId))
        .map((rec) => sentAt.get(rec.taskId) ?? 0)
        .filter((at) => at >= killedAt);
      const routedAwayMs = touchedE1.length ? Math.max(...touchedE1) - killedAt : 0;
      const deadMs = deadAt - killedAt;
      console.log(
        `reliability health: E1 dead in R's table ${deadMs} ms after kill -9; last task sent to R ` +
          `that tried it ${routedAwayMs} ms after (${touchedE1.length} tasks tried it); ${results.length} load tasks`,
      );
      const bad = results.filter((t) => t.status !== 200 || t.body?.task_completed !== true);
      assert.deepEqual(bad.map(summary), [], "load tasks must all succeed (retried on E2)");
      const afterDead = results.filter((t) => t.sentAt > deadAt).map((t) => t.id);
      assert.ok(afterDead.length > 0, "no load task was sent after E1 was marked dead");
      for (const id of afterDead) {
        assert.ok(
          routedRecords(r.logs, id).every((rec) => !touched(rec, e1.nodeId)),
          `task ${id}, sent after E1 was dead, was routed to it`,
        );
      }
      assert.ok(
        r.logs.some((l) => l.message === "peer_state" && l.peer === e1.nodeId && l.to === "dead"),
        "no peer_state log line for E1 → dead",
      );

      // E2 paused: suspected (or dead), then alive again after SIGCONT.
      const pausedAt = Date.now();
      await e2.pause();
      const seen = new Set<string>();
      let suspectAt = 0;
      try {
        suspectAt = await until("R stops trusting paused E2", async () => {
          const state = await peerState(r.url, e2.nodeId, TOKEN);
          seen.add(state);
          return state === "suspect" || state === "dead";
        }, DEAD_TARGET_MS + 5_000);
      } finally {
        await e2.resume();
      }
      const resumedAt = Date.now();
      const aliveAt = await until(
        "R sees resumed E2 alive",
        async () => await peerState(r.url, e2.nodeId, TOKEN) === "alive",
        10_000,
      );
      console.log(
        `reliability health: paused E2 ${[...seen].join("/")} after ${suspectAt - pausedAt} ms; ` +
          `alive again ${aliveAt - resumedAt} ms after SIGCONT`,
      );
      assert.ok(
        r.logs.some((l) => l.message === "peer_state" && l.peer === e2.nodeId && l.to === "alive"),
        "no peer_state log line for E2 → alive",
      );
      const after = await sendTask(r.url, journalTask({ seq: 1 }), { token: TOKEN });
      assert.equal(after.status, 200, summary(after));
      assert.equal(skillOutput(after).node, "E2");
    } finally {
      await bed.remove();
      await Promise.all(skills.map((s) => s.remove()));
    }
  },
});

Deno.test({
  name:
    "reliability: duplicate submissions, sequential, concurrent and across a restart, run once; a reused id with another body is 409",
  ignore: noSkills !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const skill = await makeJournalSkill("E");
    const dataDir = await Deno.makeTempDir({ prefix: "swarm-dup-" });
    const args = executorArgs(skill);
    let node = await startNode({ args, dataDir });
    try {
      const first = journalTask({ seq: 1, sleepMs: 200 });

      await t.step("the same task twice in a row: one run, the same answer", async () => {
        const a = await sendTask(node.url, first);
        const b = await sendTask(node.url, first);
        assert.equal(a.status, 200, summary(a));
        assert.equal(a.body?.task_completed, true, summary(a));
        assert.equal(b.status, 200, summary(b));
        assert.deepEqual(b.body, a.body);
        assert.equal(countOf(await skill.lines(), first.id), 1);
      });

      await t.step("ten copies at once: one run, ten identical answers", async () => {
        const task = journalTask({ seq: 2, sleepMs: 500 });
        const answers = await Promise.all(
          Array.from({ length: 10 }, () => sendTask(node.url, task)),
        );
        assert.deepEqual(answers.filter((a) => a.status !== 200).map(summary), []);
        for (const a of answers) assert.deepEqual(a.body, answers[0].body);
        assert.equal(answers[0].body?.task_completed, true);
        assert.equal(countOf(await skill.lines(), task.id), 1);
      });

      await t.step("the same id with another body: 409 task_conflict, nothing run", async () => {
        const other = journalTask({ id: first.id, seq: 99, sleepMs: 200 });
        const res = await sendTask(node.url, other);
        assert.equal(res.status, 409, summary(res));
        assert.equal(res.body?.error, "task_conflict");
        assert.equal(countOf(await skill.lines(), first.id), 1);
      });

      await t.step(
        "a duplicate after a restart with the same data dir: not run again",
        async () => {
          const task = journalTask({ seq: 3, sleepMs: 100 });
          const before = await sendTask(node.url, task);
          assert.equal(before.status, 200, summary(before));
          const port = node.port;
          assert.equal(await node.stop(), 0);
          node = await startNode({ args, dataDir, port });
          const after = await sendTask(node.url, task);
          assert.equal(after.status, 200, summary(after));
          assert.deepEqual(after.body, before.body);
          assert.equal(countOf(await skill.lines(), task.id), 1);
        },
      );
    } finally {
      await node.kill();
      await skill.remove();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "reliability: SIGTERM during a long task finishes and answers it, refuses new tasks with 503 draining, exits 0, and peers drop the node at once",
  ignore: bedUnavailable !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const bed = await createTestbed({ nodes: 2 });
    const skill = await makeJournalSkill("E");
    try {
      const [r, e] = await Promise.all([
        bed.startNode(bed.hosts[0], { env, args: routerArgs }),
        bed.startNode(bed.hosts[1], { env, args: executorArgs(skill) }),
      ]);
      await waitAlive(r, [e]);
      const long = journalTask({ seq: 1, sleepMs: 2_000 });
      const longAnswer = sendTask(e.url, long, { token: TOKEN });
      await until(
        "the long task runs",
        async () => (await skill.started()).includes(long.id),
        10_000,
        20,
      );
      await sleep(300);
      const termAt = Date.now();
      e.signal("SIGTERM");
      const dropped = until(
        "R drops E",
        async () => !(await peerRows(r.url, TOKEN)).some((p) => p.id === e.nodeId),
        5_000,
        20,
      );
      dropped.catch(() => {}); // awaited below; this only keeps an early failure handled
      await sleep(100);
      const [refused, ready] = await Promise.all([
        sendTask(e.url, journalTask({ seq: 2 }), { token: TOKEN, timeoutMs: 5_000 }),
        fetch(`${e.url}/readyz`, {
          headers: { authorization: `Bearer ${TOKEN}` },
          signal: AbortSignal.timeout(2_000),
        }).then(async (res) => ({ status: res.status, text: await res.text() })),
      ]);
      const droppedAt = await dropped;
      const droppedMs = droppedAt - termAt;
      const answer = await longAnswer;
      const exit = await e.exitedWithin("SIGTERM");
      console.log(
        `reliability drain: R dropped E ${droppedMs} ms after SIGTERM; long task answered ` +
          `${answer.answeredAt - termAt} ms after SIGTERM`,
      );

      assert.equal(refused.status, 503, summary(refused));
      assert.equal(refused.body?.error, "draining");
      assert.ok(validRetryAfter(refused.headers.get("retry-after")), "no valid Retry-After");
      assert.equal(ready.status, 503, ready.text);
      assert.equal(answer.status, 200, summary(answer));
      assert.equal(answer.body?.task_completed, true, summary(answer));
      assert.deepEqual(await skill.lines(), [long.id]);
      assert.equal(exit.code, 0, "E did not exit 0");
      // "At once": R dropped E while E was still draining its long task (not when E
      // exited, nor when health probes would have failed), because of E's goodbye.
      assert.ok(
        droppedAt < answer.answeredAt,
        `R dropped E ${droppedMs} ms after SIGTERM, after the long task was answered ` +
          `(${answer.answeredAt - termAt} ms after SIGTERM)`,
      );
      assert.ok(
        r.logs.some((l) =>
          l.message === "peer_left" && l.peer === e.nodeId && l.reason === "goodbye"
        ),
        "R logged no goodbye from E",
      );
    } finally {
      await bed.remove();
      await skill.remove();
    }
  },
});

Deno.test({
  name:
    "reliability: more concurrent tasks than the limits get 429 overloaded with Retry-After, the accepted ones complete, memory stays bounded",
  ignore: noSkills !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const skill = await makeJournalSkill("E");
    const node = await startNode({
      args: executorArgs(skill, ["--max-concurrent-tasks", "2", "--max-queued-tasks", "2"]),
    });
    try {
      const { pid } = await nodeControl(node);
      const rssBefore = await rssKib(pid);
      const answers = await Promise.all(
        Array.from(
          { length: 12 },
          (_, i) => sendTask(node.url, journalTask({ seq: i, sleepMs: 1_000 })),
        ),
      );
      const rssAfter = await rssKib(pid);
      const ok = answers.filter((a) => a.status === 200);
      const overloaded = answers.filter((a) => a.status === 429);
      console.log(
        `reliability overload: ${ok.length} accepted, ${overloaded.length} refused; ` +
          `RSS ${Math.round(rssBefore / 1024)} → ${Math.round(rssAfter / 1024)} MiB`,
      );
      assert.deepEqual(
        answers.filter((a) => a.status !== 200 && a.status !== 429).map(summary),
        [],
        "answers other than 200 and 429",
      );
      assert.ok(overloaded.length >= 1, "no task was refused");
      assert.ok(ok.length >= 4, `only ${ok.length} tasks accepted (2 running + 2 queued)`);
      for (const a of overloaded) {
        assert.equal(a.body?.error, "overloaded", summary(a));
        assert.ok(validRetryAfter(a.headers.get("retry-after")), "no valid Retry-After");
      }
      for (const a of ok) assert.equal(a.body?.task_completed, true, summary(a));
      assert.equal((await skill.lines()).length, ok.length);
      assert.ok(rssAfter < 400 * 1024, `RSS ${rssAfter} KiB`);
    } finally {
      await node.kill();
      await skill.remove();
    }
  },
});

Deno.test({
  name:
    "reliability: a deadline shorter than the work answers 504 across two hops in time, and the remote skill process is killed",
  ignore: bedUnavailable !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const bed = await createTestbed({ nodes: 2 });
    const skill = await makeJournalSkill("E");
    try {
      const [r, e] = await Promise.all([
        bed.startNode(bed.hosts[0], { env, args: routerArgs }),
        bed.startNode(bed.hosts[1], { env, args: executorArgs(skill) }),
      ]);
      await waitAlive(r, [e]);
      const DEADLINE_MS = 1_500;
      const WORK_MS = 10_000;
      const task = journalTask({ seq: 1, sleepMs: WORK_MS, timeoutMs: DEADLINE_MS });
      const answer = await sendTask(r.url, task, { token: TOKEN, timeoutMs: 15_000 });
      const tookMs = answer.answeredAt - answer.sentAt;
      console.log(
        `reliability deadline: ${DEADLINE_MS} ms budget answered ${answer.status} after ${tookMs} ms`,
      );
      assert.equal(answer.status, 504, summary(answer));
      assert.equal(answer.body?.error, "timeout");
      // The 504 came before the work could have ended: the deadline answered it.
      assert.ok(tookMs < WORK_MS, `answered after ${tookMs} ms, the work takes ${WORK_MS} ms`);
      // Left alone, the skill would run until WORK_MS after it started: gone well before
      // that (and with no journal line, below), it was killed.
      const goneAt = await until(
        "E's skill process to be gone after the 504",
        async () => (await processesMentioning(skill.entry)).length === 0,
        WORK_MS - DEADLINE_MS - 3_000,
        20,
      );
      console.log(
        `reliability deadline: skill process gone ${goneAt - answer.answeredAt} ms after the 504`,
      );
      assert.ok((await skill.started()).includes(task.id), "the task never ran on E");
      assert.deepEqual(await skill.lines(), []);
    } finally {
      await bed.remove();
      await skill.remove();
    }
  },
});

Deno.test({
  name: "reliability: 30 s of steady load marks no live peer dead or suspect",
  ignore: bedUnavailable !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const bed = await createTestbed({ nodes: 3 });
    const skills = await Promise.all(["E1", "E2"].map((l) => makeJournalSkill(l)));
    try {
      const [r, e1, e2] = await Promise.all([
        // One test client sends ~100 tasks/s through one router: above the default
        // per-client task rate, which this test is not about.
        bed.startNode(bed.hosts[0], { env, args: [...routerArgs, ...NO_RATE_LIMIT] }),
        bed.startNode(bed.hosts[1], { env, args: [...executorArgs(skills[0]), ...NO_RATE_LIMIT] }),
        bed.startNode(bed.hosts[2], { env, args: [...executorArgs(skills[1]), ...NO_RATE_LIMIT] }),
      ]);
      await waitAlive(r, [e1, e2]);
      const end = Date.now() + 30_000;
      const results = await runTaskStream(r.url, {
        token: TOKEN,
        concurrency: 8,
        sleepMs: 50,
        keepGoing: (sent) => Date.now() < end && sent < 5_000,
      });
      const changes = r.logs.filter((l) => l.message === "peer_state");
      console.log(
        `reliability load: ${results.length} tasks in 30 s through R; peer state changes: ${changes.length}`,
      );
      assert.deepEqual(changes, [], "a live peer changed state under load");
      const bad = results.filter((t) => t.status !== 200 || t.body?.task_completed !== true);
      assert.deepEqual(bad.map(summary), []);
      const lines = [...await skills[0].lines(), ...await skills[1].lines()];
      assert.equal(lines.length, results.length, "every task ran exactly once");
      assert.ok((await skills[0].lines()).length > 0 && (await skills[1].lines()).length > 0);
    } finally {
      await bed.remove();
      await Promise.all(skills.map((s) => s.remove()));
    }
  },
});
