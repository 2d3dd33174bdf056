/**
 * Reads a runnable tutorial (docs/tutorial.en.md, docs/tutorial.zh.md): its command blocks
 * with their expected output ({@linkcode parseTutorial}), and compares what a command printed
 * with what the tutorial shows ({@linkcode matchOutput}). The format — `sh` and `sh retry`
 * command blocks, `text` and `text unordered` output blocks, the `…` and `<name>`
 * placeholders — is described at the top of `tutorial_test.ts`, which runs the tutorials.
 *
 * @module
 */

/** One command block of a tutorial and what it must print. */
export interface TutorialStep {
  /** Position among the steps, from 1. */
  index: number;
  /** Line of the command block's opening fence in the Markdown file, from 1. */
  line: number;
  /** The nearest heading above the block, as written (`## 4. Discovery`). */
  heading: string;
  /** The shell text of the block. */
  command: string;
  /** Whether the block may be run again until its output matches (`sh retry`). */
  retry: boolean;
  /** The lines of its expected output (none: it must print nothing). */
  expected: string[];
  /** Whether the expected lines may come in any order (`text unordered`). */
  unordered: boolean;
}

/** Placeholder values bound so far: name → text. */
export type Bindings = ReadonlyMap<string, string>;

const COMMAND_INFO = new Map([["sh", false], ["sh retry", true]]);
const OUTPUT_INFO = new Map([["text", false], ["text unordered", true]]);

/**
 * The command blocks of a tutorial, each with its expected output.
 *
 * @throws {SyntaxError} On a fenced block whose info string is none of `sh`, `sh retry`,
 *   `text`, `text unordered`; an output block with no command block before it, or a second
 *   one for the same command; a block that is not closed.
 */
export function parseTutorial(markdown: string): TutorialStep[] {
  const steps: TutorialStep[] = [];
  let heading = "";
  let fence: { marker: string; info: string; line: number; lines: string[] } | undefined;
  let awaitingOutput = false;
  const lines = markdown.split(/\r?\n/);
  lines.forEach((text, i) => {
    if (fence) {
      const close = /^(`{3,}|~{3,})\s*$/.exec(text);
      if (!close || close[1][0] !== fence.marker[0] || close[1].length < fence.marker.length) {
        fence.lines.push(text);
        return;
      }
      const { info, line, lines: body } = fence;
      fence = undefined;
      if (COMMAND_INFO.has(info)) {
        steps.push({
          index: steps.length + 1,
          line,
          heading,
          command: body.join("\n"),
          retry: COMMAND_INFO.get(info)!,
          expected: [],
          unordered: false,
        });
        awaitingOutput = true;
      } else if (OUTPUT_INFO.has(info)) {
        if (!awaitingOutput) {
          throw new SyntaxError(
            `Cannot read the tutorial: the output block at line ${line} follows no command block`,
          );
        }
        const step = steps[steps.length - 1];
        step.expected = trimBlankEdges(body.map((l) => l.trimEnd()));
        step.unordered = OUTPUT_INFO.get(info)!;
        awaitingOutput = false;
      } else {
        throw new SyntaxError(
          `Cannot read the tutorial: the block at line ${line} has the info string '${info}': ` +
            "expected sh, sh retry, text or text unordered",
        );
      }
      return;
    }
    const open = /^(`{3,}|~{3,})(.*)$/.exec(text);
    if (open) {
      fence = { marker: open[1], info: open[2].trim(), line: i + 1, lines: [] };
      return;
    }
    if (/^#{1,6}\s/.test(text)) heading = text.trim();
  });
  if (fence) {
    throw new SyntaxError(
      `Cannot read the tutorial: the block at line ${fence.line} is not closed`,
    );
  }
  return steps;
}

/** Lines bash prints on its own when it reaps a background job that a signal killed. */
const JOB_REPORT =
  /^(?:\S+: )?line \d+: +\d+ (?:Killed|Terminated|Hangup|Quit|Aborted|Segmentation fault)(?: \(core dumped\))? +\S.*$/;

/**
 * What a command printed, as lines to compare: spaces at either end cut (a formatter may
 * dedent an output block), bash's job reports dropped, blank lines at either end removed.
 */
export function outputLines(text: string): string[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => !JOB_REPORT.test(l));
  return trimBlankEdges(lines);
}

function trimBlankEdges(lines: string[]): string[] {
  let start = 0;
  let end = lines.length;
  while (start < end && lines[start].trim() === "") start++;
  while (end > start && lines[end - 1].trim() === "") end--;
  return lines.slice(start, end);
}

const ANY_LINES = "…";
const TOKEN = /…|<([a-z][a-z0-9-]*)>| +|[^…< ]+|</g;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/**
 * Matches one expected line against one actual line under `bindings`; returns the bindings
 * extended by the placeholders this line bound first, or null.
 */
function matchLine(
  expected: string,
  actual: string,
  bindings: Bindings,
): Map<string, string> | null {
  const fresh: string[] = [];
  let source = "";
  for (const token of expected.matchAll(TOKEN)) {
    const [text, name] = token;
    if (text === "…") source += ".*?";
    else if (name !== undefined) {
      const bound = bindings.get(name);
      const first = fresh.indexOf(name);
      if (bound !== undefined) source += escapeRegExp(bound);
      else if (first >= 0) source += `\\${first + 1}`;
      else {
        fresh.push(name);
        source += "(\\S+?)";
      }
    } else if (text.startsWith(" ")) source += " +";
    else source += escapeRegExp(text);
  }
  const match = new RegExp(`^${source}$`, "u").exec(actual);
  if (!match) return null;
  const next = new Map(bindings);
  const values = new Set(bindings.values());
  for (const [i, name] of fresh.entries()) {
    const value = match[i + 1];
    // Two names stand for two different things: `<id-a>` may not be `<id-c>`.
    if (values.has(value)) return null;
    values.add(value);
    next.set(name, value);
  }
  return next;
}

function matchInOrder(
  expected: string[],
  actual: string[],
  bindings: Bindings,
): Map<string, string> | null {
  const walk = (e: number, a: number, b: Bindings): Map<string, string> | null => {
    if (e === expected.length) return a === actual.length ? new Map(b) : null;
    if (expected[e] === ANY_LINES) {
      for (let skip = a; skip <= actual.length; skip++) {
        const found = walk(e + 1, skip, b);
        if (found) return found;
      }
      return null;
    }
    if (a === actual.length) return null;
    const next = matchLine(expected[e], actual[a], b);
    return next ? walk(e + 1, a + 1, next) : null;
  };
  return walk(0, 0, bindings);
}

function matchAnyOrder(
  expected: string[],
  actual: string[],
  bindings: Bindings,
): Map<string, string> | null {
  const extraAllowed = expected.includes(ANY_LINES);
  const wanted = expected.filter((l) => l !== ANY_LINES);
  const used = actual.map(() => false);
  const place = (e: number, b: Bindings): Map<string, string> | null => {
    if (e === wanted.length) return extraAllowed || used.every(Boolean) ? new Map(b) : null;
    for (let a = 0; a < actual.length; a++) {
      if (used[a]) continue;
      const next = matchLine(wanted[e], actual[a], b);
      if (!next) continue;
      used[a] = true;
      const found = place(e + 1, next);
      used[a] = false;
      if (found) return found;
    }
    return null;
  };
  return place(0, bindings);
}

/** Options of {@linkcode matchOutput}. */
export interface MatchOptions {
  /** Let the expected lines match in any order. @default {false} */
  unordered?: boolean;
  /** Placeholders bound by earlier steps. @default {empty} */
  bindings?: Bindings;
}

/**
 * Whether `actual` (a command's whole output) is what `expected` shows, by the rules of the
 * module doc. Returns the bindings extended by this output's new placeholders, or null when it
 * does not match (the given bindings are left as they were).
 *
 * @example
 * ```ts
 * import { matchOutput } from "./_tutorial.ts";
 * const bound = matchOutput(["received by <id-b>", "took …"], "received by 7f3a\ntook 5 ms\n");
 * console.assert(bound?.get("id-b") === "7f3a");
 * console.assert(matchOutput(["<id-a>"], "7f3a", { bindings: bound! }) === null);
 * ```
 */
export function matchOutput(
  expected: string[],
  actual: string,
  options: MatchOptions = {},
): Map<string, string> | null {
  const { unordered = false, bindings = new Map() } = options;
  const lines = outputLines(actual);
  const wanted = trimBlankEdges(expected.map((l) => l.trim()));
  return unordered ? matchAnyOrder(wanted, lines, bindings) : matchInOrder(wanted, lines, bindings);
}
