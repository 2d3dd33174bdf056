/**
 * `deno task bench`: runs every benchmark scenario of issue 8 back to back and writes
 * `benchmarks.md` (the table, the goals, the machine) and `benchmarks.json` (the raw
 * figures). `--quick` makes every scenario short and small (CI keeps the harness from
 * rotting with it; it checks that figures exist, never their size).
 *
 * ```sh
 * deno task bench            # full run (< 15 min), writes docs/benchmarks.{md,json}
 * deno task bench --quick    # < 2 min, writes to a temp dir unless --out is given
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath as fromFileUrl } from "node:url";
import { evaluateGoals } from "./_goals.ts";
import { loadAverage, machineInfo } from "./_machine.ts";
import { renderReport } from "./_report.ts";
import { ensureTools, type ToolState } from "./_tools.ts";
import { runBounded } from "./_proc.ts";
import type { BenchContext, BenchReport, ScenarioResult } from "./_types.ts";
import { executionScenario } from "./execution.ts";
import { forwardingScenario } from "./forwarding.ts";
import { meshScenario } from "./mesh.ts";
import { overheadScenario } from "./overhead.ts";
import { skillSyncScenario } from "./skill_sync.ts";
import { startSizeScenario } from "./start_size.ts";
import { tableScaleScenario } from "./table_scale.ts";

const ROOT = fromFileUrl(new URL("../../", import.meta.url));
const DOCS = `${ROOT}docs/`;

/** A scenario of the run, in order. */
interface Scenario {
  number: number;
  id: string;
  title: string;
  run(ctx: BenchContext, tools: Map<string, ToolState>): Promise<ScenarioResult>;
}

const SCENARIOS: Scenario[] = [
  { number: 1, id: "overhead", title: "Node overhead", run: overheadScenario },
  { number: 2, id: "forwarding", title: "Forwarding", run: forwardingScenario },
  { number: 3, id: "execution", title: "Execution per sandbox", run: executionScenario },
  { number: 4, id: "start-size", title: "Start and size", run: startSizeScenario },
  { number: 5, id: "table-scale", title: "Scale of the table", run: tableScaleScenario },
  { number: 6, id: "mesh", title: "Mesh", run: meshScenario },
  { number: 7, id: "skill-sync", title: "Skill sync", run: skillSyncScenario },
];

const HELP =
  `Usage: deno task bench [--quick] [--out DIR] [--only IDS] [--no-install] [--no-profile]

  --quick       short runs and small sizes (< 2 min); figures exist, speed is not judged
  --out DIR     where benchmarks.md and benchmarks.json go
                (default: docs/ for a full run, a new temp dir for --quick)
  --only IDS    comma-separated scenario ids or numbers (${SCENARIOS.map((s) => s.id).join(", ")})
  --no-install  do not apt-get install a missing wrk or nginx (their rows say n/a)
  --no-profile  skip the CPU profiles taken as evidence
  --render      run nothing: re-evaluate the goals and rewrite benchmarks.md from the
                benchmarks.json already in the output dir (after editing the hand-written part)
`;

/** Parsed command line. */
export interface BenchArgs {
  quick: boolean;
  out?: string;
  only?: string[];
  install: boolean;
  profile: boolean;
  render: boolean;
  help: boolean;
}

/** Parses the harness's flags. @throws {TypeError} On an unknown flag. */
export function parseBenchArgs(args: string[]): BenchArgs {
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: "boolean", default: false },
      out: { type: "string" },
      only: { type: "string" },
      "no-install": { type: "boolean", default: false },
      "no-profile": { type: "boolean", default: false },
      render: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  return {
    quick: values.quick,
    out: values.out,
    only: values.only?.split(",").map((s) => s.trim()).filter(Boolean),
    install: !values["no-install"],
    profile: !values["no-profile"],
    render: values.render,
    help: values.help,
  };
}

async function main(): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(Deno.args);
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (args.help) {
    console.log(HELP);
    return 0;
  }
  const selected = SCENARIOS.filter((s) =>
    !args.only || args.only.includes(s.id) || args.only.includes(String(s.number))
  );
  if (selected.length === 0) {
    console.error(`No scenario matches --only ${args.only?.join(",")}\n\n${HELP}`);
    return 2;
  }
  const out = args.out ??
    (args.quick ? await Deno.makeTempDir({ prefix: "swarm-bench-quick-" }) : DOCS);
  await Deno.mkdir(out, { recursive: true });
  if (args.render) {
    const report: BenchReport = JSON.parse(await Deno.readTextFile(`${out}/benchmarks.json`));
    report.goals = evaluateGoals(report.scenarios);
    await writeReport(out, report);
    console.log(`Rewrote ${out}/benchmarks.md from ${out}/benchmarks.json`);
    return 0;
  }
  const started = performance.now();
  const tmp = await Deno.makeTempDir({ prefix: "swarm-bench-" });
  // Profiles are kept after a full run (the report points at them), not after a quick one.
  const artefacts = args.quick
    ? await Deno.makeTempDir({ dir: tmp, prefix: "artefacts-" })
    : await Deno.makeTempDir({ prefix: "swarm-bench-artefacts-" });
  const log = (line: string) =>
    console.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);
  const ctx: BenchContext = {
    quick: args.quick,
    install: args.install,
    profile: args.profile,
    tmp,
    artefacts,
    log,
  };
  try {
    log(`swarm benchmarks (${args.quick ? "quick" : "full"}), results to ${out}`);
    const machine = await machineInfo();
    const tools = await ensureTools(["wrk", "nginx"], { install: args.install, log });
    for (const [name, state] of tools) {
      log("path" in state ? `${name}: ${state.path}` : `${name}: n/a: ${state.missing}`);
    }
    if (Object.values(machine.versions).some((v) => v === "not installed")) {
      Object.assign(machine, await machineInfo(), { loadAverageStart: machine.loadAverageStart });
    }
    const scenarios: ScenarioResult[] = [];
    for (const scenario of selected) {
      log(`scenario ${scenario.number}: ${scenario.title}`);
      const t = performance.now();
      try {
        scenarios.push(await scenario.run(ctx, tools));
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        log(`scenario ${scenario.number} failed: ${message}`);
        scenarios.push({
          number: scenario.number,
          id: scenario.id,
          title: scenario.title,
          reference: "",
          rows: [],
          na: `the scenario failed: ${message.split("\n")[0]}`,
          failed: true,
          method: [],
          evidence: [{ title: "Error", lines: message.split("\n").slice(0, 20) }],
          durationMs: performance.now() - t,
        });
      }
      log(`scenario ${scenario.number} took ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    machine.loadAverageEnd = await loadAverage();
    const report: BenchReport = {
      mode: args.quick ? "quick" : "full",
      machine,
      scenarios,
      goals: evaluateGoals(scenarios),
      durationMs: performance.now() - started,
    };
    await writeReport(out, report);
    log(`wrote ${out}/benchmarks.md and ${out}/benchmarks.json`);
    for (const goal of report.goals) {
      const verdict = goal.met === null ? "n/a" : goal.met ? "met" : "MISSED";
      log(`goal ${goal.id}: ${verdict} (${goal.detail})`);
    }
    if (!args.quick) log(`profiles and other artefacts kept in ${artefacts}`);
    return 0;
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/** Writes benchmarks.json and benchmarks.md into `out`, as `deno fmt` would format them. */
async function writeReport(out: string, report: BenchReport): Promise<void> {
  await Deno.writeTextFile(`${out}/benchmarks.json`, JSON.stringify(report, null, 2) + "\n");
  const previous = await Deno.readTextFile(`${out}/benchmarks.md`)
    .catch(() => Deno.readTextFile(`${DOCS}/benchmarks.md`)).catch(() => "");
  await Deno.writeTextFile(`${out}/benchmarks.md`, renderReport(report, previous));
  await runBounded([
    Deno.execPath(),
    "fmt",
    "--quiet",
    `${out}/benchmarks.md`,
    `${out}/benchmarks.json`,
  ], {
    cwd: ROOT,
    timeoutMs: 60_000,
  });
}

if (import.meta.main) Deno.exit(await main());
