/**
 * `swarm key`: a publisher's signing key for skill releases.
 *
 * @module
 */
import { SwarmError } from "../protocol/mod.ts";
import { generatePublisherKey } from "../sync/mod.ts";
import { EXIT_OK, parseCliArgs, runSubcommand, UsageError } from "./_usage.ts";

/** Help text of `swarm key`. */
export const KEY_HELP = `Usage: swarm key gen --out FILE [--force]

Generate a publisher's signing key for skill releases: an Ed25519 key pair, written
as two JWK files. FILE holds the private key (mode 0600): keep it where only the
publisher can read it; it signs releases. FILE.pub holds the public key (mode 0644):
give it to the nodes that should accept the publisher's releases
('swarm trust add FILE.pub --name NAME' on each). Prints the key id (the same kind of
id as 'swarm token' keys: a 16-character RFC 7638 thumbprint prefix) on stdout and
where both files went on stderr.

Commands:
  gen                 Generate a key pair.

Options:
  --out FILE          The private key file; the public one is FILE.pub. Required.
  --force             Replace FILE and FILE.pub when they exist (the old key is lost:
                      nodes that trust it will refuse releases signed with the new one
                      until they trust it too). Without it, existing files are kept and
                      the command fails.
  -h, --help          Show this help.

Exit status: 0 on success, 1 on failure (a file exists, cannot be written), 2 on a
usage mistake.`;

/** Parsed arguments of `swarm key`. */
export interface KeyArgs {
  /** `-h`/`--help`: print {@link KEY_HELP} and do nothing else. */
  help: boolean;
  /** `--out`: the private key file (empty with `help`). */
  out: string;
  /** `--force`: replace existing files. */
  force: boolean;
}

/**
 * Parses the arguments of `swarm key` (those after `key`).
 *
 * @param argv The arguments.
 * @returns The parsed arguments.
 * @throws {UsageError} On a missing or unknown command, a missing `--out`, an unknown
 * option or an extra argument.
 * @example
 * ```ts
 * import { parseKeyArgs } from "./key.ts";
 * const args = parseKeyArgs(["gen", "--out", "acme.key"]);
 * console.assert(args.out === "acme.key" && !args.force && !args.help);
 * ```
 */
export function parseKeyArgs(argv: string[]): KeyArgs {
  const { values, positionals } = parseCliArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      out: { type: "string" },
      force: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [command, ...extra] = positionals;
  if (values.help || command === "help") return { help: true, out: "", force: false };
  if (command === undefined) throw new UsageError("Missing command: gen");
  if (command !== "gen") throw new UsageError(`Unknown command '${command}': gen`);
  if (extra.length > 0) throw new UsageError(`Unexpected argument '${extra[0]}'`);
  if (values.out === undefined || values.out === "") {
    throw new UsageError("Option '--out FILE' is required");
  }
  return { help: false, out: values.out, force: values.force ?? false };
}

/**
 * Runs `swarm key` with the arguments after `key` and returns the exit code. `gen`
 * prints only the key id on stdout, so `$(swarm key gen --out F)` captures it.
 *
 * @param argv The arguments after `key`.
 * @returns The exit code.
 */
export async function runKey(argv: string[]): Promise<number> {
  return await runSubcommand(argv, { name: "key", parse: parseKeyArgs, help: KEY_HELP, run });
}

async function run(args: KeyArgs): Promise<number> {
  let key;
  try {
    key = await generatePublisherKey(args.out, { force: args.force });
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) {
      throw new SwarmError(
        "invalid_argument",
        `${err.message}: pass --force to replace it (its key is then lost)`,
        {},
        { cause: err },
      );
    }
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.PermissionDenied) {
      throw new SwarmError(
        "invalid_argument",
        `Cannot write the publisher key to ${args.out}: ${err.message}`,
        {},
        { cause: err },
      );
    }
    throw err;
  }
  console.log(key.keyId);
  console.error(
    `Wrote the private key to ${key.privateFile} (mode 0600, keep it secret) and the public key to ${key.publicFile} (for 'swarm trust add')`,
  );
  return EXIT_OK;
}
