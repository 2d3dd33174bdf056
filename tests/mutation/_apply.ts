/**
 * Applying one mutant to a source text: the replacement is made only when the text to
 * replace occurs exactly once, so a mutant never rots silently when the code changes.
 *
 * @module
 */

/** What {@link applyMutant} needs of a mutant. */
export interface Replacement {
  /** The mutant's id, for messages. */
  id: string;
  /** The mutated file, relative to the repository root, for messages. */
  file: string;
  /** The exact source text replaced. */
  find: string;
  /** What it is replaced with. */
  replace: string;
}

/** A mutant whose source text does not occur exactly once in its file. */
export class MutantTextError extends Error {
  /** How many times the text occurs. */
  readonly count: number;

  /**
   * Creates the error.
   *
   * @param mutant The mutant that cannot be applied.
   * @param count How many times its text occurs.
   */
  constructor(mutant: Replacement, count: number) {
    super(
      `Cannot apply mutant '${mutant.id}' as its source text must occur exactly once in ${mutant.file}: it occurs ${count} times`,
    );
    this.name = "MutantTextError";
    this.count = count;
  }
}

/**
 * How many times `text` occurs in `source`, overlapping occurrences included.
 *
 * @example
 * ```ts
 * import { occurrences } from "./_apply.ts";
 * console.assert(occurrences("aaa", "aa") === 2 && occurrences("abc", "d") === 0);
 * ```
 */
export function occurrences(source: string, text: string): number {
  if (text === "") return Infinity;
  let count = 0;
  for (let at = source.indexOf(text); at !== -1; at = source.indexOf(text, at + 1)) count++;
  return count;
}

/**
 * `source` with the mutant's text replaced.
 *
 * @throws {MutantTextError} When the text does not occur exactly once.
 * @example
 * ```ts
 * import { applyMutant } from "./_apply.ts";
 * const mutant = { id: "m", file: "f.ts", find: "x > 1", replace: "true" };
 * console.assert(applyMutant("if (x > 1) go();", mutant) === "if (true) go();");
 * ```
 */
export function applyMutant(source: string, mutant: Replacement): string {
  const count = occurrences(source, mutant.find);
  if (count !== 1) throw new MutantTextError(mutant, count);
  const at = source.indexOf(mutant.find);
  return source.slice(0, at) + mutant.replace + source.slice(at + mutant.find.length);
}
