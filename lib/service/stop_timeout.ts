/**
 * How long a service manager waits for a stopping node before it kills it.
 *
 * @module
 */

/**
 * Time a service manager grants a stopping node beyond its drain timeout, in
 * milliseconds: the node's supervisor waits the drain timeout plus its own stop margin
 * (5 s, to close the server and the store) before it ends its worker, then exits; the
 * rest covers a loaded machine and the launcher's `deno` process winding down. Too
 * short and systemd or launchd kill the node mid-drain, losing the tasks it was
 * finishing.
 */
export const SERVICE_STOP_SLACK_MS = 15_000;

/**
 * The stop timeout of a service, in whole seconds (`TimeoutStopSec=` of a systemd unit,
 * `ExitTimeOut` of a launchd job): the node's drain timeout plus
 * {@link SERVICE_STOP_SLACK_MS}, rounded up.
 *
 * @param drainTimeoutMs The node's `--drain-timeout-ms`.
 * @returns Seconds, always longer than the drain.
 * @throws {RangeError} When `drainTimeoutMs` is not a positive integer.
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "../config/mod.ts";
 * import { stopTimeoutSeconds } from "./stop_timeout.ts";
 * console.assert(stopTimeoutSeconds(DEFAULT_CONFIG.drainTimeoutMs) === 45);
 * ```
 */
export function stopTimeoutSeconds(drainTimeoutMs: number): number {
  if (!Number.isSafeInteger(drainTimeoutMs) || drainTimeoutMs <= 0) {
    throw new RangeError(
      `Cannot compute a stop timeout as 'drainTimeoutMs' must be a positive integer: current value is ${drainTimeoutMs}`,
    );
  }
  return Math.ceil((drainTimeoutMs + SERVICE_STOP_SLACK_MS) / 1000);
}
