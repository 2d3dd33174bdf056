/**
 * "Did you mean …?" for a mistyped command or option: an edit distance and the closest
 * known word within a small budget of edits.
 *
 * @module
 */

/**
 * The optimal-string-alignment distance between `a` and `b`: the fewest single-character
 * insertions, deletions, substitutions and swaps of two adjacent characters that turn
 * one into the other (`stauts` → `status` is one swap).
 *
 * @example
 * ```ts
 * import { editDistance } from "./_suggest.ts";
 * console.assert(editDistance("stauts", "status") === 1);
 * console.assert(editDistance("--listne", "--listen") === 1);
 * console.assert(editDistance("task", "tls") === 2);
 * ```
 */
export function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  // rows[i][j]: distance between the first i characters of x and the first j of y.
  const rows: number[][] = Array.from({ length: x.length + 1 }, (_, i) => {
    const row = new Array<number>(y.length + 1).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j <= y.length; j++) rows[0][j] = j;
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) {
        best = Math.min(best, rows[i - 2][j - 2] + 1);
      }
      rows[i][j] = best;
    }
  }
  return rows[x.length][y.length];
}

/**
 * The known word closest to `word`, when it is close enough to be a typo: at most one
 * edit for words of up to four characters, two up to eight, three beyond (leading
 * dashes of an option do not count towards the length). Ties go to the word listed
 * first; `word` itself is never suggested.
 *
 * @param word What was typed.
 * @param known The words that exist.
 * @returns The suggestion, or undefined when nothing is close.
 *
 * @example
 * ```ts
 * import { closest } from "./_suggest.ts";
 * console.assert(closest("stauts", ["serve", "status", "skills"]) === "status");
 * console.assert(closest("deploy", ["serve", "status"]) === undefined);
 * ```
 */
export function closest(word: string, known: readonly string[]): string | undefined {
  const length = word.replace(/^-+/, "").length;
  const budget = length <= 4 ? 1 : length <= 8 ? 2 : 3;
  let best: string | undefined;
  let bestDistance = budget + 1;
  for (const candidate of known) {
    if (candidate === word) continue;
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * `message` with `: did you mean 'X'?` added when it reports an unknown option
 * (`Unknown option '--listne'`, as `node:util` `parseArgs` words it) and one of
 * `options` (long flags with their dashes, `--listen`) is close to it.
 *
 * @example
 * ```ts
 * import { withOptionSuggestion } from "./_suggest.ts";
 * console.assert(
 *   withOptionSuggestion("Unknown option '--listne'", ["--listen", "--peer"]) ===
 *     "Unknown option '--listne': did you mean '--listen'?",
 * );
 * ```
 */
export function withOptionSuggestion(message: string, options: readonly string[]): string {
  const typed = /^Unknown option '(-[^'=]*)'/.exec(message)?.[1];
  if (typed === undefined) return message;
  const suggestion = closest(typed, options);
  // parseArgs may go on about positional arguments starting with '-': not this case.
  return suggestion === undefined
    ? message
    : `Unknown option '${typed}': did you mean '${suggestion}'?`;
}

/**
 * `message` with `: did you mean 'X'?` added when it reports an unknown key of a config
 * file (`… has an unknown key 'listne'`) and one of `keys` is close to it.
 *
 * @example
 * ```ts
 * import { withKeySuggestion } from "./_suggest.ts";
 * console.assert(
 *   withKeySuggestion("Config file '/c.json' has an unknown key 'maxHosp'", ["maxHops"]) ===
 *     "Config file '/c.json' has an unknown key 'maxHosp': did you mean 'maxHops'?",
 * );
 * ```
 */
export function withKeySuggestion(message: string, keys: readonly string[]): string {
  const typed = /has an unknown key '([^']*)'$/.exec(message)?.[1];
  const suggestion = typed === undefined ? undefined : closest(typed, keys);
  return suggestion === undefined ? message : `${message}: did you mean '${suggestion}'?`;
}
