/**
 * Shapes of the benchmark results: what each scenario returns and what
 * `docs/benchmarks.json` holds.
 *
 * @module
 */
import type { Figure } from "./_stats.ts";

/** One line of a scenario's table: a measured path and its figures, or why it has none. */
export interface Row {
  /** Stable key, e.g. `node-noop-c16`; goals refer to rows by it. */
  id: string;
  /** What was measured, for the table. */
  label: string;
  /** Named figures (`rps`, `p50`, `p99`, `rss`, …), each a median of several runs. */
  figures: Record<string, Figure>;
  /** `n/a: <reason>` when this row could not be measured (a tool missing, …). */
  na?: string;
  /** The n/a comes from an unexpected error (the harness or the node broke), not a missing tool. */
  failed?: boolean;
  /** A short remark shown beside the row (e.g. non-2xx answers seen). */
  note?: string;
}

/** Evidence captured for a missed goal or a surprising figure. */
export interface Evidence {
  /** What it shows, in one line. */
  title: string;
  /** Lines of text (a profile's top entries, a breakdown). */
  lines: string[];
  /** Capturing it failed; `lines` hold the error. */
  failed?: boolean;
  /** Where the raw artefact was kept, if anywhere. */
  artefact?: string;
}

/** What one scenario produced. */
export interface ScenarioResult {
  /** Scenario number of issue 8 (1–6). */
  number: number;
  /** Stable key, e.g. `overhead`. */
  id: string;
  /** Title, e.g. `Node overhead`. */
  title: string;
  /** What it is measured against. */
  reference: string;
  /** The measured rows. */
  rows: Row[];
  /** `n/a: <reason>` when the whole scenario could not run. */
  na?: string;
  /** The n/a comes from an unexpected error, not from something missing on this machine. */
  failed?: boolean;
  /** How it was measured (flags, sizes, run counts). */
  method: string[];
  /** Profiles and breakdowns. */
  evidence: Evidence[];
  /** Wall-clock time the scenario took, in ms. */
  durationMs: number;
}

/** One goal of issue 8, evaluated. */
export interface GoalResult {
  /** Stable key. */
  id: string;
  /** The goal as the issue states it. */
  goal: string;
  /** The measured value (a ratio or an absolute figure); null when not measured. */
  value: number | null;
  /** How `value` is compared (`≤ 2` …). */
  limit: string;
  /** Unit of `value` (`×`, `MB`, `ms`). */
  unit: string;
  /** true met, false missed, null not measured. */
  met: boolean | null;
  /** How the value was computed, with the figures used. */
  detail: string;
  /** For a missed goal: the measured cause (filled from the scenarios' evidence). */
  cause?: string;
}

/** The machine and software the run happened on. */
export interface MachineInfo {
  date: string;
  host: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  loadAverageStart: string;
  loadAverageEnd?: string;
  versions: Record<string, string>;
  commit: string;
}

/** Everything a run wrote to `benchmarks.json`. */
export interface BenchReport {
  /** `full` or `quick`. */
  mode: "full" | "quick";
  machine: MachineInfo;
  scenarios: ScenarioResult[];
  goals: GoalResult[];
  /** Wall-clock time of the whole run, in ms. */
  durationMs: number;
}

/** What every scenario gets from the harness. */
export interface BenchContext {
  /** Quick mode: fewer and shorter runs, smaller sizes. */
  quick: boolean;
  /** Whether missing tools may be installed with apt-get. */
  install: boolean;
  /** Whether to capture CPU profiles as evidence. */
  profile: boolean;
  /** Directory for this run's temporary files (removed at the end). */
  tmp: string;
  /** Directory kept after the run for artefacts (profiles). */
  artefacts: string;
  /** Progress line to the console. */
  log(line: string): void;
}
