/**
 * Scenario 6, mesh: on the namespace test bed (real mDNS between network namespaces),
 * start → routable by every peer (`measureRoutable`, as docs/discovery.md reports it)
 * and kill -9 → marked dead by a peer (no task routed to it after that), against
 * avahi's own publish → browse time between two namespaces of the same bed.
 *
 * @module
 */
import { measureRoutable } from "../e2e/_discovery.ts";
import { type Avahi, avahiUnavailable, startAvahi } from "../e2e/_avahi.ts";
import { type BedNode, createTestbed, type Testbed, testbedUnavailable } from "../e2e/_testbed.ts";
import { sleep, track, which } from "./_proc.ts";
import { figure } from "./_stats.ts";
import type { BenchContext, Row, ScenarioResult } from "./_types.ts";

const TOKEN = "bench-mesh-token";
const SERVICE = "_swarm-bench._tcp";

/** Run counts of this scenario. */
export function meshPlan(quick: boolean) {
  return quick ? { runs: 2 } : { runs: 3 };
}

/** A peer's view of `nodeId` in its `/status` table: its state, or null when absent. */
async function stateIn(peer: BedNode, nodeId: string): Promise<string | null> {
  const status = await (await fetch(`${peer.url}/status`, {
    headers: { authorization: `Bearer ${TOKEN}` },
    signal: AbortSignal.timeout(5_000),
  })).json();
  const row = status.peers.find((p: { id: string }) => p.id === nodeId);
  return row ? row.state ?? "alive" : null;
}

/** Polls `check` every 20 ms until true; resolves with the time it became true. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check().catch(() => false)) return performance.now();
    await sleep(20);
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Runs scenario 6. */
export async function meshScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const started = performance.now();
  const plan = meshPlan(ctx.quick);
  const base = {
    number: 6,
    id: "mesh",
    title: "Mesh",
    reference: "avahi-daemon's publish → browse on the same bed",
    method: [
      `test bed: 5 network namespaces on one bridge (tests/e2e/_testbed.ts); nodes started through the installed launcher with --allow-net <bed cidr> and a token; ${plan.runs} runs per figure`,
      "routable: measureRoutable (tests/e2e/_discovery.ts): a new node in host 2 until both A (host 0) and B (host 1) list it, polling /status every 20 ms; from its swarm_started log line, and from the spawn of its process",
      "kill -9 → dead: a node in host 2, listed by A, is SIGKILLed; A's /status polled every 20 ms until its row is `dead` (dead peers get no task) — default health flags (probe every 1 s, dead after 2 failures)",
      `avahi: one avahi-daemon per namespace (hosts 3 and 4); \`avahi-browse -rp ${SERVICE}\` running in host 4, then \`avahi-publish-service\` in host 3; from the publish command's spawn to the browser's resolved line`,
    ],
    evidence: [],
  };
  const unavailable = await testbedUnavailable();
  if (unavailable) {
    return { ...base, rows: [], na: unavailable, durationMs: performance.now() - started };
  }
  const rows: Row[] = [];
  const bed = await createTestbed({ nodes: 5 });
  try {
    const env = { SKILLLITE_SWARM_TOKEN: TOKEN };
    const empty = await Deno.makeTempDir({ dir: ctx.tmp, prefix: "skills-mesh-" });
    const args = ["--skills-dir", empty];
    const [a, b] = await Promise.all(
      [bed.hosts[0], bed.hosts[1]].map((host) => bed.startNode(host, { env, args })),
    );

    ctx.log("mesh: start → routable");
    const routable: number[] = [];
    const sinceSpawn: number[] = [];
    for (let i = 0; i < plan.runs; i++) {
      const timing = await measureRoutable(
        () => bed.startNode(bed.hosts[2], { env, args }),
        [a, b],
        TOKEN,
      );
      routable.push(timing.routableMs);
      sinceSpawn.push(timing.sinceSpawnMs);
      await timing.node.stop();
      // Let the goodbye take the stopped node out of A's and B's tables.
      await until(
        "the stopped node to leave A",
        async () => await stateIn(a, timing.node.nodeId) === null,
        10_000,
      );
    }
    rows.push({
      id: "routable",
      label: "swarm node start → listed by both peers (mDNS)",
      figures: {
        sinceStarted: figure(routable, "ms"),
        sinceSpawn: figure(sinceSpawn, "ms"),
      },
    });

    ctx.log("mesh: kill -9 → dead");
    const dead: number[] = [];
    for (let i = 0; i < plan.runs; i++) {
      const d = await bed.startNode(bed.hosts[2], { env, args });
      await until(
        "A to list the new node",
        async () => await stateIn(a, d.nodeId) === "alive",
        15_000,
      );
      // Let A probe it alive at least once.
      await sleep(1_200);
      const killedAt = performance.now();
      await d.kill();
      const deadAt = await until("A to mark the killed node dead", async () => {
        const state = await stateIn(a, d.nodeId);
        return state === "dead" || state === null;
      }, 30_000);
      dead.push(deadAt - killedAt);
    }
    rows.push({
      id: "kill-dead",
      label: "kill -9 → marked dead by a peer (no task routed to it)",
      figures: { time: figure(dead, "ms") },
    });

    ctx.log("mesh: avahi publish → browse");
    rows.push(await avahiRow(bed, plan.runs));
  } finally {
    await bed.remove();
  }
  return { ...base, rows, durationMs: performance.now() - started };
}

/** avahi's publish → resolved-by-a-browser time between hosts 3 and 4. */
async function avahiRow(bed: Testbed, runs: number): Promise<Row> {
  const id = "avahi";
  const label = "avahi: avahi-publish-service → resolved by avahi-browse in another namespace";
  const missing = await avahiUnavailable();
  if (missing) return { id, label, figures: {}, na: missing };
  let publisher: Avahi | undefined;
  let browserDaemon: Avahi | undefined;
  try {
    [publisher, browserDaemon] = await Promise.all([
      startAvahi(bed.hosts[3]),
      startAvahi(bed.hosts[4]),
    ]);
    const resolved: number[] = [];
    const established: number[] = [];
    for (let i = 0; i < runs; i++) {
      const name = `bench-${Date.now().toString(36)}-${i}`;
      const browser = watchLines(
        [...bed.hosts[4].exec, which("avahi-browse") ?? "avahi-browse", "-rp", SERVICE],
        { DBUS_SYSTEM_BUS_ADDRESS: browserDaemon.busAddress },
      );
      try {
        await sleep(500);
        const t0 = performance.now();
        const seen = browser.waitFor((line) => line.startsWith("=") && line.includes(name), 15_000);
        const publication = await publisher.publish(name, SERVICE, 7000 + i, ["k=v"]);
        established.push(performance.now() - t0);
        resolved.push(await seen - t0);
        await publication.stop();
      } finally {
        await browser.stop();
      }
    }
    return {
      id,
      label,
      figures: {
        resolved: figure(resolved, "ms"),
        established: figure(established, "ms"),
      },
    };
  } catch (err) {
    return {
      id,
      label,
      figures: {},
      na: `avahi failed: ${(err as Error).message.split("\n")[0]}`,
      failed: true,
    };
  } finally {
    await publisher?.stop();
    await browserDaemon?.stop();
  }
}

/** A long-running command whose output lines can be waited for. */
function watchLines(argv: string[], env: Record<string, string>) {
  const [program, ...args] = argv;
  const child = track(
    new Deno.Command(program, { args, env, stdin: "null", stdout: "piped", stderr: "null" })
      .spawn(),
  );
  const lines: Array<{ line: string; at: number }> = [];
  const waiters = new Set<() => void>();
  (async () => {
    let buffer = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      const at = performance.now();
      buffer += chunk;
      const parts = buffer.split("\n");
      buffer = parts.pop() ?? "";
      for (const line of parts) lines.push({ line, at });
      waiters.forEach((w) => w());
    }
  })().catch(() => {});
  return {
    /** Resolves with the time the first matching line arrived. */
    waitFor(match: (line: string) => boolean, timeoutMs: number): Promise<number> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find((l) => match(l.line));
          if (!hit) return;
          done();
          resolve(hit.at);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${program} printed no matching line within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
    },
  };
}
