/**
 * Flags shared by the client commands: where the node is and how to authenticate.
 *
 * @module
 */
import { resolveClientConfig } from "../client/config.ts";
import { UsageError } from "./_usage.ts";

/** `parseArgs` option definitions of the shared client flags. */
export const CLIENT_OPTIONS = {
  url: { type: "string" },
  "token-file": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** Help lines of the shared client flags. */
export const CLIENT_HELP =
  `  --url URL          node to talk to (default $SKILLLITE_SWARM_URL, else http://127.0.0.1:7700)
  --token-file FILE  read the bearer token from FILE (default $SKILLLITE_SWARM_TOKEN)
  --json             print machine-readable JSON
  -h, --help         show this help`;

/** Resolves URL and token from flags and environment. */
export function clientTarget(
  values: { url?: string; "token-file"?: string },
  env: Record<string, string | undefined>,
  readTextFile: (path: string) => string = Deno.readTextFileSync,
): { url: string; token?: string } {
  let token: string | undefined;
  if (values["token-file"] !== undefined) {
    try {
      token = readTextFile(values["token-file"]).trim();
    } catch (err) {
      throw new UsageError(
        `Cannot read token file '${values["token-file"]}': ${(err as Error).message}`,
      );
    }
    if (!token) throw new UsageError(`Token file '${values["token-file"]}' is empty`);
  }
  const resolved = resolveClientConfig(env, { url: values.url, token });
  try {
    new URL(resolved.url);
  } catch {
    throw new UsageError(`Invalid --url '${resolved.url}'`);
  }
  return resolved;
}
