/**
 * `swarm token`: manage the token keyring (keys, rotation, revocation) and issue and
 * verify capability-scoped tokens.
 *
 * @module
 */
import { resolve } from "node:path";
import {
  type Action,
  ACTIONS,
  activateKey,
  addKey,
  createKeyring,
  createVerifier,
  generateKeyPair,
  issueToken,
  type Keyring,
  KeyringError,
  keyState,
  MAX_TOKEN_TTL_MS,
  publicView,
  randomAudience,
  readKeyring,
  recordToken,
  retireKey,
  revokeToken,
  TokenError,
  updateKeyring,
  verifyToken,
  writeKeyring,
} from "../security/mod.ts";
import {
  EXIT_FAILURE,
  EXIT_OK,
  noPositionals,
  onePositional,
  parseCliArgs,
  reportError,
  UsageError,
} from "./_usage.ts";
import { terminalSafe } from "./_terminal.ts";
import {
  CLIENT_OPTIONS,
  type ParsedClientFlags,
  targetOfArgs,
  tlsFlagValues,
} from "./_client_flags.ts";
import { SwarmClient } from "../client/mod.ts";
import { signRevocations } from "../sync/mod.ts";

/** Help text of `swarm token`. */
export const TOKEN_HELP = `Usage: swarm token COMMAND [options]

Manage the keyring of token signing keys, and issue, list, revoke and verify
capability-scoped tokens (JWTs signed with Ed25519, audience = the keyring's mesh id).

Commands:
  keygen [--audience MESH] [--no-activate]
                      Generate a signing key and print its key id. Creates the
                      keyring when missing (audience: MESH, or a random mesh-XXXXXXXX).
                      The new key signs new tokens unless --no-activate.
  activate KID        Make key KID the one that signs new tokens.
  retire KID          Retire key KID: tokens it signed are refused from then on and
                      its private key is deleted. The active key cannot be retired:
                      activate another one first.
  issue --subject NAME [--scope task,read] [--capability C]... [--skill S]...
        [--ttl 30d] [--not-before ISO]
                      Sign a token with the active key, record its metadata (not
                      the token) in the keyring, and print only the token.
                      Scope: comma-separated actions among ${ACTIONS.join(", ")}
                      (default task,read; admin allows everything). Capability and
                      skill: repeatable, default * (any). TTL: 90s, 15m, 12h or 30d
                      (default 30d, at most 366d), counted from --not-before.
  list [--json]       Show keys (active, verify-only, retired), issued tokens with
                      their expiry and state, and revocations. Never prints private
                      keys or tokens.
  revoke JTI [--url NODE]
                      Revoke token id JTI (repeating it changes nothing). With
                      --url (and --token-file / --tls-* as for 'swarm status'), also
                      hand every revocation of the keyring, signed with its active
                      key, to that node: skill sync's gossip carries it to every
                      node that holds this keyring's public keys.
  export --out FILE   Write the keyring without private keys, for nodes that only
                      verify tokens.
  verify TOKEN        Check TOKEN against the keyring and print what it grants, or
                      why it is refused (exit 1). TOKEN '-' reads it from stdin.

Options (every command):
  --keyring FILE      The keyring file (default: $SWARM_KEYRING). Written atomically
                      with mode 0600, so nodes reading it live never see half a file.
  -h, --help          Show this help.

Rotation: 'keygen' (new key active, old tokens still verify) → reissue tokens →
'retire OLD_KID' once the old tokens are no longer needed.

Exit status: 0 on success, 1 on failure or a refused token, 2 on a usage mistake.`;

/** The subcommands of `swarm token`. */
export const TOKEN_COMMANDS = [
  "keygen",
  "activate",
  "retire",
  "issue",
  "list",
  "revoke",
  "export",
  "verify",
] as const;

/** A parsed `swarm token` command line: `help`, or a command on a keyring file. */
export type TokenArgs =
  | { /** `-h`/`--help`: print {@link TOKEN_HELP}. */ command: "help" }
  | {
    /** Generate a key. */
    command: "keygen";
    /** The keyring file. */
    keyring: string;
    /** `--audience`: the mesh id of a keyring created now. */
    audience?: string;
    /** Make the new key active (`--no-activate` turns it off). */
    activate: boolean;
  }
  | {
    /** Activate or retire a key. */
    command: "activate" | "retire";
    /** The keyring file. */
    keyring: string;
    /** The key id. */
    kid: string;
  }
  | {
    /** Issue a token. */
    command: "issue";
    /** The keyring file. */
    keyring: string;
    /** `--subject`. */
    subject: string;
    /** `--scope`, parsed. */
    actions: Action[];
    /** `--capability` values, default `["*"]`. */
    capabilities: string[];
    /** `--skill` values, default `["*"]`. */
    skills: string[];
    /** `--ttl` in ms. */
    ttlMs: number;
    /** `--not-before` in ms since the epoch. */
    notBefore?: number;
  }
  | {
    /** List keys, tokens and revocations. */
    command: "list";
    /** The keyring file. */
    keyring: string;
    /** `--json`. */
    json: boolean;
  }
  | {
    /** Revoke a token id. */
    command: "revoke";
    /** The keyring file. */
    keyring: string;
    /** The token id. */
    jti: string;
    /** `--url` and the client flags: the node the signed revocations go to, if any. */
    node?: ParsedClientFlags;
  }
  | {
    /** Write the public view. */
    command: "export";
    /** The keyring file. */
    keyring: string;
    /** `--out`: where to write it. */
    out: string;
  }
  | {
    /** Verify a token. */
    command: "verify";
    /** The keyring file. */
    keyring: string;
    /** The token, or `-` for stdin. */
    token: string;
  };

const DURATION_UNITS_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Parses a duration such as `90s`, `15m`, `12h` or `30d` into milliseconds.
 *
 * @throws {UsageError} On any other form or a zero duration.
 *
 * @example
 * ```ts
 * import { parseDuration } from "./token.ts";
 * console.assert(parseDuration("15m") === 900_000);
 * ```
 */
export function parseDuration(text: string): number {
  const match = /^(\d{1,6})([smhd])$/.exec(text);
  if (match === null || Number(match[1]) === 0) {
    throw new UsageError(
      `Invalid duration '${text}': expected a number and s, m, h or d, e.g. 30d`,
    );
  }
  return Number(match[1]) * DURATION_UNITS_MS[match[2]];
}

/**
 * Parses the arguments of `swarm token` (those after `token`).
 *
 * @param env Where `SWARM_KEYRING` is looked up.
 * @throws {UsageError} On a missing or unknown command, an unknown option, a missing
 * keyring, a missing or extra argument, or a bad value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTokenArgs } from "./token.ts";
 * const args = parseTokenArgs(["issue", "--subject", "ci", "--skill", "calc"], {
 *   SWARM_KEYRING: "/etc/swarm/keyring.json",
 * });
 * assert.ok(args.command === "issue" && args.skills[0] === "calc" && args.ttlMs > 0);
 * ```
 */
export function parseTokenArgs(
  argv: string[],
  env: { SWARM_KEYRING?: string } = {},
): TokenArgs {
  const [command, ...rest] = argv;
  if (command === undefined) {
    throw new UsageError(`Missing command: one of ${TOKEN_COMMANDS.join(", ")}`);
  }
  if (command === "-h" || command === "--help" || command === "help") return { command: "help" };
  if (!(TOKEN_COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(`Unknown command '${command}': one of ${TOKEN_COMMANDS.join(", ")}`);
  }
  const options = {
    keyring: { type: "string" },
    help: { type: "boolean", short: "h" },
    ...OPTIONS[command as typeof TOKEN_COMMANDS[number]],
  } as const;
  const { values, positionals } = parseCliArgs({
    args: positionalsLast(rest, options),
    strict: true,
    allowPositionals: true,
    options,
  });
  if (values.help) return { command: "help" };
  const keyring = (values.keyring as string | undefined) ?? env.SWARM_KEYRING;
  if (keyring === undefined || keyring === "") {
    throw new UsageError("No keyring: pass --keyring FILE or set SWARM_KEYRING");
  }
  const v = values as Record<string, string | string[] | boolean | undefined>;
  switch (command) {
    case "keygen": {
      noPositionals(positionals);
      const audience = v.audience as string | undefined;
      if (audience !== undefined) checkAudienceFlag(audience);
      return { command, keyring, audience, activate: !v["no-activate"] };
    }
    case "activate":
    case "retire":
      return { command, keyring, kid: onePositional(positionals, "KID") };
    case "issue":
      noPositionals(positionals);
      return { command, keyring, ...parseIssueValues(v) };
    case "list":
      noPositionals(positionals);
      return { command, keyring, json: v.json === true };
    case "revoke": {
      const jti = onePositional(positionals, "JTI");
      const url = v.url as string | undefined;
      if (url === undefined) return { command, keyring, jti };
      const node: ParsedClientFlags = {
        url,
        ...(typeof v["token-file"] === "string" ? { tokenFile: v["token-file"] as string } : {}),
        ...tlsFlagValues(v),
      };
      return { command, keyring, jti, node };
    }
    case "export": {
      noPositionals(positionals);
      const out = v.out as string | undefined;
      if (out === undefined || out === "") throw new UsageError("Option '--out FILE' is required");
      return { command, keyring, out };
    }
    default:
      return { command: "verify", keyring, token: onePositional(positionals, "TOKEN") };
  }
}

const OPTIONS = {
  keygen: {
    audience: { type: "string" },
    "no-activate": { type: "boolean" },
  },
  activate: {},
  retire: {},
  issue: {
    subject: { type: "string" },
    scope: { type: "string", multiple: true },
    capability: { type: "string", multiple: true },
    skill: { type: "string", multiple: true },
    ttl: { type: "string" },
    "not-before": { type: "string" },
  },
  list: { json: { type: "boolean" } },
  revoke: {
    url: CLIENT_OPTIONS.url,
    "token-file": CLIENT_OPTIONS["token-file"],
    "tls-ca": CLIENT_OPTIONS["tls-ca"],
    "tls-cert": CLIENT_OPTIONS["tls-cert"],
    "tls-key": CLIENT_OPTIONS["tls-key"],
  },
  export: { out: { type: "string" } },
  verify: {},
} as const;

function parseIssueValues(
  v: Record<string, string | string[] | boolean | undefined>,
): Omit<Extract<TokenArgs, { command: "issue" }>, "command" | "keyring"> {
  const subject = v.subject as string | undefined;
  if (subject === undefined || subject.trim() === "") {
    throw new UsageError("Option '--subject NAME' is required");
  }
  const scopes = ((v.scope as string[] | undefined) ?? ["task,read"])
    .flatMap((s) => s.split(","))
    .map((s) => s.trim());
  for (const scope of scopes) {
    if (!(ACTIONS as readonly string[]).includes(scope)) {
      throw new UsageError(`Unknown scope '${scope}': expected ${ACTIONS.join(", ")}`);
    }
  }
  const capabilities = names(v.capability as string[] | undefined, "--capability");
  const skills = names(v.skill as string[] | undefined, "--skill");
  const ttlMs = parseDuration((v.ttl as string | undefined) ?? "30d");
  if (ttlMs > MAX_TOKEN_TTL_MS) {
    throw new UsageError(`Option '--ttl' is at most 366d: got ${v.ttl}`);
  }
  const notBeforeText = v["not-before"] as string | undefined;
  let notBefore: number | undefined;
  if (notBeforeText !== undefined) {
    notBefore = Date.parse(notBeforeText);
    if (Number.isNaN(notBefore)) {
      throw new UsageError(`Option '--not-before' needs an ISO 8601 date: got '${notBeforeText}'`);
    }
  }
  return {
    subject,
    actions: [...new Set(scopes as Action[])],
    capabilities,
    skills,
    ttlMs,
    ...(notBefore === undefined ? {} : { notBefore }),
  };
}

function names(values: string[] | undefined, flag: string): string[] {
  if (values === undefined) return ["*"];
  for (const value of values) {
    if (value === "" || /\s/.test(value)) {
      throw new UsageError(`Option '${flag}' needs a name without spaces: got '${value}'`);
    }
  }
  return values;
}

function checkAudienceFlag(audience: string): void {
  try {
    createKeyring(audience);
  } catch {
    throw new UsageError(
      `Option '--audience' must be 1 to 128 printable ASCII characters without spaces`,
    );
  }
}

/**
 * Moves positional arguments behind `--`: a key id is base64url and may start with `-`
 * (`-G3x…`), which `parseArgs` would take for an option. The only short option is `-h`,
 * so any other argument with a single leading dash is a positional.
 */
function positionalsLast(
  args: string[],
  options: Record<string, { type: "string" | "boolean" }>,
): string[] {
  const flags: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg === "-h" || arg.startsWith("--")) {
      flags.push(arg);
      const takesValue = !arg.includes("=") && options[arg.slice(2)]?.type === "string";
      if (takesValue && i + 1 < args.length) flags.push(args[++i]);
    } else {
      positionals.push(arg);
    }
  }
  return [...flags, "--", ...positionals];
}

/**
 * Runs `swarm token` with the arguments after `token` and returns the exit code.
 * `issue` prints only the token on stdout, so `$(swarm token issue …)` captures it.
 */
export async function runToken(argv: string[]): Promise<number> {
  try {
    const args = parseTokenArgs(argv, { SWARM_KEYRING: Deno.env.get("SWARM_KEYRING") });
    if (args.command === "help") {
      console.log(TOKEN_HELP);
      return EXIT_OK;
    }
    switch (args.command) {
      case "keygen":
        return await keygen(args);
      case "activate":
      case "retire":
        return await activateOrRetire(args);
      case "issue":
        return await issue(args);
      case "list":
        return await list(args);
      case "revoke":
        return await revoke(args);
      case "export":
        return await exportPublic(args);
      case "verify":
        return await verify(args);
    }
  } catch (err) {
    return reportError("token", err);
  }
}

type ArgsOf<C extends TokenArgs["command"]> = TokenArgs & { command: C };

async function keygen(args: ArgsOf<"keygen">): Promise<number> {
  const pair = await generateKeyPair();
  await updateKeyring(args.keyring, (current) => {
    if (current !== null && args.audience !== undefined && args.audience !== current.audience) {
      throw new KeyringError(
        `${args.keyring} already has audience '${current.audience}', not '${args.audience}'`,
      );
    }
    const base = current ?? createKeyring(args.audience ?? randomAudience());
    return addKey(base, pair, { activate: args.activate });
  });
  console.log(pair.kid);
  return EXIT_OK;
}

async function activateOrRetire(args: ArgsOf<"activate" | "retire">): Promise<number> {
  const edit = args.command === "activate" ? activateKey : retireKey;
  await updateKeyring(args.keyring, (kr) => edit(existing(kr, args.keyring), args.kid));
  console.log(`${args.command === "activate" ? "Activated" : "Retired"} key ${args.kid}`);
  return EXIT_OK;
}

async function issue(args: ArgsOf<"issue">): Promise<number> {
  let token = "";
  await updateKeyring(args.keyring, async (kr) => {
    const current = existing(kr, args.keyring);
    const issued = await issueToken(current, args);
    token = issued.token;
    return recordToken(current, issued.record);
  });
  console.log(token);
  return EXIT_OK;
}

async function list(args: ArgsOf<"list">): Promise<number> {
  const report = listReport(await readKeyring(args.keyring), Date.now());
  console.log(args.json ? JSON.stringify(report, null, 2) : formatListReport(report));
  return EXIT_OK;
}

async function revoke(args: ArgsOf<"revoke">): Promise<number> {
  const updated = await updateKeyring(
    args.keyring,
    (kr) => revokeToken(existing(kr, args.keyring), args.jti),
  );
  console.log(`Revoked token ${args.jti}`);
  if (args.node) {
    const client = new SwarmClient(targetOfArgs(args.node));
    const answer = await client.pushRelease(await signRevocations(updated));
    console.log(
      `Handed ${updated.revoked.length} revocation(s) to ${client.url} (${answer.verdict}), which spreads them`,
    );
  }
  return EXIT_OK;
}

async function exportPublic(args: ArgsOf<"export">): Promise<number> {
  if (resolve(args.out) === resolve(args.keyring)) {
    throw new UsageError("Option '--out' must not be the keyring itself");
  }
  await writeKeyring(args.out, publicView(await readKeyring(args.keyring)));
  console.log(`Wrote the keyring without private keys to ${args.out}`);
  return EXIT_OK;
}

async function verify(args: ArgsOf<"verify">): Promise<number> {
  const token = args.token === "-" ? (await readStdin()).trim() : args.token;
  const verifier = await createVerifier(await readKeyring(args.keyring));
  try {
    const { token: _token, ...grant } = await verifyToken(token, verifier);
    console.log(JSON.stringify(grant, null, 2));
    return EXIT_OK;
  } catch (err) {
    if (!(err instanceof TokenError)) throw err;
    console.error(`swarm token: ${err.code}: ${err.reason}: ${terminalSafe(err.message)}`);
    return EXIT_FAILURE;
  }
}

function existing(kr: Keyring | null, path: string): Keyring {
  if (kr === null) {
    throw new KeyringError(`No keyring at ${path} (create one with 'swarm token keygen')`);
  }
  return kr;
}

async function readStdin(): Promise<string> {
  return await new Response(Deno.stdin.readable).text();
}

/** One token in the `list --json` report. */
interface ListedToken {
  jti: string;
  sub: string;
  kid: string;
  scope: string[];
  capabilities: string[];
  skills: string[];
  not_before: string;
  expires_at: string;
  state: "valid" | "not-yet-valid" | "expired" | "revoked" | "key-retired";
}

/** The `list --json` report. */
interface ListReport {
  audience: string;
  active_kid: string | null;
  keys: {
    kid: string;
    state: string;
    created_at: string;
    retired_at?: string;
    private_key: boolean;
  }[];
  tokens: ListedToken[];
  revoked: { jti: string; revoked_at: string; exp?: number }[];
}

function listReport(kr: Keyring, now: number): ListReport {
  const revoked = new Set(kr.revoked.map((r) => r.jti));
  return {
    audience: kr.audience,
    active_kid: kr.activeKid,
    keys: kr.keys.map((k) => ({
      kid: k.kid,
      state: keyState(kr, k.kid),
      created_at: k.createdAt,
      ...(k.retiredAt === undefined ? {} : { retired_at: k.retiredAt }),
      private_key: k.privateJwk !== undefined,
    })),
    tokens: kr.tokens.map((t) => {
      const retired = kr.keys.find((k) => k.kid === t.kid)?.retiredAt !== undefined;
      const state: ListedToken["state"] = revoked.has(t.jti)
        ? "revoked"
        : t.exp * 1000 <= now
        ? "expired"
        : retired
        ? "key-retired"
        : t.nbf * 1000 > now
        ? "not-yet-valid"
        : "valid";
      return {
        jti: t.jti,
        sub: t.sub,
        kid: t.kid,
        scope: [...t.scope],
        capabilities: [...t.capabilities],
        skills: [...t.skills],
        not_before: new Date(t.nbf * 1000).toISOString(),
        expires_at: new Date(t.exp * 1000).toISOString(),
        state,
      };
    }),
    revoked: kr.revoked.map((r) => ({
      jti: r.jti,
      revoked_at: r.revokedAt,
      ...(r.exp === undefined ? {} : { exp: r.exp }),
    })),
  };
}

function formatListReport(report: ListReport): string {
  const lines = [`audience  ${report.audience}`, "", "keys:"];
  if (report.keys.length === 0) lines.push("  none");
  for (const k of report.keys) {
    const extra = k.retired_at !== undefined
      ? `  retired ${k.retired_at}`
      : k.private_key
      ? ""
      : "  (no private key)";
    lines.push(`  ${k.kid}  ${k.state.padEnd(11)}  created ${k.created_at}${extra}`);
  }
  lines.push("", "tokens:");
  if (report.tokens.length === 0) lines.push("  none");
  for (const t of report.tokens) {
    lines.push(
      `  ${t.jti}  ${t.state.padEnd(13)}  sub=${t.sub}  kid=${t.kid}  scope=${t.scope.join(",")}` +
        `  capabilities=${t.capabilities.join(",") || "none"}` +
        `  skills=${t.skills.join(",") || "none"}  expires ${t.expires_at}`,
    );
  }
  lines.push("", "revoked:");
  if (report.revoked.length === 0) lines.push("  none");
  for (const r of report.revoked) lines.push(`  ${r.jti}  at ${r.revoked_at}`);
  return lines.join("\n");
}
