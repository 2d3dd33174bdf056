/**
 * Shared CLI conventions: a usage error type, exit codes and the one-line error printer.
 *
 * @module
 */
import { terminalSafe } from "./_terminal.ts";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { SwarmError } from "../protocol/errors.ts";

/** A command-line mistake (unknown flag, bad value). Exits with {@link EXIT_USAGE}. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * `node:util` `parseArgs` (strict by default) with its errors turned into a one-line
 * {@link UsageError}. Why `parseArgs`: it is built into Deno (the design card's
 * `@std/cli` is on JSR, which is unreachable here) and its typed result needs no
 * dependency.
 *
 * @throws {UsageError} On an unknown flag, a missing value or a stray argument.
 */
export function parseCliArgs<T extends ParseArgsConfig>(
  config: T,
): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw new UsageError((err as Error).message.split("\n")[0]);
  }
}

/** Exit code for success. */
export const EXIT_OK = 0;
/** Exit code for an operational failure (server error, task failed). */
export const EXIT_FAILURE = 1;
/** Exit code for a usage mistake. */
export const EXIT_USAGE = 2;

/**
 * Prints one line `swarm <command>: [code] message` to stderr and returns the exit
 * code that goes with the error.
 */
export function reportError(command: string, err: unknown): number {
  const prefix = command ? `swarm ${command}` : "swarm";
  if (err instanceof UsageError) {
    console.error(
      `${prefix}: ${terminalSafe(err.message)} (see 'swarm ${command ? command + " " : ""}--help')`,
    );
    return EXIT_USAGE;
  }
  if (err instanceof SwarmError) {
    // A node's or peer's message is their text: escaped so it cannot drive the terminal.
    console.error(`${prefix}: ${err.code}: ${terminalSafe(err.message)}`);
    return EXIT_FAILURE;
  }
  console.error(`${prefix}: ${terminalSafe(err instanceof Error ? err.message : String(err))}`);
  return EXIT_FAILURE;
}

/** What {@link runSubcommand} needs of a subcommand. */
export interface Subcommand<A extends { help: boolean }> {
  /** Its name, as typed after `swarm` (used in error lines). */
  name: string;
  /** Its pure argument parser; throws {@link UsageError} on a mistake. */
  parse: (argv: string[]) => A;
  /** Its help text, printed for `-h`/`--help`. */
  help: string;
  /** Its work once the arguments are parsed; returns the exit code. */
  run: (args: A) => Promise<number>;
}

/**
 * The skeleton every client subcommand shares: parse, print the help when asked, run,
 * and turn anything thrown into one error line and its exit code ({@link reportError}).
 *
 * @example
 * ```ts
 * import { runSubcommand } from "./_usage.ts";
 * const code = await runSubcommand(["--help"], {
 *   name: "demo",
 *   parse: (argv) => ({ help: argv.includes("--help") }),
 *   help: "Usage: swarm demo",
 *   run: () => Promise.resolve(0),
 * });
 * console.assert(code === 0);
 * ```
 */
export async function runSubcommand<A extends { help: boolean }>(
  argv: string[],
  command: Subcommand<A>,
): Promise<number> {
  try {
    const args = command.parse(argv);
    if (args.help) {
      console.log(command.help);
      return EXIT_OK;
    }
    return await command.run(args);
  } catch (err) {
    return reportError(command.name, err);
  }
}
