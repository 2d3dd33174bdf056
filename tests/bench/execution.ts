/**
 * Scenario 3, execution: the per-task cost of each way swarm runs a skill — a Deno
 * skill under Deno's permissions, a Python skill under bubblewrap, the same Python
 * skill unsandboxed — against a bare spawn of the same interpreter running the same
 * script with the same stdin. Measured in the harness process through the node's own
 * `SkillExecutor` (work dir, scrubbed environment, sandbox command line, output
 * capture), one task at a time.
 *
 * @module
 */
import { SkillExecutor } from "../../lib/execution/skill_executor.ts";
import { BWRAP_NET_PATHS, BWRAP_SYSTEM_PATHS } from "../../lib/execution/bwrap_args.ts";
import { probeSandboxHost } from "../../lib/execution/sandbox_host.ts";
import { loadSkill } from "../../lib/skills/load_skill.ts";
import { detectSandboxes } from "../../lib/skills/sandbox_choice.ts";
import type { Skill } from "../../lib/skills/types.ts";
import { FIXTURE_SKILLS } from "./_fixtures.ts";
import { loopRow, type RunPlan } from "./_measure.ts";
import type { BenchContext, Row, ScenarioResult } from "./_types.ts";

/** Run counts of this scenario: `durationS` only bounds a run; `calls` ends it. */
export function executionPlan(quick: boolean): RunPlan & { calls: number } {
  return quick
    ? { runs: 2, durationS: 30, warmupS: 0.3, calls: 3 }
    : { runs: 5, durationS: 60, warmupS: 1, calls: 10 };
}

/** A task for `skill` with `input` on stdin. */
function taskFor(skill: Skill, input: unknown) {
  return {
    id: `exec-${skill.name}`,
    description: "bench",
    context: { workspace: ".", session_key: "default", required_capabilities: [] },
    tool_hint: skill.name,
    input,
  };
}

/** Runs `argv` with `stdin`, checking it exits 0. */
async function bareRun(argv: string[], stdin: string, env?: Record<string, string>) {
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env,
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const out = await child.output();
  if (out.code !== 0) {
    throw new Error(`${argv.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** Runs scenario 3. */
export async function executionScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const started = performance.now();
  const plan = executionPlan(ctx.quick);
  const rows: Row[] = [];
  const workRoot = `${ctx.tmp}/exec-sandbox-work`;
  const sandboxes = await detectSandboxes();
  const host = await probeSandboxHost({
    candidates: [...BWRAP_SYSTEM_PATHS, ...BWRAP_NET_PATHS],
    sourceEnv: Deno.env.toObject(),
  });
  const echo = await loadSkill(`${FIXTURE_SKILLS}echo-deno`);
  const calc = await loadSkill(`${FIXTURE_SKILLS}calculator`);
  const calcInput = { expression: "2*(3+4)" };
  const echoInput = { hello: "bench" };
  const measure = (id: string, label: string, fn: () => Promise<unknown>) =>
    loopRow(id, label, fn, { concurrency: 1, plan, maxCallsPerRun: plan.calls });
  const viaExecutor = (executor: SkillExecutor, skill: Skill, input: unknown) => async () => {
    const result = await executor.execute(taskFor(skill, input), { capabilities: [] });
    if (!result.task_completed) throw new Error(`${skill.name} failed: ${result.response}`);
  };

  ctx.log("execution: Deno skill");
  const deno = Deno.execPath();
  const denoLabel = "Deno skill (echo-deno) in bubblewrap under Deno permissions, fresh work dir";
  if (sandboxes.bwrap) {
    // Deno skills run in bubblewrap too: Deno does not check reads of static imports.
    const denoExecutor = new SkillExecutor({
      skills: [echo],
      workRoot,
      sandboxes: { bwrap: sandboxes.bwrap, deno },
      host,
    });
    rows.push(
      await measure("deno-sandbox", denoLabel, viaExecutor(denoExecutor, echo, echoInput)),
    );
  } else {
    rows.push({
      id: "deno-sandbox",
      label: denoLabel,
      figures: {},
      na: "bubblewrap is missing or unusable here (Deno skills run in it)",
    });
  }
  const bareDenoArgs = [deno, "run", "--no-config", "--no-lock", echo.entryPoint!];
  rows.push(
    await measure(
      "deno-bare",
      "bare `deno run` of the same script (warm DENO_DIR)",
      () => bareRun(bareDenoArgs, JSON.stringify(echoInput)),
    ),
  );
  rows.push(
    await measure(
      "deno-bare-fresh-cache",
      "bare `deno run` with an empty DENO_DIR each run (as the sandbox gives it)",
      async () => {
        const dir = await Deno.makeTempDir({ dir: ctx.tmp, prefix: "denodir-" });
        try {
          await bareRun(bareDenoArgs, JSON.stringify(echoInput), { DENO_DIR: dir });
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      },
    ),
  );

  ctx.log("execution: Python skill");
  const python = host.python;
  if (!python) {
    for (const id of ["python-bwrap", "python-unsandboxed", "python-bare"]) {
      rows.push({ id, label: id, figures: {}, na: "python3 was not found" });
    }
  } else {
    if (sandboxes.bwrap) {
      const bwrapExecutor = new SkillExecutor({
        skills: [calc],
        workRoot,
        sandboxes: { bwrap: sandboxes.bwrap, deno: null },
        host,
      });
      rows.push(
        await measure(
          "python-bwrap",
          "Python skill (calculator) under bubblewrap, fresh work dir",
          viaExecutor(bwrapExecutor, calc, calcInput),
        ),
      );
    } else {
      rows.push({
        id: "python-bwrap",
        label: "Python skill under bubblewrap",
        figures: {},
        na: "bubblewrap is missing or unusable here",
      });
    }
    const plainExecutor = new SkillExecutor({
      skills: [calc],
      workRoot,
      sandboxes: { bwrap: null, deno: null },
      allowUnsandboxed: true,
      host,
    });
    rows.push(
      await measure(
        "python-unsandboxed",
        "Python skill unsandboxed (--allow-unsandboxed), fresh work dir",
        viaExecutor(plainExecutor, calc, calcInput),
      ),
    );
    rows.push(
      await measure(
        "python-bare",
        `bare spawn of ${python.executable} on the same script`,
        () => bareRun([python.executable, calc.entryPoint!], JSON.stringify(calcInput)),
      ),
    );
  }
  return {
    number: 3,
    id: "execution",
    title: "Execution per sandbox",
    reference: "a bare spawn of the same interpreter running the same script",
    rows,
    method: [
      `${plan.runs} runs of ${plan.calls} sequential tasks per figure (after ${plan.warmupS} s of warm-up calls); \`rate\` is tasks/s of one caller`,
      "sandboxed rows go through lib/execution's SkillExecutor as a node runs a skill (fresh work dir, scrubbed env, sandbox argv, capped output), in the harness process",
      "bare rows: Deno.Command of the interpreter with the same stdin, output collected",
    ],
    evidence: [],
    durationMs: performance.now() - started,
  };
}
