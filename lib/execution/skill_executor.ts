/**
 * The executor that runs a task with one of the node's skills, in a sandbox.
 *
 * @module
 */
import { SwarmError } from "../protocol/errors.ts";
import type { NodeResult, NodeTask } from "../protocol/types.ts";
import { chooseSandbox } from "../skills/sandbox_choice.ts";
import type { SandboxKind, Skill } from "../skills/types.ts";
import { interpreterArgv } from "./_interpreter.ts";
import { BWRAP_NET_PATHS, BWRAP_SYSTEM_PATHS, bwrapArgs } from "./bwrap_args.ts";
import { denoArgs, denoEnv } from "./deno_args.ts";
import { mapProcessRun } from "./result_mapping.ts";
import { runProcess } from "./run_process.ts";
import { probeSandboxHost, type SandboxHost } from "./sandbox_host.ts";
import { scrubbedEnv } from "./scrubbed_env.ts";
import { selectSkill } from "./select_skill.ts";
import { checkSkill } from "../security/scope.ts";
import { refuseOutsideScope } from "./scope_refusal.ts";
import { skillInput } from "./skill_input.ts";
import type { ExecuteOptions, Executor } from "./types.ts";
import { withWorkDir } from "./work_dir.ts";

/** Options of {@link SkillExecutor}. */
export interface SkillExecutorOptions {
  /** The node's skills, or a function giving the current ones (the catalog can change while running). */
  skills: Skill[] | (() => Skill[]);
  /** Directory that holds each task's fresh working directory (created when missing). */
  workRoot: string;
  /** Sandbox programs found on this machine (see `detectSandboxes`); `null` when absent. */
  sandboxes: { bwrap: string | null; deno: string | null };
  /**
   * Wall-clock limit of one skill run, in milliseconds; the skill and everything it
   * started is killed after it. Must be positive.
   *
   * @default {60_000}
   */
  timeoutMs?: number;
  /**
   * Most bytes kept of each of a skill's stdout and stderr; a skill printing more is
   * killed. Must be positive.
   *
   * @default {1_048_576}
   */
  maxOutputBytes?: number;
  /**
   * Run non-Deno skills without a sandbox when bubblewrap is missing (the operator's
   * `--allow-unsandboxed`). Deno skills always run under Deno's permissions.
   *
   * @default {false}
   */
  allowUnsandboxed?: boolean;
  /**
   * The node's environment, from which the variables a skill declares in
   * `permissions.env` are copied (and `python3` is found). Nothing else reaches a skill.
   *
   * @default {Deno.env.toObject()}
   */
  sourceEnv?: Record<string, string>;
  /** Host facts for bubblewrap and Python; probed once, on first use, when not given. */
  host?: SandboxHost;
}

/**
 * Runs a task with the skill its `tool_hint` names, or the one script skill holding
 * all the needed capabilities: Deno skills under Deno with only their declared
 * permissions, others inside bubblewrap (or unsandboxed when the operator allowed it
 * and bubblewrap is missing), each in a fresh working directory removed afterwards,
 * with the task's input on stdin and a scrubbed environment. The caller's
 * `context.workspace` is never used as a path. Safe to call concurrently.
 *
 * @example
 * ```ts
 * import { SkillExecutor } from "./skill_executor.ts";
 * const executor = new SkillExecutor({
 *   skills: [],
 *   workRoot: await Deno.makeTempDir(),
 *   sandboxes: { bwrap: null, deno: null },
 * });
 * const task = {
 *   id: "t1", description: "add 2 and 2",
 *   context: { workspace: ".", session_key: "default", required_capabilities: ["calc"] },
 * };
 * const error = await executor.execute(task, { capabilities: ["calc"] }).catch((e) => e);
 * console.assert(error.code === "skill_not_found");
 * ```
 */
export class SkillExecutor implements Executor {
  /** Shown in status output. */
  readonly kind = "skills";
  #skills: () => Skill[];
  #workRoot: string;
  #sandboxes: { bwrap: string | null; deno: string | null };
  #timeoutMs: number;
  #maxOutputBytes: number;
  #allowUnsandboxed: boolean;
  #sourceEnv: Record<string, string>;
  #host: Promise<SandboxHost> | undefined;

  /**
   * Makes a skill executor, applying the option defaults.
   *
   * @throws {RangeError} When `timeoutMs` or `maxOutputBytes` is not a positive number.
   */
  constructor(options: SkillExecutorOptions) {
    const {
      skills,
      workRoot,
      sandboxes,
      timeoutMs = 60_000,
      maxOutputBytes = 1_048_576,
      allowUnsandboxed = false,
      sourceEnv = Deno.env.toObject(),
      host,
    } = options;
    if (!(timeoutMs > 0)) {
      throw new RangeError(`Cannot run skills as 'timeoutMs' must be positive: it is ${timeoutMs}`);
    }
    if (!(maxOutputBytes > 0)) {
      throw new RangeError(
        `Cannot run skills as 'maxOutputBytes' must be positive: it is ${maxOutputBytes}`,
      );
    }
    this.#skills = typeof skills === "function" ? skills : () => skills;
    this.#workRoot = workRoot;
    this.#sandboxes = sandboxes;
    this.#timeoutMs = timeoutMs;
    this.#maxOutputBytes = maxOutputBytes;
    this.#allowUnsandboxed = allowUnsandboxed;
    this.#sourceEnv = sourceEnv;
    this.#host = host ? Promise.resolve(host) : undefined;
  }

  /** The sandbox that would run `skill` on this node. */
  sandboxFor(skill: Skill): SandboxKind {
    return chooseSandbox(skill, {
      bwrap: this.#sandboxes.bwrap !== null,
      deno: this.#sandboxes.deno !== null,
      allowUnsandboxed: this.#allowUnsandboxed,
    });
  }

  /**
   * Runs the task. A skill that fails, times out or prints too much gives a NodeResult
   * with `task_completed: false`.
   *
   * @throws {SwarmError} `skill_not_found` / `ambiguous_skill` when no single skill
   * fits; `execution_failed` when the skill cannot run here or cannot be started.
   */
  async execute(task: NodeTask, options: ExecuteOptions): Promise<NodeResult> {
    const { capabilities, signal, onProgress } = options;
    const skill = selectSkill(this.#skills(), task, capabilities);
    if (options.grant) refuseOutsideScope(checkSkill(options.grant, skill));
    const sandbox = this.sandboxFor(skill);
    if (sandbox === "unavailable") throw this.#unavailable(skill);
    const host = sandbox === "deno" ? undefined : await this.#probeHost();
    onProgress?.({ skill: skill.name });
    return await withWorkDir(this.#workRoot, async (workDir) => {
      const env = scrubbedEnv(skill, workDir, this.#sourceEnv);
      const command = this.#command(sandbox, skill, workDir, env, host);
      const run = await runProcess(command.argv, {
        stdin: skillInput(task),
        cwd: workDir,
        env: command.env,
        timeoutMs: this.#timeoutMs,
        maxOutputBytes: this.#maxOutputBytes,
        signal,
      });
      return mapProcessRun(task.id, run);
    });
  }

  #command(
    sandbox: Exclude<SandboxKind, "unavailable">,
    skill: Skill,
    workDir: string,
    env: Record<string, string>,
    host: SandboxHost | undefined,
  ): { argv: string[]; env: Record<string, string> } {
    const { bwrap, deno } = this.#sandboxes;
    switch (sandbox) {
      case "deno":
        return { argv: denoArgs({ deno: deno!, skill, workDir }), env: denoEnv(env, workDir) };
      case "bwrap":
        return { argv: bwrapArgs({ bwrap: bwrap!, skill, workDir, env, host: host! }), env };
      case "none":
        return { argv: interpreterArgv(skill, host!.python), env };
    }
  }

  #probeHost(): Promise<SandboxHost> {
    this.#host ??= probeSandboxHost({
      candidates: [...BWRAP_SYSTEM_PATHS, ...BWRAP_NET_PATHS],
      sourceEnv: this.#sourceEnv,
    });
    return this.#host;
  }

  #unavailable(skill: Skill): SwarmError {
    let why: string;
    if (skill.kind !== "script") why = "it has no entry script";
    else if (skill.language === "deno") why = "Deno was not found to run its script";
    else why = "bubblewrap is not installed and --allow-unsandboxed was not given";
    return new SwarmError("execution_failed", `Skill '${skill.name}' cannot run here: ${why}`, {
      skill: skill.name,
    });
  }
}
