/**
 * `swarm skill`: publish a signed skill release to a node, list what a node's skill sync
 * holds and installs, and pin, unpin or roll back a skill on a node's data directory.
 * (`swarm skills`, plural, lists the local skill directories.)
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { SwarmClient } from "../client/mod.ts";
import {
  chosenDataDir,
  DATA_DIR_OPTIONS,
  type DataDirFlags,
  dataDirFlags,
} from "./_data_dir_flags.ts";
import { SwarmError } from "../protocol/mod.ts";
import {
  formatPin,
  type InstallRecord,
  isSemVer,
  type MadeRelease,
  makeRelease,
  parsePinSpec,
  type Pin,
  pinFilePath,
  readPublisherKey,
  removePin,
  rollbackPin,
  setPin,
  signRelease,
  SyncRefusalError,
} from "../sync/mod.ts";
import {
  CLIENT_HELP,
  CLIENT_OPTIONS,
  targetOfArgs,
  type TlsFlagValues,
  tlsFlagValues,
} from "./_client_flags.ts";
import {
  EXIT_OK,
  noPositionals,
  onePositional,
  parseCliArgs,
  reportError,
  UsageError,
} from "./_usage.ts";
import { jsonForTerminal, terminalSafe } from "./_terminal.ts";

/** The subcommands of `swarm skill`. */
export const SKILL_COMMANDS = ["publish", "list", "pin", "unpin", "rollback"] as const;

/** A subcommand of `swarm skill`. */
export type SkillCommand = typeof SKILL_COMMANDS[number];

/** Help lines of the flags that choose a node's data directory. */
const DATA_DIR_HELP =
  `  --data-dir DIR     the node's data directory, chosen as the node chooses it: this
                     flag, else $SWARM_DATA_DIR, else 'dataDir' of the --config file
                     ($SWARM_CONFIG), else $XDG_DATA_HOME/swarm/PORT (or
                     ~/.local/share/swarm/PORT) with the port of --listen (default 7700)
  --listen ADDR      the node's --listen, when it names the default data directory
  --config FILE      the node's --config file, when it sets 'dataDir' or 'listen'
  -h, --help         show this help`;

/** Help text of `swarm skill`. */
export const SKILL_HELP = `Usage: swarm skill COMMAND [options]

Skill sync: signed, content-addressed skill releases spread between nodes
(docs/skill-sync.md). 'swarm skills' (plural) lists the local skill directories.

Commands:
  publish DIR --key FILE [--version V]
                      Sign a release of the skill in DIR and hand it, with its files,
                      to a node (needs the 'publish' scope).
  list                Show what a node's skill sync installs, pins and holds.
  pin NAME@VERSION|NAME@FINGERPRINT
                      Pin a skill on a node (edits its data directory).
  unpin NAME          Remove a skill's pin.
  rollback NAME       Pin the release the node installed before the current one.

Run 'swarm skill COMMAND --help' for each command's options.

Exit status: 0 on success, 1 on failure, 2 on a usage mistake.`;

/** Help text of `swarm skill publish`. */
export const SKILL_PUBLISH_HELP = `Usage: swarm skill publish DIR --key FILE [--version V] [options]

Builds a release of the skill in DIR (its name from SKILL.md, every file's path, size
and SHA-256, SkillLite's fingerprint of the directory), signs it with the publisher
key in FILE ('swarm key gen --out FILE'), uploads each file to the node (PUT /sync/blob),
then hands the node the signed release (POST /sync/release). The release names as
'previous' the release the node installs (or would install) for that name, when the
node tells (GET /sync/skills, 'read' scope); else none. The node checks it against its
trust store like any release and passes it on to its peers.

Prints 'published NAME@VERSION (digest DIGEST): VERDICT', where VERDICT is what the
node made of it: installed, accepted (kept and passed on, not installed here: a pin,
a better release, or a node that does not install synced skills) or duplicate. A
refused release exits 1 with 'release_refused' and the reason: untrusted_publisher,
publisher_not_allowed, bad_signature, hash_mismatch, oversize, unsafe_path, or
rollback, equivocation, malformed (then the node keeps it but does not install it).

The token needs the 'publish' scope ('swarm token issue --scope publish,read').

Options:
  --key FILE         the publisher's private key file (required)
  --version V        the release's version, SemVer 2.0 (default: metadata.version
                     of SKILL.md)
${CLIENT_HELP}`;

/** Help text of `swarm skill list`. */
export const SKILL_LIST_HELP = `Usage: swarm skill list [options]

Shows the node's skill sync (GET /sync/skills, 'read' scope): one row per skill name
it holds releases of, with the version installed, its state (installed; pending:
chosen but not installed yet; not_accepted: the node does not install synced skills;
flagged: every release of it is flagged; none), its pin ('unmatched' when no release
matches it), the newest release a pin holds back, and the publisher (its name in the
node's trust store). Then whether the node installs synced skills, and its refusals
by reason. --json prints the node's answer unchanged.

Options:
${CLIENT_HELP}`;

/** Help text of `swarm skill pin`. */
export const SKILL_PIN_HELP = `Usage: swarm skill pin NAME@VERSION|NAME@FINGERPRINT [options]

Pins skill NAME on a node: the node installs the best release that matches (a
SemVer 2.0 version, or SkillLite's fingerprint: 64 lowercase hex digits) and reports
newer releases as available instead of installing them. A pin that matches no release
keeps the release installed now. Replaces the name's pin, if it had one.

Edits DATA_DIR/sync/pins.json (atomically, mode 0600); a running node reads it again
by itself. Pins are local: they are never passed to peers.

Options:
${DATA_DIR_HELP}`;

/** Help text of `swarm skill unpin`. */
export const SKILL_UNPIN_HELP = `Usage: swarm skill unpin NAME [options]

Removes the pin of skill NAME from DATA_DIR/sync/pins.json: the node installs the
best release of NAME again. Succeeds, saying so, when NAME had no pin.

Options:
${DATA_DIR_HELP}`;

/** Help text of `swarm skill rollback`. */
export const SKILL_ROLLBACK_HELP = `Usage: swarm skill rollback NAME [options]

Pins skill NAME, by fingerprint, to the latest release in its install history
(DATA_DIR/sync/history/NAME.json) that differs from the one installed now; rolling
back twice returns to where it started. The pin holds until 'swarm skill unpin NAME'.
Exits 1 when the history holds no earlier release.

Options:
${DATA_DIR_HELP}`;

/** The help text of each topic. */
const HELPS: Record<"skill" | SkillCommand, string> = {
  skill: SKILL_HELP,
  publish: SKILL_PUBLISH_HELP,
  list: SKILL_LIST_HELP,
  pin: SKILL_PIN_HELP,
  unpin: SKILL_UNPIN_HELP,
  rollback: SKILL_ROLLBACK_HELP,
};

/** The client flags of `publish` and `list`, as given. */
export interface SkillClientFlags {
  /** `--json`. */
  json: boolean;
  /** `--url`. */
  url?: string;
  /** `--token-file`. */
  tokenFile?: string;
  /** `--tls-ca`, `--tls-cert`, `--tls-key`, when any was given. */
  tls?: TlsFlagValues;
}

/** A parsed `swarm skill` command line. */
export type SkillArgs =
  | {
    /** `-h`/`--help`, or `help`: print the help of `topic`. */
    command: "help";
    /** `skill` for `swarm skill --help`, else the subcommand. */
    topic: "skill" | SkillCommand;
  }
  | ({
    /** Publish a release. */
    command: "publish";
    /** The skill directory. */
    dir: string;
    /** `--key`: the publisher's private key file. */
    keyFile: string;
    /** `--version`. */
    version?: string;
  } & SkillClientFlags)
  | ({ /** List the node's skill sync. */ command: "list" } & SkillClientFlags)
  | ({
    /** Pin a skill. */
    command: "pin";
    /** The pin. */
    pin: Pin;
  } & DataDirFlags)
  | ({
    /** Unpin or roll back a skill. */
    command: "unpin" | "rollback";
    /** The skill's name. */
    name: string;
  } & DataDirFlags);

const OPTIONS = {
  publish: { ...CLIENT_OPTIONS, key: { type: "string" }, version: { type: "string" } },
  list: CLIENT_OPTIONS,
  pin: DATA_DIR_OPTIONS,
  unpin: DATA_DIR_OPTIONS,
  rollback: DATA_DIR_OPTIONS,
} as const;

/**
 * Parses the arguments of `swarm skill` (those after `skill`). Pure: no file is read.
 *
 * @param argv The arguments.
 * @returns The command and its options.
 * @throws {UsageError} On a missing or unknown command, an unknown option, a missing or
 * extra argument, a pin that is not `NAME@VERSION` or `NAME@FINGERPRINT`, a version
 * that is not SemVer 2.0, or an empty value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSkillArgs } from "./skill.ts";
 * const args = parseSkillArgs(["pin", "calc@1.2.0", "--data-dir", "/var/lib/swarm"]);
 * assert.deepEqual(args, {
 *   command: "pin",
 *   pin: { name: "calc", version: "1.2.0" },
 *   dataDir: "/var/lib/swarm",
 * });
 * ```
 */
export function parseSkillArgs(argv: string[]): SkillArgs {
  const [command, ...rest] = argv;
  if (command === undefined) {
    throw new UsageError(`Missing command: one of ${SKILL_COMMANDS.join(", ")}`);
  }
  if (command === "-h" || command === "--help" || command === "help") {
    const topic = command === "help" ? rest[0] : undefined;
    if (topic === undefined) return { command: "help", topic: "skill" };
    return { command: "help", topic: knownCommand(topic) };
  }
  const name = knownCommand(command);
  const { values, positionals } = parseCliArgs({
    args: rest,
    strict: true,
    allowPositionals: true,
    options: OPTIONS[name],
  });
  const v = values as Record<string, string | boolean | undefined>;
  if (v.help) return { command: "help", topic: name };
  for (const [flag, value] of Object.entries(v)) {
    if (value === "") throw new UsageError(`Option '--${flag}' needs a value: got an empty one`);
  }
  switch (name) {
    case "publish": {
      const dir = onePositional(positionals, "DIR");
      const keyFile = v.key as string | undefined;
      if (keyFile === undefined) throw new UsageError("Option '--key FILE' is required");
      const version = v.version as string | undefined;
      if (version !== undefined && !isSemVer(version)) {
        throw new UsageError(
          `Option '--version' needs a SemVer 2.0 version (1.2.0, 2.0.0-rc.1): got '${version}'`,
        );
      }
      return {
        command: name,
        dir,
        keyFile,
        ...(version === undefined ? {} : { version }),
        ...clientFlags(v, values),
      };
    }
    case "list":
      noPositionals(positionals);
      return { command: name, ...clientFlags(v, values) };
    case "pin": {
      const spec = onePositional(positionals, "NAME@VERSION or NAME@FINGERPRINT");
      let pin: Pin;
      try {
        pin = parsePinSpec(spec);
      } catch (err) {
        throw new UsageError((err as Error).message, { cause: err });
      }
      return { command: name, pin, ...dataDirFlags(v) };
    }
    default: {
      const skill = onePositional(positionals, "NAME");
      if (skill.includes("@")) {
        throw new UsageError(`Expected a skill NAME without '@': got '${skill}'`);
      }
      try {
        parsePinSpec(`${skill}@0.0.0`);
      } catch (err) {
        const why = (err as Error).message.replace(/^Cannot parse pin '[^']*': /, "");
        throw new UsageError(`Invalid skill name: ${why}`, { cause: err });
      }
      return { command: name, name: skill, ...dataDirFlags(v) };
    }
  }
}

function knownCommand(command: string): SkillCommand {
  if (!(SKILL_COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(`Unknown command '${command}': one of ${SKILL_COMMANDS.join(", ")}`);
  }
  return command as SkillCommand;
}

function clientFlags(
  v: Record<string, string | boolean | undefined>,
  values: Record<string, unknown>,
): SkillClientFlags {
  return {
    json: v.json === true,
    ...(v.url === undefined ? {} : { url: v.url as string }),
    ...(v["token-file"] === undefined ? {} : { tokenFile: v["token-file"] as string }),
    ...tlsFlagValues(values),
  };
}

/**
 * Runs `swarm skill` with the arguments after `skill` and returns the exit code. Errors
 * are one line `swarm skill COMMAND: code: message` on stderr.
 *
 * @param argv The arguments.
 * @returns The exit code: 0, 1 on a failure, 2 on a usage mistake.
 */
export async function runSkill(argv: string[]): Promise<number> {
  const sub = (SKILL_COMMANDS as readonly string[]).includes(argv[0]) ? argv[0] : undefined;
  try {
    const args = parseSkillArgs(argv);
    switch (args.command) {
      case "help":
        console.log(HELPS[args.topic]);
        return EXIT_OK;
      case "publish":
        return await publish(args);
      case "list":
        return await list(args);
      case "pin":
        return await pin(args);
      case "unpin":
        return await unpin(args);
      case "rollback":
        return await rollback(args);
    }
  } catch (err) {
    return reportError(sub === undefined ? "skill" : `skill ${sub}`, err);
  }
}

type ArgsOf<C extends SkillArgs["command"]> = SkillArgs & { command: C };

/** The answer of `GET /sync/skills`, as far as the CLI reads it. */
interface SyncSkillsAnswer {
  accept?: boolean;
  releases?: number;
  skills?: SkillRow[];
  refusals?: Record<string, number>;
}

/** A release as `GET /sync/skills` shows it. */
interface ReleaseRow {
  version: string;
  fingerprint: string;
  digest: string;
  publisher: string;
}

/** One skill of `GET /sync/skills`. */
interface SkillRow {
  name: string;
  state: string;
  installed: ReleaseRow | null;
  chosen: ReleaseRow | null;
  pin: { spec: string; status: string } | null;
  available?: ReleaseRow[];
  flagged?: { digest: string; reason: string; version: string }[];
}

function clientOf(args: SkillClientFlags): SwarmClient {
  return new SwarmClient(targetOfArgs(args));
}

async function publish(args: ArgsOf<"publish">): Promise<number> {
  const key = await readPublisherKey(args.keyFile);
  const client = clientOf(args);
  const made = await releaseOf(args.dir, key.keyId, args.version);
  const previous = await previousOf(client, made.release.name);
  const release = { ...made.release, previous };
  const envelope = await signRelease(release, key);
  const sizes = new Map(release.files.map((f) => [f.sha256, f.size]));
  for (const [sha256, path] of made.paths) {
    const size = sizes.get(sha256);
    const bytes = await Deno.readFile(path);
    const actual = createHash("sha256").update(bytes).digest("hex");
    if (size === undefined || bytes.length !== size || actual !== sha256) {
      throw new SwarmError(
        "invalid_argument",
        `File '${path}' changed while it was being published: publish again`,
      );
    }
    await withReason(client.putBlob(sha256, bytes, bytes.length));
  }
  const answer = await withReason(client.pushRelease(envelope));
  if (args.json) {
    console.log(jsonForTerminal(answer, 2));
  } else {
    console.log(terminalSafe(
      `published ${release.name}@${release.version} (digest ${answer.digest}): ${answer.verdict}`,
    ));
  }
  if (Array.isArray(answer.missing) && answer.missing.length > 0) {
    console.error(terminalSafe(
      `swarm skill publish: the node still lacks ${answer.missing.length} file(s) of the release`,
    ));
  }
  return EXIT_OK;
}

/** {@link makeRelease} of `dir`, its refusals as `invalid_argument` naming the reason. */
async function releaseOf(
  dir: string,
  publisher: string,
  version: string | undefined,
): Promise<MadeRelease> {
  if (!(await Deno.stat(dir).catch(() => null))?.isDirectory) {
    throw new SwarmError("invalid_argument", `Cannot publish '${dir}': it is not a directory`);
  }
  try {
    return await makeRelease(dir, { publisher, ...(version === undefined ? {} : { version }) });
  } catch (err) {
    if (!(err instanceof SyncRefusalError)) throw err;
    throw new SwarmError("invalid_argument", `${err.reason}: ${err.message}`, {
      reason: err.reason,
    }, { cause: err });
  }
}

/**
 * The fingerprint the node installs, or else would install, for `name`: what the new
 * release follows. Null when it has none, or cannot say (an older node, a token
 * without the `read` scope, a node that cannot be reached: publishing reports that).
 */
async function previousOf(client: SwarmClient, name: string): Promise<string | null> {
  let answer: SyncSkillsAnswer;
  try {
    answer = await client.syncSkills() as SyncSkillsAnswer;
  } catch {
    return null;
  }
  const skill = Array.isArray(answer.skills)
    ? answer.skills.find((s) => s?.name === name)
    : undefined;
  const fingerprint = skill?.installed?.fingerprint ?? skill?.chosen?.fingerprint;
  return typeof fingerprint === "string" ? fingerprint : null;
}

/** A refusal's `reason` put in front of its message, when the message lacks it. */
async function withReason<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (err) {
    if (!(err instanceof SwarmError)) throw err;
    const reason = err.details.reason;
    if (typeof reason !== "string" || err.message.includes(reason)) throw err;
    throw new SwarmError(err.code, `${reason}: ${err.message}`, err.details, { cause: err });
  }
}

async function list(args: ArgsOf<"list">): Promise<number> {
  const answer = await clientOf(args).syncSkills();
  console.log(args.json ? jsonForTerminal(answer, 2) : formatSkillList(answer));
  return EXIT_OK;
}

/**
 * Renders the answer of `GET /sync/skills` for people: one row per skill (name, the
 * version installed, state, pin, newer releases available, publisher), then whether
 * the node installs synced skills and its refusals. Every value comes from the node:
 * control characters in them are printed as escapes.
 *
 * @param answer The node's answer.
 * @returns The text, without a final newline.
 * @example
 * ```ts
 * import { formatSkillList } from "./skill.ts";
 * const r = { version: "1.0.0", fingerprint: "f".repeat(64), digest: "d".repeat(64), publisher: "acme" };
 * const text = formatSkillList({
 *   accept: true, releases: 1, refusals: {}, trust: [],
 *   skills: [{ name: "calc", state: "installed", installed: r, chosen: r, pin: null, available: [], flagged: [] }],
 * });
 * console.assert(text.split("\n")[1].startsWith("calc"));
 * ```
 */
export function formatSkillList(answer: Record<string, unknown>): string {
  const { accept, releases, skills, refusals } = answer as SyncSkillsAnswer;
  const table = [["NAME", "INSTALLED", "STATE", "PIN", "AVAILABLE", "PUBLISHER"]];
  for (const s of Array.isArray(skills) ? skills : []) {
    const pin = s.pin === null || s.pin === undefined
      ? "-"
      : s.pin.status === "pinned"
      ? s.pin.spec
      : `${s.pin.spec} (${s.pin.status === "pin_unmatched" ? "unmatched" : s.pin.status})`;
    const available = Array.isArray(s.available) && s.available.length > 0
      ? s.available[0].version + (s.available.length > 1 ? ` (+${s.available.length - 1})` : "")
      : "-";
    const shown = s.installed ?? s.chosen;
    table.push([
      String(s.name),
      s.installed?.version ?? "-",
      String(s.state),
      pin,
      available,
      shown?.publisher ?? "-",
    ]);
  }
  for (const row of table) row.forEach((cell, i) => row[i] = terminalSafe(cell));
  const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
  const lines = table.map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd());
  if (table.length === 1) lines.push("(no synced skills)");
  lines.push("");
  lines.push(
    `releases ${typeof releases === "number" ? releases : "?"}; ` +
      (accept === true
        ? "this node installs synced skills"
        : "this node does not install synced skills (--accept-skills is off)"),
  );
  const refused = Object.entries(refusals ?? {}).filter(([, n]) => typeof n === "number" && n > 0);
  if (refused.length > 0) {
    lines.push(terminalSafe(`refused ${refused.map(([k, n]) => `${k}=${n}`).join(" ")}`));
  }
  return lines.join("\n");
}

/** The data directory the flags and this process's environment choose, which must exist. */
async function dataDirOf(flags: DataDirFlags): Promise<string> {
  const dir = chosenDataDir(flags, "pins");
  const info = await Deno.stat(dir).catch(() => null);
  if (!info?.isDirectory) {
    throw new SwarmError(
      "invalid_argument",
      `No node data directory at ${dir}: start the node once, or pass --data-dir`,
    );
  }
  return dir;
}

async function pin(args: ArgsOf<"pin">): Promise<number> {
  const file = pinFilePath(await dataDirOf(args));
  const old = await setPin(file, args.pin);
  const was = old === null ? "" : ` (was ${formatPin(old)})`;
  console.log(terminalSafe(`pinned ${formatPin(args.pin)}${was} in ${file}`));
  return EXIT_OK;
}

async function unpin(args: ArgsOf<"unpin" | "rollback">): Promise<number> {
  const file = pinFilePath(await dataDirOf(args));
  const removed = await removePin(file, args.name);
  console.log(terminalSafe(
    removed ? `unpinned ${args.name} in ${file}` : `${args.name} was not pinned in ${file}`,
  ));
  return EXIT_OK;
}

async function rollback(args: ArgsOf<"unpin" | "rollback">): Promise<number> {
  const dataDir = await dataDirOf(args);
  const historyFile = join(dataDir, "sync", "history", `${args.name}.json`);
  const history = await readInstallHistory(historyFile);
  const target = rollbackPin(args.name, history);
  if (target === null || !("fingerprint" in target)) {
    throw new SwarmError(
      "not_found",
      `Cannot roll back '${args.name}': its install history (${historyFile}) holds no earlier release`,
    );
  }
  const file = pinFilePath(dataDir);
  await setPin(file, target);
  const version = history.findLast((e) => e.fingerprint === target.fingerprint)?.version;
  const current = history.at(-1)?.version;
  const note = version === undefined
    ? ""
    : current === undefined
    ? ` (${version})`
    : ` (${version}, instead of ${current})`;
  console.log(terminalSafe(`pinned ${formatPin(target)}${note} in ${file}`));
  return EXIT_OK;
}

/** The entries of an install history file (`{ name, entries }`), oldest first. */
async function readInstallHistory(path: string): Promise<InstallRecord[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw new SwarmError("config_invalid", `${path}: ${(err as Error).message}`, {}, {
      cause: err,
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new SwarmError("config_invalid", `${path}: not JSON: ${(err as Error).message}`, {}, {
      cause: err,
    });
  }
  const entries = (data as { entries?: unknown } | null)?.entries;
  if (!Array.isArray(entries)) {
    throw new SwarmError("config_invalid", `${path}: expected { "name", "entries": [...] }`);
  }
  return entries.filter((e): e is InstallRecord =>
    typeof e?.fingerprint === "string" && /^[0-9a-f]{64}$/.test(e.fingerprint) &&
    (e.version === undefined || typeof e.version === "string")
  );
}
