/**
 * The policies a node builds from its {@link Config}: how forwards are retried, how
 * peers are probed and judged, and what limits local executions get. Each is a small
 * function of the configuration, so every number comes from the preset and the
 * operator's overrides; the few parts no knob sets are the constants here.
 *
 * @module
 */
import type { Config } from "./config.ts";
import type { RetryPolicy } from "../routing/mod.ts";
import type { HealthPolicy } from "../peers/mod.ts";
import type { ExecutionPolicy } from "../execution/mod.ts";

/**
 * Fraction of each retry delay that is random (`RetryPolicy.jitter`): half, so routers
 * that failed at the same moment spread out while each delay stays at least half its
 * nominal value. Fixed; not a configuration knob.
 */
export const RETRY_JITTER = 0.5;

/**
 * Time between probes of a dead peer, in milliseconds
 * (`HealthPolicy.deadProbeIntervalMs`): a restarted peer is back within about 2.5 s,
 * while a peer gone for good costs half the probes of a live one. Fixed; not a
 * configuration knob.
 */
export const DEAD_PROBE_INTERVAL_MS = 2000;

/**
 * Weight of the newest latency sample (`HealthPolicy.ewmaAlpha`): 0.3 follows a peer
 * that got slow within a few probes without jumping at every outlier. Fixed; not a
 * configuration knob.
 */
export const LATENCY_EWMA_ALPHA = 0.3;

/**
 * The retry policy of forwards: `maxForwardAttempts`, `retryBaseDelayMs` and
 * `retryMaxDelayMs`, with {@link RETRY_JITTER}.
 *
 * @param config The node's configuration (or a preset).
 * @returns The policy, for the router's `retryPolicy`.
 * @example
 * ```ts
 * import { DEFAULT_CONFIG, retryPolicyOf } from "./mod.ts";
 * const policy = retryPolicyOf({ ...DEFAULT_CONFIG, maxForwardAttempts: 5 });
 * console.assert(policy.maxAttempts === 5 && policy.baseDelayMs === 100);
 * ```
 */
export function retryPolicyOf(
  config: Pick<Config, "maxForwardAttempts" | "retryBaseDelayMs" | "retryMaxDelayMs">,
): RetryPolicy {
  return {
    maxAttempts: config.maxForwardAttempts,
    baseDelayMs: config.retryBaseDelayMs,
    maxDelayMs: config.retryMaxDelayMs,
    jitter: RETRY_JITTER,
  };
}

/**
 * The health policy of peer probes: `healthIntervalMs`, `healthTimeoutMs` and
 * `deadAfterFailures`, with {@link DEAD_PROBE_INTERVAL_MS} and {@link LATENCY_EWMA_ALPHA}.
 *
 * @param config The node's configuration (or a preset).
 * @returns The policy, for the health checker.
 * @example
 * ```ts
 * import { DEFAULT_CONFIG, healthPolicyOf, LAN_CONFIG } from "./mod.ts";
 * console.assert(healthPolicyOf(DEFAULT_CONFIG).timeoutMs === 500);
 * console.assert(healthPolicyOf(LAN_CONFIG).timeoutMs === 1000);
 * ```
 */
export function healthPolicyOf(
  config: Pick<Config, "healthIntervalMs" | "healthTimeoutMs" | "deadAfterFailures">,
): HealthPolicy {
  return {
    intervalMs: config.healthIntervalMs,
    timeoutMs: config.healthTimeoutMs,
    deadAfterFailures: config.deadAfterFailures,
    deadProbeIntervalMs: DEAD_PROBE_INTERVAL_MS,
    ewmaAlpha: LATENCY_EWMA_ALPHA,
  };
}

/**
 * The limits of local executions: `execTimeoutMs`, `maxOutputBytes`,
 * `allowUnsandboxed` and the skill limits (`skillMemoryBytes`, `skillMaxProcesses`,
 * `skillDiskBytes`). Its fields are options of `SkillExecutor` (all of them) and of
 * `CommandExecutor` (`timeoutMs`, `maxOutputBytes`).
 *
 * @param config The node's configuration (or a preset).
 * @returns The policy.
 * @example
 * ```ts
 * import { DEFAULT_CONFIG, executionPolicyOf } from "./mod.ts";
 * const policy = executionPolicyOf({ ...DEFAULT_CONFIG, execTimeoutMs: 5_000 });
 * console.assert(policy.timeoutMs === 5_000 && policy.limits.maxProcesses === 256);
 * ```
 */
export function executionPolicyOf(
  config: Pick<
    Config,
    | "execTimeoutMs"
    | "maxOutputBytes"
    | "allowUnsandboxed"
    | "skillMemoryBytes"
    | "skillMaxProcesses"
    | "skillDiskBytes"
  >,
): ExecutionPolicy {
  return {
    timeoutMs: config.execTimeoutMs,
    maxOutputBytes: config.maxOutputBytes,
    allowUnsandboxed: config.allowUnsandboxed,
    limits: {
      memoryBytes: config.skillMemoryBytes,
      maxProcesses: config.skillMaxProcesses,
      diskBytes: config.skillDiskBytes,
    },
  };
}
