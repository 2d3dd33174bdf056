/**
 * The executor that runs a task with one of the node's skills, in a sandbox.
 *
 * @module
 */
import { type NodeResult, type NodeTask, SwarmError } from "../protocol/mod.ts";
import { chooseSandbox, type SandboxKind, type Skill, whyUnavailable } from "../skills/mod.ts";
import { logger } from "../log/mod.ts";
import { interpreterArgv } from "./interpreter.ts";
import { BWRAP_NET_PATHS, BWRAP_SYSTEM_PATHS, bwrapArgs } from "./bwrap_args.ts";
import { type CgroupSupport, NO_CGROUPS, probeCgroups, RunCgroup } from "./cgroups.ts";
import { denoArgs, denoEnv } from "./deno_args.ts";
import { limitArgs, LIMITS_FAILED_EXIT } from "./limit_args.ts";
import { limitHits, limitReason } from "./limit_hits.ts";
import { mapProcessRun } from "./result_mapping.ts";
import { runProcess } from "./run_process.ts";
import { checkSkillLimits, denoHeapMiB, type SkillLimits } from "./skill_limits.ts";
import { DEFAULT_EXECUTION_POLICY } from "./execution_policy.ts";
import { probeSandboxHost, type SandboxHost } from "./sandbox_host.ts";
import { scrubbedEnv } from "./scrubbed_env.ts";
import { selectSkill } from "./select_skill.ts";
import { checkSkill } from "../security/mod.ts";
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
   * @default {DEFAULT_EXECUTION_POLICY.timeoutMs}
   */
  timeoutMs?: number;
  /**
   * Most bytes kept of each of a skill's stdout and stderr; a skill printing more is
   * killed. Must be positive.
   *
   * @default {DEFAULT_EXECUTION_POLICY.maxOutputBytes}
   */
  maxOutputBytes?: number;
  /**
   * Run skills without bubblewrap when it is missing (the operator's
   * `--allow-unsandboxed`); Deno skills then keep only their Deno permission flags.
   *
   * @default {DEFAULT_EXECUTION_POLICY.allowUnsandboxed}
   */
  allowUnsandboxed?: boolean;
  /**
   * Memory, process and disk limits of each run (see {@link SkillLimits}); missing
   * fields take those of {@link DEFAULT_EXECUTION_POLICY}.
   *
   * @default {DEFAULT_EXECUTION_POLICY.limits}
   */
  limits?: Partial<SkillLimits>;
  /**
   * How this machine enforces limits: `prlimit`'s path and the usable cgroup
   * controllers. Probed once, on first use, when not given.
   */
  limitHost?: LimitHost;
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

/** How a machine enforces skill limits. */
export interface LimitHost {
  /** Path of `prlimit`, or `null` when this machine has none. */
  prlimit: string | null;
  /** The cgroup controllers the node may use. */
  cgroups: CgroupSupport;
}

/**
 * Runs a task with the skill its `tool_hint` names, or the one script skill holding
 * all the needed capabilities, inside bubblewrap (Deno skills under Deno's permission
 * flags in there too), or unsandboxed when the operator allowed it and bubblewrap is
 * missing; each in a fresh working directory removed afterwards, with the task's
 * input on stdin, a scrubbed environment (passed to the process, never on a command
 * line) and memory, process and disk limits (cgroups, `prlimit`, size-capped tmpfs).
 * The caller's `context.workspace` is never used as a path. Safe to call concurrently.
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
  #limits: SkillLimits;
  #limitHost: Promise<LimitHost> | undefined;

  /**
   * Makes a skill executor, applying the option defaults.
   *
   * @throws {RangeError} When `timeoutMs` or `maxOutputBytes` is not a positive number,
   * or a limit is not a non-negative integer.
   */
  constructor(options: SkillExecutorOptions) {
    const {
      skills,
      workRoot,
      sandboxes,
      timeoutMs = DEFAULT_EXECUTION_POLICY.timeoutMs,
      maxOutputBytes = DEFAULT_EXECUTION_POLICY.maxOutputBytes,
      allowUnsandboxed = DEFAULT_EXECUTION_POLICY.allowUnsandboxed,
      sourceEnv = Deno.env.toObject(),
      host,
      limits = {},
      limitHost,
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
    this.#limits = { ...DEFAULT_EXECUTION_POLICY.limits, ...limits };
    checkSkillLimits(this.#limits);
    this.#limitHost = limitHost ? Promise.resolve(limitHost) : undefined;
  }

  /** The limits each run gets. */
  get limits(): Readonly<SkillLimits> {
    return this.#limits;
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
    const skill = selectSkill(this.#skills(), task, capabilities, { grant: options.grant });
    if (options.grant) refuseOutsideScope(checkSkill(options.grant, skill));
    const sandbox = this.sandboxFor(skill);
    if (sandbox === "unavailable") throw this.#unavailable(skill);
    const host = await this.#probeHost();
    const limitHost = await this.#probeLimitHost();
    const limits = this.#limits;
    onProgress?.({ skill: skill.name });
    return await withWorkDir(this.#workRoot, async (workDir) => {
      const env = scrubbedEnv(skill, workDir, this.#sourceEnv);
      const command = this.#command(sandbox, skill, workDir, env, host);
      const cgroup = await RunCgroup.create(limitHost.cgroups, limits);
      try {
        const prefix = limitArgs({
          limits,
          prlimit: limitHost.prlimit,
          cgroupProcs: cgroup?.procs ?? [],
          cgroupCovers: cgroup?.covers ?? { memory: false, processes: false },
          deno: skill.language === "deno",
        });
        const run = await runProcess([...prefix, ...command.argv], {
          stdin: skillInput(task),
          cwd: workDir,
          env: command.env,
          timeoutMs: this.#timeoutMs,
          maxOutputBytes: this.#maxOutputBytes,
          signal,
        });
        if (
          cgroup !== null && run.exitCode === LIMITS_FAILED_EXIT && run.stdout === "" &&
          run.stderr.includes("cgroup.procs")
        ) {
          const why = run.stderr.trim();
          throw new SwarmError(
            "execution_failed",
            `Skill '${skill.name}' cannot run here: its limits cannot be applied: ${why}`,
            { skill: skill.name },
          );
        }
        const hits = limitHits(run, cgroup === null ? null : await cgroup.hits(), {
          memoryByCgroup: cgroup?.covers.memory ?? false,
        });
        return mapProcessRun(task.id, run, limitReason(hits, limits));
      } finally {
        await cgroup?.remove();
      }
    });
  }

  #command(
    sandbox: Exclude<SandboxKind, "unavailable">,
    skill: Skill,
    workDir: string,
    env: Record<string, string>,
    host: SandboxHost,
  ): { argv: string[]; env: Record<string, string> } {
    const { bwrap, deno } = this.#sandboxes;
    const isDeno = skill.language === "deno";
    const heapMiB = denoHeapMiB(this.#limits.memoryBytes);
    const runEnv = isDeno ? denoEnv(env, workDir) : env;
    switch (sandbox) {
      case "deno":
      case "bwrap":
        return {
          argv: bwrapArgs({
            bwrap: bwrap!,
            skill,
            workDir,
            host,
            deno: deno ?? undefined,
            diskBytes: this.#limits.diskBytes,
            denoHeapMiB: heapMiB,
          }),
          env: runEnv,
        };
      case "none":
      case "deno-flags":
        return {
          argv: isDeno
            ? denoArgs({ deno: deno!, skill, workDir, heapMiB })
            : interpreterArgv(skill, host.python),
          env: runEnv,
        };
    }
  }

  #probeHost(): Promise<SandboxHost> {
    this.#host ??= probeSandboxHost({
      candidates: [...BWRAP_SYSTEM_PATHS, ...BWRAP_NET_PATHS],
      sourceEnv: this.#sourceEnv,
    });
    return this.#host;
  }

  #probeLimitHost(): Promise<LimitHost> {
    this.#limitHost ??= (async () => {
      const found: LimitHost = {
        prlimit: await findProgram("prlimit", this.#sourceEnv.PATH),
        cgroups: Deno.build.os === "linux" ? await probeCgroups() : { ...NO_CGROUPS },
      };
      const log = logger("execution");
      const limits = this.#limits;
      if (limits.memoryBytes > 0 && found.cgroups.memory === null) {
        log.warn("Skill memory limit without a memory cgroup: RLIMIT_AS and V8's heap only", {
          memory_bytes: limits.memoryBytes,
          prlimit: found.prlimit,
        });
      }
      if (limits.maxProcesses > 0 && found.cgroups.pids === null) {
        log.warn("Skill process limit not enforced: no usable pids cgroup", {
          max_processes: limits.maxProcesses,
        });
      }
      if (limits.diskBytes > 0 && found.prlimit === null) {
        log.warn("Skill file size not limited: prlimit not found (tmpfs caps still hold)", {
          disk_bytes: limits.diskBytes,
        });
      }
      return found;
    })();
    return this.#limitHost;
  }

  #unavailable(skill: Skill): SwarmError {
    const why = whyUnavailable(skill, {
      bwrap: this.#sandboxes.bwrap !== null,
      deno: this.#sandboxes.deno !== null,
      allowUnsandboxed: this.#allowUnsandboxed,
    });
    return new SwarmError("execution_failed", `Skill '${skill.name}' cannot run here: ${why}`, {
      skill: skill.name,
    });
  }
}

/** The first executable `name` on `searchPath` (or the usual system directories). */
async function findProgram(name: string, searchPath: string | undefined): Promise<string | null> {
  const dirs = (searchPath ?? "").split(":").concat(["/usr/bin", "/bin", "/usr/sbin", "/sbin"]);
  for (const dir of dirs) {
    if (!dir.startsWith("/")) continue;
    try {
      const info = await Deno.stat(`${dir}/${name}`);
      if (info.isFile && ((info.mode ?? 0) & 0o111) !== 0) return `${dir}/${name}`;
    } catch {
      // Not there.
    }
  }
  return null;
}
