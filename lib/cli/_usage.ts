/**
 * Shared CLI conventions: a usage error type, exit codes and the one-line error printer.
 *
 * @module
 */
import { SwarmError } from "../protocol/errors.ts";

/** A command-line mistake (unknown flag, bad value). Exits with {@link EXIT_USAGE}. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
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
    console.error(`${prefix}: ${err.message} (see 'swarm ${command ? command + " " : ""}--help')`);
    return EXIT_USAGE;
  }
  if (err instanceof SwarmError) {
    console.error(`${prefix}: ${err.code}: ${err.message}`);
    return EXIT_FAILURE;
  }
  console.error(`${prefix}: ${err instanceof Error ? err.message : String(err)}`);
  return EXIT_FAILURE;
}
