/**
 * Structured logging: one JSON object per line on stderr, through LogTape.
 *
 * @module
 */
import {
  configureSync,
  getJsonLinesFormatter,
  getLogger,
  type Logger,
  type LogRecord,
  resetSync,
} from "@logtape/logtape";

/** Minimum level of records written. */
export type LogLevel = "debug" | "info" | "warning" | "error";

const encoder = new TextEncoder();

/**
 * Sends swarm's log records to stderr as JSON lines. Writes are synchronous so nothing
 * is lost when the process exits right after logging. Safe to call again (it resets).
 */
export function setupLogging(level: LogLevel): void {
  const format = getJsonLinesFormatter({ properties: "flatten", message: "rendered" });
  resetSync();
  configureSync({
    reset: true,
    sinks: {
      stderr: (record: LogRecord) => {
        try {
          Deno.stderr.writeSync(encoder.encode(format(record)));
        } catch {
          // stderr closed: nowhere left to report.
        }
      },
    },
    loggers: [
      { category: ["swarm"], lowestLevel: level, sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });
}

/**
 * The logger of one part of swarm, e.g. `logger("http")`.
 *
 * @internal Only because it returns LogTape's `Logger`, which `deno doc --lint` wrongly
 * calls a private type (denoland/deno#27364).
 */
export function logger(...category: string[]): Logger {
  return getLogger(["swarm", ...category]);
}
