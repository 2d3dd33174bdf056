/**
 * Flags shared by the client commands: where the node is and how to authenticate.
 *
 * @module
 */
import { resolveClientConfig } from "../client/mod.ts";
import { UsageError } from "./_usage.ts";

/** `parseArgs` option definitions of the shared client flags. */
export const CLIENT_OPTIONS = {
  url: { type: "string" },
  "token-file": { type: "string" },
  "tls-ca": { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** Variables the TLS client flags default to (`--tls-ca`, `--tls-cert`, `--tls-key`). */
export const CLIENT_TLS_ENV = ["SWARM_TLS_CA", "SWARM_TLS_CERT", "SWARM_TLS_KEY"] as const;

/** Help lines of the shared client flags. */
export const CLIENT_HELP =
  `  --url URL          node to talk to: http(s)://HOST:PORT, or HOST:PORT for http (default
                     $SKILLLITE_SWARM_URL, else http://127.0.0.1:7700)
  --token-file FILE  read the bearer token from FILE (default $SKILLLITE_SWARM_TOKEN)
  --tls-ca FILE      verify an https node against this PEM CA bundle (default $SWARM_TLS_CA,
                     else the system roots)
  --tls-cert FILE    client certificate for a node that requires one (mTLS; default
  --tls-key FILE     $SWARM_TLS_CERT / $SWARM_TLS_KEY), PEM
  --json             print machine-readable JSON
  -h, --help         show this help`;

/** The shared client flags as parsed. */
export interface ClientFlagValues {
  /** `--url`. */
  url?: string;
  /** `--token-file`. */
  "token-file"?: string;
  /** `--tls-ca`. */
  "tls-ca"?: string;
  /** `--tls-cert`. */
  "tls-cert"?: string;
  /** `--tls-key`. */
  "tls-key"?: string;
}

/** Where a client command goes and how it proves who it is. */
export interface ClientTarget {
  /** Base URL of the node. */
  url: string;
  /** Bearer token, when one is set. */
  token?: string;
  /** A `fetch` verifying the node against `--tls-ca` and presenting `--tls-cert`, when set. */
  fetch?: typeof fetch;
}

/** The TLS client flags given, if any. */
export type TlsFlagValues = Pick<ClientFlagValues, "tls-ca" | "tls-cert" | "tls-key">;

/**
 * Picks the TLS client flags out of a command's parsed values: `{ tls }` when any was
 * given, else `{}` (spread it into the command's parsed arguments).
 */
export function tlsFlagValues(values: Record<string, unknown>): { tls?: TlsFlagValues } {
  const tls: TlsFlagValues = {};
  for (const name of ["tls-ca", "tls-cert", "tls-key"] as const) {
    if (typeof values[name] === "string") tls[name] = values[name] as string;
  }
  return Object.keys(tls).length > 0 ? { tls } : {};
}

function readPemFlag(flag: string, path: string, read: (path: string) => string): string {
  try {
    return read(path);
  } catch (err) {
    throw new UsageError(`Cannot read --${flag} '${path}': ${(err as Error).message}`);
  }
}

/** Builds the TLS `fetch` of the client flags, or undefined when none is set. */
function tlsFetch(
  values: ClientFlagValues,
  env: Record<string, string | undefined>,
  read: (path: string) => string,
): typeof fetch | undefined {
  const ca = values["tls-ca"] ?? (env.SWARM_TLS_CA || undefined);
  const cert = values["tls-cert"] ?? (env.SWARM_TLS_CERT || undefined);
  const key = values["tls-key"] ?? (env.SWARM_TLS_KEY || undefined);
  if (Boolean(cert) !== Boolean(key)) {
    throw new UsageError("Options --tls-cert and --tls-key go together: give both or neither");
  }
  if (!ca && !cert) return undefined;
  const client = Deno.createHttpClient({
    ...(ca ? { caCerts: [readPemFlag("tls-ca", ca, read)] } : {}),
    ...(cert && key
      ? { cert: readPemFlag("tls-cert", cert, read), key: readPemFlag("tls-key", key, read) }
      : {}),
  });
  return (input, init) => fetch(input, { ...init, client });
}

/** Resolves URL, token and TLS settings from flags and environment. */
export function clientTarget(
  values: ClientFlagValues,
  env: Record<string, string | undefined>,
  readTextFile: (path: string) => string = Deno.readTextFileSync,
): ClientTarget {
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
  const source = values.url?.trim() ? "--url" : "SKILLLITE_SWARM_URL";
  const url = parseNodeUrl(resolved.url, source);
  const fetch = tlsFetch(values, env, readTextFile);
  return fetch ? { ...resolved, url, fetch } : { ...resolved, url };
}

/**
 * A node's base URL from what the user typed: `http://` or `https://` with a host, or a
 * bare `HOST:PORT` (`localhost:7700`, `127.0.0.1:7700`, `[::1]:7700`), which means
 * `http://HOST:PORT`. Trailing slashes are dropped; a path (a reverse proxy's prefix) is
 * kept.
 *
 * @param text The URL as given.
 * @param source Where it came from, for the error (`--url`, `SKILLLITE_SWARM_URL`).
 * @returns The base URL with its scheme.
 * @throws {UsageError} For anything else: another scheme, credentials, a query, no host.
 *
 * @example
 * ```ts
 * import { parseNodeUrl } from "./_client_flags.ts";
 * console.assert(parseNodeUrl("localhost:7701", "--url") === "http://localhost:7701");
 * console.assert(parseNodeUrl("https://n1.lan:7700/", "--url") === "https://n1.lan:7700");
 * ```
 */
export function parseNodeUrl(text: string, source: string): string {
  const trimmed = text.trim();
  const invalid = (why: string) =>
    new UsageError(
      `Invalid ${source} '${text}': ${why} (expected http(s)://HOST:PORT or HOST:PORT)`,
    );
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed);
  // `host:7700` is a host and a port; `ftp:x` or `http:/x` is a scheme, mistyped.
  if (!hasScheme && /^[a-z][a-z0-9+.-]*:(?!\d)/i.test(trimmed)) {
    throw invalid("not a node address");
  }
  const withScheme = hasScheme ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw invalid("not a URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw invalid(`scheme ${url.protocol.slice(0, -1)} is not http or https`);
  }
  if (!url.hostname) throw invalid("no host");
  if (url.username || url.password || url.search || url.hash) {
    throw invalid("credentials, a query or a fragment do not belong in a node URL");
  }
  return withScheme.replace(/\/+$/, "");
}

/** The client flags as a subcommand's parser returns them. */
export interface ParsedClientFlags {
  /** `--url`. */
  url?: string;
  /** `--token-file`. */
  tokenFile?: string;
  /** `--tls-ca`, `--tls-cert`, `--tls-key`. */
  tls?: TlsFlagValues;
}

/** {@link clientTarget} of a subcommand's parsed flags and this process's environment. */
export function targetOfArgs(args: ParsedClientFlags): ClientTarget {
  return clientTarget(
    { url: args.url, "token-file": args.tokenFile, ...args.tls },
    Deno.env.toObject(),
  );
}
