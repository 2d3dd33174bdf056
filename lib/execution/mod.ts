/**
 * Running a task on this node: the {@link SkillExecutor} picks one of the node's skills
 * and runs it in bubblewrap (with Deno's permission flags inside for `.ts`/`.js`
 * skills) in a fresh working directory, under memory, process and disk limits; the {@link CommandExecutor} hands the task to an
 * operator-supplied command instead. The pure decisions (which skill, what input, what
 * command line, what environment, what result) are exported for reuse and tests.
 *
 * @example
 * ```ts
 * import { CommandExecutor } from "./mod.ts";
 * const root = await Deno.makeTempDir();
 * const executor = new CommandExecutor({
 *   command: `echo '{"task_id":"t1","response":"4","task_completed":true,"tool_calls":1}'`,
 *   workRoot: root,
 * });
 * const task = {
 *   id: "t1", description: "2+2",
 *   context: { workspace: ".", session_key: "default", required_capabilities: [] },
 * };
 * const result = await executor.execute(task, { capabilities: [] });
 * console.assert(result.response === "4" && result.task_completed);
 * await Deno.remove(root, { recursive: true });
 * ```
 *
 * @module
 */
export * from "./types.ts";
export * from "./skill_executor.ts";
export * from "./command_executor.ts";
export * from "./select_skill.ts";
export * from "./skill_input.ts";
export * from "./result_mapping.ts";
export * from "./run_process.ts";
export * from "./scrubbed_env.ts";
export * from "./bwrap_args.ts";
export * from "./deno_args.ts";
export * from "./sandbox_host.ts";
export * from "./network_scope.ts";
export * from "./work_dir.ts";
export * from "./skill_limits.ts";
export * from "./execution_policy.ts";
export * from "./limit_args.ts";
export * from "./limit_hits.ts";
export * from "./cgroups.ts";
export { declaredPath } from "./interpreter.ts";
export * from "./admission.ts";
