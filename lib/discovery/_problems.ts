/**
 * A bounded list of problem descriptions for a debug log, safe to print.
 *
 * @module
 */

/** Most problems kept per packet; the rest are counted. */
const MAX_PROBLEMS = 20;
const MAX_QUOTED_CHARS = 80;

/**
 * A printable, bounded rendering of an untrusted value: strings JSON-quoted (control
 * characters escaped) and cut at 80 characters, numbers and booleans as they are,
 * anything else by its kind.
 */
export function quote(value: unknown): string {
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value !== "string") return `a ${typeof value}`;
  const short = value.length > MAX_QUOTED_CHARS ? `${value.slice(0, MAX_QUOTED_CHARS)}…` : value;
  return JSON.stringify(short).replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Collects problems, keeping the first {@link MAX_PROBLEMS}. */
export class Problems {
  #list: string[] = [];
  #dropped = 0;

  /** Records one problem. */
  add(message: string): void {
    if (this.#list.length < MAX_PROBLEMS) this.#list.push(message);
    else this.#dropped++;
  }

  /** The problems kept, plus a line counting the others. */
  list(): string[] {
    return this.#dropped === 0
      ? [...this.#list]
      : [...this.#list, `And ${this.#dropped} more problems`];
  }
}
