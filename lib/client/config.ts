/**
 * Where a client sends tasks and with which token.
 *
 * @module
 */

/** The node URL used when neither a flag nor `SKILLLITE_SWARM_URL` names one. */
export const DEFAULT_SWARM_URL = "http://127.0.0.1:7700";

/** Values given on the command line; absent ones fall back to the environment. */
export interface ClientFlags {
  /** `--url`: the node's base URL. */
  url?: string;
  /** `--token`: the bearer secret (an empty value means "send none"). */
  token?: string;
}

/** A resolved client configuration. */
export interface ClientConfig {
  /** Base URL of the node to talk to. */
  url: string;
  /** Bearer secret, trimmed; absent when none is configured. */
  token?: string;
}

/**
 * Resolves the node URL and token as SkillLite's agent does: the URL from the flag,
 * else `SKILLLITE_SWARM_URL`, else {@link DEFAULT_SWARM_URL}; the token from the flag,
 * else `SKILLLITE_SWARM_TOKEN`, trimmed, an empty one meaning none.
 *
 * @example
 * ```ts
 * import { resolveClientConfig } from "./config.ts";
 * const config = resolveClientConfig({ SKILLLITE_SWARM_TOKEN: " s3cret\n" }, {});
 * console.assert(config.url === "http://127.0.0.1:7700" && config.token === "s3cret");
 * ```
 */
export function resolveClientConfig(
  env: Record<string, string | undefined>,
  flags: ClientFlags,
): ClientConfig {
  const url = flags.url?.trim() || env.SKILLLITE_SWARM_URL?.trim() || DEFAULT_SWARM_URL;
  const token = (flags.token ?? env.SKILLLITE_SWARM_TOKEN)?.trim();
  return token ? { url, token } : { url };
}
