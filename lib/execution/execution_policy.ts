/**
 * What a node's configuration asks of its local executions: the time and output limits
 * of one run, whether skills may run unsandboxed, and each run's resource limits.
 *
 * @module
 */
import { DEFAULT_CONFIG, executionPolicyOf } from "../config/mod.ts";
import type { SkillLimits } from "./skill_limits.ts";

/**
 * The limits of a node's local executions (skills and the agent command), built from
 * the configuration by `executionPolicyOf` (lib/config).
 */
export interface ExecutionPolicy {
  /** Wall-clock limit of one run, in milliseconds (`Config.execTimeoutMs`). */
  timeoutMs: number;
  /** Most bytes kept of each of a run's stdout and stderr (`Config.maxOutputBytes`). */
  maxOutputBytes: number;
  /** Run non-Deno skills without bubblewrap when it is missing (`Config.allowUnsandboxed`). */
  allowUnsandboxed: boolean;
  /**
   * Memory, process and disk limits of each skill run (`Config.skillMemoryBytes`,
   * `skillMaxProcesses`, `skillDiskBytes`); 0 in a field means no limit of that kind.
   */
  limits: SkillLimits;
}

/** The defaults, `executionPolicyOf(DEFAULT_CONFIG)`: what an executor uses when not told. */
export const DEFAULT_EXECUTION_POLICY: Readonly<ExecutionPolicy> = deepFrozen(
  executionPolicyOf(DEFAULT_CONFIG),
);

function deepFrozen(policy: ExecutionPolicy): Readonly<ExecutionPolicy> {
  Object.freeze(policy.limits);
  return Object.freeze(policy);
}
