/**
 * The executor that hands each task to an operator-supplied command (`--executor-cmd`),
 * typically the operator's own agent.
 *
 * @module
 */
import { type NodeResult, type NodeTask, parseNodeResult, SwarmError } from "../protocol/mod.ts";
import { type ProcessRun, runProcess } from "./run_process.ts";
import type { ExecuteOptions, Executor } from "./types.ts";
import { resolve } from "node:path";
import { withWorkDir } from "./work_dir.ts";
import { AGENT_SKILL_NAME, checkSkill } from "../security/mod.ts";
import { refuseOutsideScope } from "./scope_refusal.ts";
import { DEFAULT_EXECUTION_POLICY } from "./execution_policy.ts";

/** Characters of the command's stderr (its end) quoted in an error message. */
const STDERR_TAIL_CHARS = 1000;

/** Options of {@link CommandExecutor}. */
export interface CommandExecutorOptions {
  /** Shell command line, run as `/bin/sh -c <command>`. */
  command: string;
  /** Directory that holds each task's fresh working directory (created when missing). */
  workRoot: string;
  /**
   * Wall-clock limit of one run, in milliseconds; the command and everything it
   * started is killed after it. Must be positive.
   *
   * @default {60_000}
   */
  timeoutMs?: number;
  /**
   * Most bytes kept of each of the command's stdout and stderr; more kills it. Must be
   * positive.
   *
   * @default {1_048_576}
   */
  maxOutputBytes?: number;
  /**
   * The command's environment. It is the operator's own program and usually needs API
   * keys, so it gets the node's whole environment by default.
   *
   * @default {Deno.env.toObject()}
   */
  env?: Record<string, string>;
  /** When given, set as `SKILLLITE_SWARM_URL` so an agent can delegate back to the swarm. */
  swarmUrl?: string;
  /**
   * Called with the directory of the skill a result's `new_skill` names (SkillLite's
   * evolved skill), while the task's work directory still exists: only a directory
   * inside it, symlinks resolved, so an agent cannot point at the node's own files. A
   * failure is the hook's to report; the result is returned as it came either way.
   */
  onNewSkill?: (skillDir: string, newSkill: NonNullable<NodeResult["new_skill"]>) => Promise<void>;
}

/**
 * Runs each task by piping its NodeTask JSON into an operator-supplied shell command,
 * in a fresh working directory, and reading a NodeResult JSON from its stdout. A
 * result naming another task id is corrected to the task's own. Safe to call
 * concurrently.
 *
 * @example
 * ```ts
 * import { CommandExecutor } from "./command_executor.ts";
 * const root = await Deno.makeTempDir();
 * const executor = new CommandExecutor({
 *   command: `echo '{"task_id":"x","response":"ok","task_completed":true,"tool_calls":0}'`,
 *   workRoot: root,
 * });
 * const task = {
 *   id: "t1", description: "hi",
 *   context: { workspace: ".", session_key: "default", required_capabilities: [] },
 * };
 * const result = await executor.execute(task, { capabilities: [] });
 * console.assert(result.task_id === "t1" && result.response === "ok");
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export class CommandExecutor implements Executor {
  /** Shown in status output. */
  readonly kind = "command";
  #command: string;
  #workRoot: string;
  #timeoutMs: number;
  #maxOutputBytes: number;
  #env: Record<string, string>;
  #onNewSkill: CommandExecutorOptions["onNewSkill"];

  /**
   * Makes a command executor, applying the option defaults.
   *
   * @throws {RangeError} When `timeoutMs` or `maxOutputBytes` is not a positive number,
   * or `command` is empty.
   */
  constructor(options: CommandExecutorOptions) {
    const {
      command,
      workRoot,
      timeoutMs = DEFAULT_EXECUTION_POLICY.timeoutMs,
      maxOutputBytes = DEFAULT_EXECUTION_POLICY.maxOutputBytes,
      env = Deno.env.toObject(),
      swarmUrl,
    } = options;
    if (command.trim() === "") {
      throw new RangeError("Cannot use an executor command as 'command' is empty");
    }
    if (!(timeoutMs > 0)) {
      throw new RangeError(
        `Cannot use an executor command as 'timeoutMs' must be positive: it is ${timeoutMs}`,
      );
    }
    if (!(maxOutputBytes > 0)) {
      throw new RangeError(
        `Cannot use an executor command as 'maxOutputBytes' must be positive: it is ${maxOutputBytes}`,
      );
    }
    this.#command = command;
    this.#workRoot = workRoot;
    this.#timeoutMs = timeoutMs;
    this.#maxOutputBytes = maxOutputBytes;
    this.#env = swarmUrl === undefined ? { ...env } : { ...env, SKILLLITE_SWARM_URL: swarmUrl };
    this.#onNewSkill = options.onNewSkill;
  }

  /**
   * Runs the command for the task and returns its result.
   *
   * @throws {SwarmError} `execution_failed` when the command cannot start, fails, times
   * out, prints too much, is aborted, or prints no valid NodeResult.
   */
  async execute(task: NodeTask, options: ExecuteOptions): Promise<NodeResult> {
    const { signal, onProgress } = options;
    if (options.grant) {
      refuseOutsideScope(
        // The agent can take any task, so only its name is checked against the scope.
        checkSkill(options.grant, {
          name: AGENT_SKILL_NAME,
          capabilities: [...options.grant.capabilities],
        }),
      );
    }
    onProgress?.({});
    return await withWorkDir(this.#workRoot, async (workDir) => {
      const run = await runProcess(["/bin/sh", "-c", this.#command], {
        stdin: JSON.stringify(task),
        cwd: workDir,
        env: this.#env,
        timeoutMs: this.#timeoutMs,
        maxOutputBytes: this.#maxOutputBytes,
        signal,
      });
      const result = this.#result(task, run);
      const newSkill = result.new_skill;
      if (newSkill && this.#onNewSkill) {
        const dir = await insideDir(workDir, newSkill.path);
        if (dir !== undefined) await this.#onNewSkill(dir, newSkill);
      }
      return result;
    });
  }

  #result(task: NodeTask, run: ProcessRun): NodeResult {
    const fail = (message: string) =>
      new SwarmError("execution_failed", message, {
        exit_code: run.exitCode,
        stderr: stderrTail(run),
      });
    if (run.aborted) throw fail("Executor command was aborted");
    if (run.timedOut) throw fail(`Executor command timed out after ${this.#timeoutMs}ms`);
    if (run.truncated) {
      throw fail(`Executor command printed more than ${this.#maxOutputBytes} bytes`);
    }
    if (run.exitCode !== 0) {
      throw fail(`Executor command failed with exit code ${run.exitCode}: ${quoted(run)}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(run.stdout);
    } catch {
      throw fail(`Executor command printed no JSON result: ${quoted(run)}`);
    }
    let result: NodeResult;
    try {
      result = parseNodeResult(body);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw fail(`Executor command printed an invalid result: ${why}; ${quoted(run)}`);
    }
    return result.task_id === task.id ? result : { ...result, task_id: task.id };
  }
}

/** `path` (relative to `dir`, or absolute) with symlinks resolved, when it lies inside `dir`. */
async function insideDir(dir: string, path: string): Promise<string | undefined> {
  try {
    const root = await Deno.realPath(dir);
    const target = await Deno.realPath(resolve(dir, path));
    return target === root || target.startsWith(`${root}/`) ? target : undefined;
  } catch {
    return undefined;
  }
}

function stderrTail(run: ProcessRun): string {
  const text = run.stderr.trim();
  return text.length <= STDERR_TAIL_CHARS ? text : `…${text.slice(-STDERR_TAIL_CHARS)}`;
}

function quoted(run: ProcessRun): string {
  const tail = stderrTail(run);
  return tail === "" ? "stderr is empty" : `stderr: ${tail}`;
}
