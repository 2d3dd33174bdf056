/**
 * Text from a node (task ids, skill and peer names, error messages, skill output) made
 * safe to print on a terminal: a hostile value must not move the cursor, rewrite
 * earlier lines, set the window title or hide text with escape sequences.
 *
 * @module
 */

/** Options of {@link terminalSafe}. */
export interface TerminalSafeOptions {
  /**
   * Keep line feeds and tabs (free text such as a skill's response). Otherwise they are
   * escaped too, so a one-line field cannot forge a line of its own.
   *
   * @default {false}
   */
  multiline?: boolean;
}

/**
 * C0 controls, DEL, C1 controls (0x9B is a one-byte CSI on many terminals), bidi
 * embeddings/overrides/isolates (text that reads differently than it is), and line or
 * paragraph separators.
 */
// deno-lint-ignore no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_KEEP_LINES =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `value` as text with every control character written as a visible escape (`\x1b`,
 * `\n`, `\u202e`), so printing it cannot drive the terminal.
 *
 * @param value Anything; non-strings go through `String()`.
 * @param options Whether line feeds and tabs stay.
 * @returns The escaped text.
 *
 * @example
 * ```ts
 * import { terminalSafe } from "./_terminal.ts";
 * console.assert(terminalSafe("id\x1b[2J") === "id\\x1b[2J");
 * console.assert(terminalSafe("a\nb") === "a\\nb");
 * console.assert(terminalSafe("a\nb", { multiline: true }) === "a\nb");
 * ```
 */
export function terminalSafe(value: unknown, options: TerminalSafeOptions = {}): string {
  const text = typeof value === "string" ? value : String(value);
  return text.replace(options.multiline ? UNSAFE_KEEP_LINES : UNSAFE, escapeOne);
}

function escapeOne(char: string): string {
  switch (char) {
    case "\n":
      return "\\n";
    case "\r":
      return "\\r";
    case "\t":
      return "\\t";
  }
  const code = char.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

const UNSAFE_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `JSON.stringify(value, null, indent)` with the characters JSON leaves raw but a
 * terminal acts on (DEL, C1 controls, bidi controls, line separators) written as
 * `\uXXXX` escapes: still the same JSON, safe to print.
 *
 * @example
 * ```ts
 * import { jsonForTerminal } from "./_terminal.ts";
 * console.assert(jsonForTerminal({ id: "a\u009b2J" }) === '{"id":"a\\u009b2J"}');
 * console.assert(JSON.parse(jsonForTerminal({ id: "a\u009b2J" })).id === "a\u009b2J");
 * ```
 */
export function jsonForTerminal(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    UNSAFE_IN_JSON,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * `text` cut to at most `max` characters, its end replaced by `…` when it was longer:
 * a long value (a peer's error message) keeps a table's columns in place; `--json`
 * still has the full text.
 *
 * @example
 * ```ts
 * import { truncate } from "./_terminal.ts";
 * console.assert(truncate("connection refused", 10) === "connectio…");
 * console.assert(truncate("ok", 10) === "ok");
 * ```
 */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join("")}…`;
}
