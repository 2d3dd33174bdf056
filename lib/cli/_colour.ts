/**
 * Colour for people at a terminal, and only for them: never when stdout is not a
 * terminal (a pipe, a file, a log collector), never with `NO_COLOR` set
 * (https://no-color.org), never on a `TERM=dumb` terminal.
 *
 * @module
 */

/** The few styles the CLI uses: states that are fine, doubtful and bad, and muted text. */
export type Colour = "green" | "yellow" | "red" | "dim" | "bold";

const CODES: Record<Colour, [open: number, close: number]> = {
  green: [32, 39],
  yellow: [33, 39],
  red: [31, 39],
  dim: [2, 22],
  bold: [1, 22],
};

/**
 * Whether output should be coloured: stdout is a terminal, `NO_COLOR` is unset or
 * empty, and `TERM` is not `dumb`.
 *
 * @param env The environment (`NO_COLOR`, `TERM`).
 * @param isTerminal Whether stdout is a terminal (`Deno.stdout.isTerminal()`).
 *
 * @example
 * ```ts
 * import { colourEnabled } from "./_colour.ts";
 * console.assert(colourEnabled({}, true));
 * console.assert(!colourEnabled({ NO_COLOR: "1" }, true));
 * console.assert(!colourEnabled({}, false));
 * ```
 */
export function colourEnabled(
  env: Record<string, string | undefined>,
  isTerminal: boolean,
): boolean {
  if (!isTerminal) return false;
  if ((env.NO_COLOR ?? "") !== "") return false;
  return env.TERM !== "dumb";
}

/**
 * `text` in `colour` when `on`, else `text` unchanged. Colour only text already made
 * terminal-safe: the escape codes added here are the only ones that may reach the
 * terminal.
 *
 * @example
 * ```ts
 * import { paint } from "./_colour.ts";
 * console.assert(paint("dead", "red", true) === "\x1b[31mdead\x1b[39m");
 * console.assert(paint("dead", "red", false) === "dead");
 * ```
 */
export function paint(text: string, colour: Colour, on: boolean): string {
  if (!on || text === "") return text;
  const [open, close] = CODES[colour];
  return `\x1b[${open}m${text}\x1b[${close}m`;
}
