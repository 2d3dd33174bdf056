/**
 * The node's local executor: skills first, then the external agent command.
 *
 * @module
 */
import type { ExecuteOptions, Executor } from "../execution/mod.ts";
import { type NodeResult, type NodeTask, SwarmError } from "../protocol/mod.ts";

/**
 * Combines the skill executor and the `--executor-cmd` agent: a task runs the skill
 * it names or the single skill that matches; when no skill or several match, the
 * agent (if any) takes it and chooses. With neither, SkillLite's
 * `local_executor_not_configured`.
 */
export class LocalExecutor implements Executor {
  /** The executors present, joined by `+` (e.g. `skills+command`), or `none`. */
  readonly kind: string;
  #skills: Executor | null;
  #command: Executor | null;
  #hasSkills: () => boolean;
  #whyNoSkills: () => string | undefined;

  /**
   * Combines the two executors; either may be missing.
   *
   * @param skills The skill executor; null when the node has no skills.
   * @param command The `--executor-cmd` agent; null when none is configured.
   * @param hasSkills Whether the skill executor has any skill now (skills can be added
   *   and removed at run time); a node with none behaves as if it had no skill executor.
   * @param whyNoSkills Why there is no skill, for the refusal (a skills directory that was
   *   not found, say); undefined when there is nothing more to say.
   */
  constructor(
    skills: Executor | null,
    command: Executor | null,
    hasSkills: () => boolean = () => true,
    whyNoSkills: () => string | undefined = () => undefined,
  ) {
    this.#skills = skills;
    this.#command = command;
    this.#hasSkills = hasSkills;
    this.#whyNoSkills = whyNoSkills;
    this.kind = [skills?.kind, command?.kind].filter(Boolean).join("+") || "none";
  }

  /**
   * Runs `task` with a skill, or hands it to the agent when no skill or several match.
   *
   * @throws {SwarmError} `local_executor_not_configured` with neither executor; else
   * what the executor that ran throws (`skill_not_found`, `ambiguous_skill` only
   * when there is no agent).
   */
  async execute(task: NodeTask, options: ExecuteOptions): Promise<NodeResult> {
    if (this.#skills && this.#hasSkills()) {
      try {
        return await this.#skills.execute(task, options);
      } catch (err) {
        const handOver = err instanceof SwarmError &&
          (err.code === "skill_not_found" || err.code === "ambiguous_skill");
        if (!handOver || !this.#command) throw err;
      }
    }
    if (this.#command) return await this.#command.execute(task, options);
    const why = this.#whyNoSkills();
    throw new SwarmError(
      "local_executor_not_configured",
      `This node has no local executor: give it skills (--skills-dir) or an agent (--executor-cmd)${
        why ? `; ${why}` : ""
      }`,
    );
  }
}
