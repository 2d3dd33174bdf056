/**
 * Structured logging: one JSON object per line on stderr, through LogTape.
 *
 * @module
 */
import {
  configureSync,
  getJsonLinesFormatter,
  getLogger,
  getTextFormatter,
  type Logger,
  type LogRecord,
  resetSync,
  type TextFormatter,
} from "@logtape/logtape";
import { taskStorage } from "./task_context.ts";

/** Minimum level of records written. */
export type LogLevel = "debug" | "info" | "warning" | "error";

/** Output format: JSON lines, or human-readable text. */
export type LogFormat = "json" | "pretty";

const encoder = new TextEncoder();

/** Property names whose values never reach a log line. */
const SECRET_KEY = /token|authorization|password|secret|api_?key|private_?key|cookie/i;

/**
 * Secrets recognised inside any string, whatever its property is called: signed tokens
 * (JWTs), PEM private keys, and the credential of a `Bearer` value.
 */
const SECRET_TEXT = [
  /eyJ[\w-]*\.[\w-]+\.[\w-]*/g,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /(\bbearer\s+)\S+/gi,
];

function redactText(text: string): string {
  let out = text;
  for (const pattern of SECRET_TEXT) {
    out = out.replace(
      pattern,
      (match, bearer) =>
        typeof bearer === "string" && /^bearer/i.test(match) ? `${bearer}[REDACTED]` : "[REDACTED]",
    );
  }
  return out;
}

/**
 * Replaces the values of secret-looking properties (token, authorization, api key,
 * password, …) with `[REDACTED]`, recursively, and blanks tokens, private keys and
 * bearer credentials found inside any other string.
 *
 * @example
 * ```ts
 * import { redact } from "./log.ts";
 * console.assert(JSON.stringify(redact({ token: "s3cret", peer: "a" })) === '{"token":"[REDACTED]","peer":"a"}');
 * console.assert(redact("got Bearer s3cret") === "got Bearer [REDACTED]");
 * ```
 */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactText(value);
  if (depth > 8 || typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map((
      [k, v],
    ) => [k, SECRET_KEY.test(k) ? "[REDACTED]" : redact(v, depth + 1)]),
  );
}

/** `HH:MM:SS.mmm LEVEL category: message key=value …` for a person at a terminal. */
function prettyFormatter(): TextFormatter {
  const head = getTextFormatter({ timestamp: "time", level: "ABBR" });
  return (record) => {
    const fields = Object.entries(record.properties)
      .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join(" ");
    const line = head(record).trimEnd();
    return fields ? `${line} ${fields}\n` : `${line}\n`;
  };
}

/**
 * Sends swarm's log records to stderr: JSON lines, or text for a person at a terminal.
 * Writes are synchronous so nothing is lost when the process exits right after logging.
 * Records inside a task carry its `task_id`, `trace_id`, `node_id` and `hop`. Safe to
 * call again (it resets).
 */
export function setupLogging(level: LogLevel, format: LogFormat = "json"): void {
  const render = format === "pretty"
    ? prettyFormatter()
    : getJsonLinesFormatter({ properties: "flatten", message: "rendered" });
  resetSync();
  configureSync({
    reset: true,
    contextLocalStorage: taskStorage,
    sinks: {
      stderr: (record: LogRecord) => {
        try {
          const clean = {
            ...record,
            message: redact(record.message) as unknown[],
            properties: redact(record.properties) as Record<string, unknown>,
          };
          Deno.stderr.writeSync(encoder.encode(render(clean)));
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
