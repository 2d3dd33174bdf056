/**
 * The Deno flags a `swarm` launcher passes to `deno run`: exactly the permission and
 * unstable flags that `deno task compile` bakes into the binary. `deno.json`'s compile
 * task is the single place these flags are written; install.sh reads them through this
 * script so a launcher and a compiled binary always run with the same grants.
 *
 * Run as a script, it prints the flags of a `deno.json`, one a line:
 *
 * ```sh
 * deno run --no-config --allow-read scripts/launcher_flags.ts deno.json
 * ```
 *
 * @module
 */

/** Compile-only flags that take a value and do not apply to `deno run`. */
const COMPILE_ONLY_WITH_VALUE = new Set([
  "--include",
  "--exclude",
  "--output",
  "-o",
  "--target",
  "--icon",
]);

/** Compile-only flags without a value. */
const COMPILE_ONLY = new Set(["--no-terminal"]);

/**
 * Splits a `deno.json` task command into words, honouring single and double quotes.
 *
 * @param command The task's command line.
 * @returns The words of the command, quotes removed.
 * @throws {SyntaxError} When a quote is left open or the command uses shell operators.
 *
 * @example
 * ```ts
 * import { splitTask } from "./launcher_flags.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(splitTask(`deno run --allow-read "my file.ts"`), [
 *   "deno",
 *   "run",
 *   "--allow-read",
 *   "my file.ts",
 * ]);
 * ```
 */
export function splitTask(command: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (const char of command) {
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
      else word += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      word ??= "";
    } else if (/\s/.test(char)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if ("&|;<>$`()".includes(char)) {
      throw new SyntaxError(`Cannot split task with shell operators: found '${char}'`);
    } else {
      word = (word ?? "") + char;
    }
  }
  if (quote !== undefined) throw new SyntaxError(`Cannot split task: unclosed ${quote} quote`);
  if (word !== undefined) words.push(word);
  return words;
}

/**
 * Extracts the permission (`--allow-*`, `--deny-*`, `-A`) and unstable (`--unstable*`)
 * flags from a `deno compile …` task, in their order; compile-only flags (`--include`,
 * `--output`, `-o`, …) and the entry module are dropped.
 *
 * @param compileTask The compile task's command line from `deno.json`.
 * @returns The flags to pass to `deno run` so it grants what the binary grants.
 * @throws {SyntaxError} When the task is not a `deno compile` command.
 * @throws {RangeError} When the task has a flag that is neither a permission, an
 * unstable nor a known compile-only flag, so a launcher could not match the binary.
 *
 * @example
 * ```ts
 * import { launcherFlags } from "./launcher_flags.ts";
 * import assert from "node:assert/strict";
 *
 * const task = "deno compile --allow-net --unstable-kv --output dist/swarm main.ts";
 * assert.deepEqual(launcherFlags(task), ["--allow-net", "--unstable-kv"]);
 * ```
 */
export function launcherFlags(compileTask: string): string[] {
  const words = splitTask(compileTask);
  if (words[0] !== "deno" || words[1] !== "compile") {
    throw new SyntaxError(
      `Cannot read compile task: expected 'deno compile …', got '${compileTask}'`,
    );
  }
  const flags: string[] = [];
  const positionals: string[] = [];
  for (let i = 2; i < words.length; i++) {
    const word = words[i];
    const name = word.split("=", 1)[0];
    if (positionals.length > 0 || !word.startsWith("-")) {
      positionals.push(word);
    } else if (
      name.startsWith("--allow-") || name.startsWith("--deny-") || name === "-A" ||
      name.startsWith("--unstable")
    ) {
      flags.push(word);
    } else if (COMPILE_ONLY_WITH_VALUE.has(name)) {
      if (!word.includes("=")) i++;
    } else if (!COMPILE_ONLY.has(name)) {
      throw new RangeError(
        `Cannot make launcher flags: unsupported flag in compile task: ${word}`,
      );
    }
  }
  if (positionals.length !== 1) {
    throw new SyntaxError(
      `Cannot read compile task: expected one entry module and no arguments, got '${
        positionals.join(" ")
      }'`,
    );
  }
  return flags;
}

if (import.meta.main) {
  const path = Deno.args[0] ?? "deno.json";
  const config = JSON.parse(await Deno.readTextFile(path));
  const task = config?.tasks?.compile;
  const command = typeof task === "string" ? task : task?.command;
  if (typeof command !== "string") {
    console.error(`Cannot make launcher flags: no compile task in ${path}`);
    Deno.exit(1);
  }
  console.log(launcherFlags(command).join("\n"));
}
