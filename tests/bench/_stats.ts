/**
 * Figures of the benchmark harness: a measurement repeated over several runs, reported
 * as median with min and max, and the helpers that summarise raw samples.
 *
 * @example
 * ```ts
 * import { figure, median, percentile } from "./_stats.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(median([3, 1, 2]), 2);
 * assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
 * const f = figure([10, 30, 20], "ms");
 * assert.deepEqual([f.median, f.min, f.max], [20, 10, 30]);
 * ```
 *
 * @module
 */

/** One measured quantity over several runs. */
export interface Figure {
  /** Median of `runs`. */
  median: number;
  /** Smallest run. */
  min: number;
  /** Largest run. */
  max: number;
  /** Every run's value, in the order measured. */
  runs: number[];
  /** Unit, e.g. `ms`, `req/s`, `MiB`. */
  unit: string;
}

/**
 * The median of `values` (mean of the two middle values for an even count).
 *
 * @throws {RangeError} When `values` is empty.
 */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/**
 * The `p`-th percentile of `values` with linear interpolation between closest ranks
 * (p 50 of an even count is the mean of the middle two).
 *
 * @throws {RangeError} When `values` is empty or `p` is outside 0–100.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError("Cannot take a percentile of no values");
  if (!(p >= 0 && p <= 100)) {
    throw new RangeError(`Cannot take a percentile as 'p' must be within 0–100: it is ${p}`);
  }
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}

/**
 * A {@link Figure} from the values of several runs.
 *
 * @throws {RangeError} When `runs` is empty or holds a non-finite number.
 */
export function figure(runs: readonly number[], unit: string): Figure {
  if (runs.length === 0) throw new RangeError(`Cannot make a figure in ${unit} from no runs`);
  const bad = runs.find((v) => !Number.isFinite(v));
  if (bad !== undefined) {
    throw new RangeError(`Cannot make a figure in ${unit}: a run is not a finite number: ${bad}`);
  }
  return {
    median: median(runs),
    min: Math.min(...runs),
    max: Math.max(...runs),
    runs: [...runs],
    unit,
  };
}

/** Mean of `values`; NaN when empty. */
export function mean(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}
