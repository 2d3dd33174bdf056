/**
 * `swarm serve` / `swarm --listen …`: runs a node.
 *
 * @module
 */
import { ConfigError, loadConfig, OPTIONS, serveHelp } from "../config/mod.ts";
import { terminalSafe } from "./_terminal.ts";
import { runNode } from "../node/mod.ts";
import { SwarmError } from "../protocol/mod.ts";
import { EXIT_USAGE, reportError } from "./_usage.ts";
import { withKeySuggestion, withOptionSuggestion } from "./_suggest.ts";
import { CLIENT_TLS_ENV } from "./_client_flags.ts";

/**
 * Variables of the node's option table that client commands read too (`--tls-ca`,
 * `--tls-cert`, `--tls-key` of `swarm status|task|events`): set alone, they configure a
 * client, not a node.
 */
const CLIENT_SHARED_ENV: ReadonlySet<string> = new Set(CLIENT_TLS_ENV);

/**
 * Whether `env` configures a node, so that `swarm` without arguments runs one (under a
 * service manager) instead of printing the help: any variable of the node's option
 * table (`SWARM_LISTEN`, `SWARM_CONFIG`, …) is set and not empty, besides those client
 * commands share.
 *
 * @example
 * ```ts
 * import { nodeConfiguredByEnv } from "./serve.ts";
 * console.assert(nodeConfiguredByEnv({ SWARM_LISTEN: "127.0.0.1:7700" }));
 * console.assert(!nodeConfiguredByEnv({ SKILLLITE_SWARM_TOKEN: "t", SWARM_TLS_CA: "ca.crt" }));
 * ```
 */
export function nodeConfiguredByEnv(env: Record<string, string | undefined>): boolean {
  return OPTIONS.some((o) =>
    o.env !== undefined && !CLIENT_SHARED_ENV.has(o.env) && (env[o.env] ?? "") !== ""
  );
}

/** The node's flags, for "did you mean" on a mistyped one. */
const NODE_FLAGS = ["--help", ...OPTIONS.map((o) => `--${o.flag}`)];
/** The config file's keys, for "did you mean" on a mistyped one. */
const CONFIG_KEYS = OPTIONS.map((o) => o.key).filter((key) => key !== "config");

/**
 * Runs the node with `argv` (flags only) and returns the exit code.
 *
 * @param argv The node's flags.
 * @param env The environment the node's settings are read from.
 */
export async function runServe(
  argv: string[],
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<number> {
  let result;
  try {
    result = loadConfig({ args: argv, env });
  } catch (err) {
    if (err instanceof ConfigError) {
      const message = withKeySuggestion(
        withOptionSuggestion(err.message, NODE_FLAGS),
        CONFIG_KEYS,
      );
      console.error(`swarm: ${err.code}: ${terminalSafe(message)}`);
      return EXIT_USAGE;
    }
    return reportError("", err);
  }
  if (result.help) {
    console.log(serveHelp());
    return 0;
  }
  try {
    return await runNode(result.config);
  } catch (err) {
    // A setup mistake found while starting (a TLS file missing or wrong, the port in
    // use) is the operator's to fix, like a bad flag: the same exit status.
    const code = reportError("", err);
    return err instanceof SwarmError && err.code === "config_invalid" ? EXIT_USAGE : code;
  }
}
