/**
 * The goals of issue 8 (ratios, not absolute times), evaluated on a run's figures; for
 * a missed goal, the cause as the run measured it (figures and evidence lines of the
 * same run) and what would close it.
 *
 * @module
 */
import type { Figure } from "./_stats.ts";
import type { GoalResult, Row, ScenarioResult } from "./_types.ts";

/** Bytes per MB (the goal speaks of MB) over bytes per MiB (what /proc gives). */
const MIB_IN_MB = 1.048576;

type Lookup = (scenario: string, row: string, figure: string) => Figure | undefined;

function lookupIn(scenarios: ScenarioResult[]): Lookup {
  return (scenario, row, name) =>
    scenarios.find((s) => s.id === scenario)?.rows.find((r: Row) => r.id === row)?.figures[name];
}

/** Evidence lines of a scenario whose title starts with `title`, matching `pattern`. */
function evidenceLines(
  scenarios: ScenarioResult[],
  scenario: string,
  title: string,
  pattern: RegExp,
  max = 3,
): string[] {
  const found = scenarios.find((s) => s.id === scenario)?.evidence
    .filter((e) => e.title.startsWith(title)).flatMap((e) => e.lines) ?? [];
  return found.filter((l) => pattern.test(l)).slice(0, max).map((l) => l.trim());
}

const fmt = (x: number) =>
  Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2);

interface GoalSpec {
  id: string;
  goal: string;
  limit: string;
  unit: string;
  /** The value and how it was computed, or null when a figure is missing. */
  measure(find: Lookup, scenarios: ScenarioResult[]): { value: number; detail: string } | null;
  met(value: number): boolean;
  /** The measured cause of a miss (figures and evidence of this run). */
  cause(find: Lookup, scenarios: ScenarioResult[]): string;
  /** What would close the gap. */
  close: string;
}

function ratio(
  find: Lookup,
  a: [string, string, string],
  b: [string, string, string],
  what: string,
): { value: number; detail: string } | null {
  const x = find(...a);
  const y = find(...b);
  if (!x || !y || y.median === 0) return null;
  return {
    value: x.median / y.median,
    detail: `${what}: ${fmt(x.median)} / ${fmt(y.median)} ${x.unit}`,
  };
}

/** The measured cause of a slow swarm hop: the forwarding node's JS time, KV writes, CPU. */
function forwardingCause(s: ScenarioResult[]): string {
  const cpu = evidenceLines(
    s,
    "forwarding",
    "CPU of the forwarding node",
    /ms CPU per task/,
    3,
  );
  const js = evidenceLines(s, "forwarding", "CPU profiles of a forwarding", /per task/, 1);
  const kv = evidenceLines(s, "forwarding", "Durable task records", /./, 4);
  return [
    js.length
      ? `a forwarding node admits each task as fully as the node that runs it: profiled under the same load, its ${
        js[0]
      }`
      : "",
    kv.length
      ? `and before answering it writes three durable task records (begin, owner, finish), which on this disk cost ${
        kv.join("; ")
      }`
      : "",
    cpu.length ? `its CPU per forwarded task by thread: ${cpu.join(", ")}` : "",
    "nginx only relays the bytes",
  ].filter(Boolean).join("; ");
}

const GOALS: GoalSpec[] = [
  {
    id: "noop-throughput",
    goal: "no-op throughput ≥ 0.5 × raw Deno.serve echo at 16 connections",
    limit: "≥ 0.5",
    unit: "×",
    measure: (find) =>
      ratio(
        find,
        ["overhead", "node-noop-c16", "rps"],
        ["overhead", "echo-c16", "rps"],
        "node tasks/s / echo req/s",
      ),
    met: (v) => v >= 0.5,
    cause: (find, s) => {
      const f = (row: string, name: string) => fmt(find("overhead", row, name)?.median ?? NaN);
      const parts = [
        `every task is a child process: the executor alone (work dir + /bin/sh, in the harness) does ${
          f("executor-c4", "rate")
        }/s at 4 at once, against ${
          f("echo-c16", "rps")
        } req/s for the echo, while the same node answers /healthz at ${
          f("node-healthz-c16", "rps")
        } req/s and a duplicate task (auth, validation, KV read, no run) at ${
          f("node-dedupe-c16", "rps")
        } req/s`,
        `spawning as runProcess does (\`detached: true\`: a new session) takes ${
          f("spawn-detached-c1", "p50")
        } ms p50 (${
          f("spawn-detached-c4", "rate")
        }/s at 4 at once) where the same spawn without it takes ${f("spawn-c1", "p50")} ms (${
          f("spawn-c4", "rate")
        }/s), in a small Deno process`,
      ];
      const cpu = evidenceLines(s, "overhead", "Node CPU per no-op task", /ms CPU per task/, 4);
      if (cpu.length) parts.push(`the node's CPU per task by thread: ${cpu.join(", ")}`);
      const busy = evidenceLines(s, "overhead", "CPU profiles", /^main isolate.*busy/, 1);
      const prof = evidenceLines(s, "overhead", "CPU profiles", /fn op_spawn_child|fn op_fs_/, 3);
      if (prof.length) {
        parts.push(`main isolate profile under load: ${[...busy, ...prof].join(", ")}`);
      }
      return parts.join("; ");
    },
    close:
      "spawn without `detached: true` (several times cheaper in scenario 1's spawn rows; the child can still get its own session from `setsid` as the program), keep trivial executions out of child processes (Deno skills in a pool of permission-scoped Workers, or one long-lived agent process fed over a pipe instead of one /bin/sh per task); the HTTP and KV path alone (dedupe row) already reaches thousands of req/s",
  },
  {
    id: "one-hop-vs-local",
    goal: "one-hop p50 ≤ 2 × local p50",
    limit: "≤ 2",
    unit: "×",
    measure: (find) =>
      ratio(
        find,
        ["forwarding", "one-hop", "p50"],
        ["forwarding", "local", "p50"],
        "one-hop p50 / local p50",
      ),
    met: (v) => v <= 2,
    cause: (_, s) => forwardingCause(s),
    close:
      "shorten the forwarding node's own path: one durable KV commit instead of three (begin, owner, finish) for a task it forwards, and less JS per admission",
  },
  {
    id: "one-hop-vs-nginx",
    goal: "one-hop p50 within 1.5 × the nginx hop",
    limit: "≤ 1.5",
    unit: "×",
    measure: (find) => {
      const base = ratio(
        find,
        ["forwarding", "one-hop", "p50"],
        ["forwarding", "nginx", "p50"],
        "one-hop p50 / nginx→E p50",
      );
      const local = find("forwarding", "local", "p50");
      const hop = find("forwarding", "one-hop", "p50");
      const nginx = find("forwarding", "nginx", "p50");
      if (!base || !local || !hop || !nginx) return base;
      return {
        value: base.value,
        detail: `${base.detail}; added over local: swarm hop ${
          fmt(hop.median - local.median)
        } ms, nginx ${fmt(nginx.median - local.median)} ms`,
      };
    },
    met: (v) => v <= 1.5,
    cause: (_, s) => forwardingCause(s),
    close:
      "a forwarding node does a whole task admission (auth, validation, durable KV records) where nginx only relays bytes: record forwarded tasks with one KV commit and skip the durable owner write when the peer is a swarm node that keeps its own record",
  },
  ...(["deno", "bwrap", "none"] as const).map((kind): GoalSpec => {
    const [row, bare, name] = kind === "deno"
      ? ["deno-sandbox", "deno-bare", "Deno skill under Deno permissions"]
      : kind === "bwrap"
      ? ["python-bwrap", "python-bare", "Python skill under bubblewrap"]
      : ["python-unsandboxed", "python-bare", "Python skill unsandboxed"];
    return {
      id: `sandbox-${kind}`,
      goal: `sandbox overhead ≤ 1.3 × bare spawn of the interpreter (${name})`,
      limit: "≤ 1.3",
      unit: "×",
      measure: (find) =>
        ratio(find, ["execution", row, "p50"], ["execution", bare, "p50"], `${row} / ${bare} p50`),
      met: (v) => v <= 1.3,
      cause: (find) => {
        if (kind !== "deno") {
          const p50 = (r: string, sc = "execution") => find(sc, r, "p50")?.median ?? NaN;
          const [b, u, w] = [p50("python-bare"), p50("python-unsandboxed"), p50("python-bwrap")];
          return [
            `the executor's own path (fresh work dir, scrubbed environment, a spawn with \`detached: true\`, output capture) adds ${
              fmt(u - b)
            } ms p50 over the bare spawn (${fmt(u)} against ${
              fmt(b)
            } ms); scenario 1 measures a detached spawn at ${
              fmt(p50("spawn-detached-c1", "overhead"))
            } ms against ${fmt(p50("spawn-c1", "overhead"))} ms for the same spawn without it`,
            ...(kind === "bwrap" ? [`bubblewrap adds ${fmt(w - u)} ms on top (${fmt(w)} ms)`] : []),
          ].join("; ");
        }
        const p50 = (r: string) => find("execution", r, "p50")?.median ?? NaN;
        const [warm, fresh, boxed] = [p50("deno-bare"), p50("deno-bare-fresh-cache"), p50(row)];
        return `each run gets an empty DENO_DIR inside its fresh work dir, so Deno compiles the skill again every time: a bare \`deno run\` takes ${
          fmt(fresh)
        } ms p50 with an empty DENO_DIR against ${fmt(warm)} ms with the warm cache (+${
          fmt(fresh - warm)
        } ms); the sandboxed run takes ${fmt(boxed)} ms, the remaining +${
          fmt(boxed - fresh)
        } ms being the executor's own path (work dir, permission flags, a spawn with \`detached: true\`, output capture)`;
      },
      close: kind === "deno"
        ? "give Deno skills a persistent, per-skill DENO_DIR (read-only to the skill, filled once per skill fingerprint) instead of one inside each task's work dir, and spawn without `detached: true` (see no-op throughput)"
        : kind === "bwrap"
        ? "spawn without `detached: true` (see no-op throughput) and create work dirs on a tmpfs; measure bubblewrap's own share again once those are gone"
        : "spawn without `detached: true` (see no-op throughput) and create work dirs on a tmpfs",
    };
  }),
  {
    id: "idle-rss",
    goal: "idle RSS ≤ 60 MB",
    limit: "≤ 60",
    unit: "MB",
    measure: (find) => {
      const rss = find("start-size", "idle-rss", "rss");
      if (!rss) return null;
      return { value: rss.median * MIB_IN_MB, detail: `idle RSS ${fmt(rss.median)} MiB` };
    },
    met: (v) => v <= 60,
    cause: (find, s) =>
      `the runtime floor for a node's shape (main isolate + permission-scoped worker + Deno KV, no swarm code) is ${
        fmt(find("start-size", "floor-worker", "rss")?.median ?? NaN)
      } MiB (one isolate serving HTTP: ${
        fmt(find("start-size", "floor-isolate", "rss")?.median ?? NaN)
      } MiB); of the node's ${fmt(find("start-size", "idle-rss", "rss")?.median ?? NaN)} MiB, ${
        fmt(find("start-size", "idle-rss", "file")?.median ?? NaN)
      } MiB are file-backed (the deno binary's mapped pages) and ${
        fmt(find("start-size", "idle-rss", "anon")?.median ?? NaN)
      } MiB anonymous (two V8 heaps, each loading swarm's module graph: ${
        evidenceLines(s, "start-size", "Module graph", /modules/, 2).join("; ")
      })`,
    close:
      "load fewer modules in each isolate (the worker and the main isolate both load the full graph; split entry points so the main isolate does not load HTTP/routing and the worker does not load skills/YAML) — the floor of ~50 MB leaves ~10 MB for swarm's code",
  },
  {
    id: "start-warm",
    goal: "start → ready ≤ 300 ms warm",
    limit: "≤ 300",
    unit: "ms",
    measure: (find) => {
      const t = find("start-size", "start-warm", "time");
      return t ? { value: t.median, detail: `spawn → /readyz 200: ${fmt(t.median)} ms` } : null;
    },
    met: (v) => v <= 300,
    cause: (find, s) =>
      `runtime floor (worker + KV): ${
        fmt(find("start-size", "floor-worker", "time")?.median ?? NaN)
      } ms; ${evidenceLines(s, "start-size", "Module graph", /modules/, 2).join("; ")}`,
    close: "smaller module graphs per isolate (see idle RSS)",
  },
  {
    id: "rss-growth",
    goal: "RSS after 10 000 tasks within 20 % of RSS after 1 000",
    limit: "≤ 1.2",
    unit: "×",
    measure: (find, scenarios) => {
      const rows = scenarios.find((s) => s.id === "start-size")?.rows
        .filter((r) => /^rss-after-\d+$/.test(r.id)) ?? [];
      if (rows.length < 2) return null;
      const [first, last] = [rows[0], rows[rows.length - 1]];
      const r = ratio(
        find,
        ["start-size", last.id, "rss"],
        ["start-size", first.id, "rss"],
        `${last.id} / ${first.id}`,
      );
      return r;
    },
    met: (v) => v <= 1.2,
    cause: (_, s) => {
      const rows = s.find((x) => x.id === "start-size")?.rows ?? [];
      const node = rows.filter((r) => /^rss-after-\d+$/.test(r.id));
      const [first, last] = [node[0], node[node.length - 1]];
      const tasks = (r: Row) => Number(r.id.replace("rss-after-", ""));
      const perTask = ((last.figures.rss.median - first.figures.rss.median) * 1024) /
        (tasks(last) - tasks(first));
      const refs = rows.filter((r) => r.id.startsWith("spawn-ref-") && r.figures.rss)
        .map((r) => `${r.id.replace("spawn-ref-", "")}: ${fmt(r.figures.rss.median)} MiB`);
      const heap = evidenceLines(s, "start-size", "Heap of both isolates", /growth per task/, 1);
      const chain = evidenceLines(
        s,
        "start-size",
        "Heap of both isolates",
        /timerListMap|activeDependents/,
        2,
      );
      return [
        `the node's RSS grew ${fmt(perTask)} KiB per task between ${tasks(first)} and ${
          tasks(last)
        } tasks`,
        heap.length ? `its live ${heap[0]} (inspector, after a full GC)` : "",
        chain.length
          ? `the worker's part is each task's deadline signal kept alive after the task: the heap snapshot's retainer chains for its AbortSignals run through ${
            [
              chain.some((l) => l.includes("timerListMap")) ? "Deno's pending-timer list" : "",
              chain.some((l) => l.includes("activeDependents"))
                ? "the shutdown signal's [[activeDependents]] set"
                : "",
            ].filter(Boolean).join(" and ")
          } (Deadline.signal() arms an AbortSignal.timeout for the whole task budget, 120 s by default, and nothing cancels it when the task ends; TaskRunner joins it to the node's shutdown signal with AbortSignal.any), so that memory is held until each timer fires`
          : "",
        refs.length
          ? `the rest is native memory of child processes: a plain deno process that only spawns the same child with piped stdio grows as much or more (${
            refs.join(", ")
          })`
          : "",
      ].filter(Boolean).join("; ");
    },
    close:
      "cancel the deadline timer when a task ends (a Deadline owning a clearable timer, disposed in TaskRunner's finally); stop paying a child process per trivial task (see no-op throughput) and report the per-spawn native growth of Deno.Command with piped stdio upstream; meanwhile a supervisor can recycle the node (drain + restart) past a memory mark",
  },
  {
    id: "routing-10k",
    goal: "routing with 10 000 peers ≤ 1 ms per decision",
    limit: "≤ 1",
    unit: "ms",
    measure: (find) => {
      const kinds = ["forward", "broadcast", "fallback"] as const;
      const figures = kinds.map((k) => find("table-scale", "decide-10000", k));
      if (figures.some((f) => !f)) return null;
      const worst = Math.max(...figures.map((f) => f!.median));
      return {
        value: worst,
        detail: `slowest kind of decision; ${
          kinds.map((k, i) => `${k} ${fmt(figures[i]!.median)} ms`).join(", ")
        }`,
      };
    },
    met: (v) => v <= 1,
    cause: (_, s) =>
      `profile of decideRoute at 10 000 peers: ${
        evidenceLines(s, "table-scale", "CPU profile of decideRoute", /fn .*lib\/routing/, 3)
          .join("; ")
      }: every decision sorts the whole candidate list with compareTieBreaks, which runs isLoopback (a split and a regex over the address) on both rows of each comparison, and the fallback chain's comparator builds two Sets per comparison`,
    close:
      "precompute each row's sort key once per decision (healthy, load, latency class, loopback, capability count) and select the best few with a partial sort instead of sorting every peer; keep a tag → peers index in the table",
  },
  {
    id: "sync-publish-10",
    goal: "a published skill installed on all 10 nodes of a mesh ≤ 2 s after it is accepted",
    limit: "≤ 2000",
    unit: "ms",
    measure: (find) => {
      const f = find("skill-sync", "publish-all", "time");
      if (!f) return null;
      return { value: f.median, detail: `accepted → installed on every node: ${fmt(f.median)} ms` };
    },
    met: (v) => v <= 2000,
    cause: (find) =>
      `push gossip reaches each node with probability below 1 at fanout 3, and a node it misses waits for its next anti-entropy round (every 2 s); the mesh itself took ${
        fmt(find("skill-sync", "mesh-formed", "time")?.median ?? NaN)
      } ms to form`,
    close:
      "push to every proven peer for small meshes (fanout = peers up to a bound), or shorten the anti-entropy interval while a release is pending",
  },
];

/** Evaluates every goal on a run's scenarios (null verdicts where figures are missing). */
export function evaluateGoals(scenarios: ScenarioResult[]): GoalResult[] {
  const find = lookupIn(scenarios);
  return GOALS.map((spec) => {
    const measured = spec.measure(find, scenarios);
    if (!measured) {
      return {
        id: spec.id,
        goal: spec.goal,
        value: null,
        limit: spec.limit,
        unit: spec.unit,
        met: null,
        detail: "not measured in this run",
      };
    }
    const met = spec.met(measured.value);
    return {
      id: spec.id,
      goal: spec.goal,
      value: measured.value,
      limit: spec.limit,
      unit: spec.unit,
      met,
      detail: measured.detail,
      ...(met
        ? {}
        : { cause: `${spec.cause(find, scenarios)}. What would close it: ${spec.close}` }),
    };
  });
}
