/**
 * `swarm skills`: lists the skills this node would load, what each can do, how it
 * would run, and the problems met while loading.
 *
 * @module
 */
import { jsonForTerminal, terminalSafe } from "./_terminal.ts";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import {
  cannotRunReason,
  chooseSandbox,
  defaultSkillDirs,
  type DetectedSandboxes,
  detectSandboxes,
  loadSkillCatalog,
  nodeCapabilities,
  type SandboxKind,
  type SkillCatalog,
  type SkillPermissions,
  STARTER_SKILLS_SOURCE,
} from "../skills/mod.ts";
import { EXIT_FAILURE, EXIT_OK, parseCliArgs, runSubcommand, UsageError } from "./_usage.ts";

/** Help text of `swarm skills`. */
export const SKILLS_HELP = `Usage: swarm skills [options]

List the skills this node would load from its skills directories, with their
capabilities, entry point, the sandbox that would run them, every permission they
declare (network, extra read and write paths, environment variables) and their
fingerprint. Skills holding a symlink that leaves their directory, or declaring one
of the node's environment variables (its token, LLM keys, SWARM_* settings), are
listed as problems. A script skill that cannot run here (no usable sandbox) is
flagged, and its capabilities are not the node's. With no skills directory given
or found, it lists swarm's starter skills, which a node started here would use.

Options:
  --skills-dir DIR      A skills directory (repeatable). Default: ./.skills and
                        ./skills, those that exist, else the starter skills.
  --json                Print one JSON object: {skills, capabilities, problems}.
  --allow-unsandboxed   Show the sandbox choice for a node that lets skills run
                        without bubblewrap when it is unavailable.
  -h, --help            Show this help.

Exit status: 0 when every skill loaded and can run here, 1 when any problem was
found or a script skill cannot run here, 2 on a usage mistake.`;

/** Parsed options of `swarm skills`. */
export interface SkillsArgs {
  /** `--skills-dir` values in the order given; empty means the defaults. */
  skillsDirs: string[];
  /** `--json`: print the machine-readable report. */
  json: boolean;
  /** `--allow-unsandboxed`: non-Deno skills may run without bubblewrap. */
  allowUnsandboxed: boolean;
  /** `-h`/`--help`: print {@link SKILLS_HELP} and do nothing else. */
  help: boolean;
}

/**
 * Parses the arguments of `swarm skills` (those after the subcommand).
 *
 * @throws {UsageError} On an unknown option, a positional argument or an empty
 * `--skills-dir`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSkillsArgs } from "./skills.ts";
 * const args = parseSkillsArgs(["--skills-dir", "a", "--skills-dir=b", "--json"]);
 * assert.ok(args.skillsDirs.join() === "a,b" && args.json && !args.allowUnsandboxed);
 * ```
 */
export function parseSkillsArgs(argv: string[]): SkillsArgs {
  const { values } = parseCliArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      "skills-dir": { type: "string", multiple: true },
      json: { type: "boolean" },
      "allow-unsandboxed": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const skillsDirs = values["skills-dir"] ?? [];
  if (skillsDirs.some((dir) => dir === "")) {
    throw new UsageError("Option '--skills-dir' needs a directory: got an empty value");
  }
  return {
    skillsDirs,
    json: values.json ?? false,
    allowUnsandboxed: values["allow-unsandboxed"] ?? false,
    help: values.help ?? false,
  };
}

/** One skill in the `--json` report. */
export interface SkillReportEntry {
  /** `name` from SKILL.md. */
  name: string;
  /** `metadata.version`, or `null`. */
  version: string | null;
  /** `description`, `""` when absent. */
  description: string;
  /** Absolute real path of the skill directory. */
  dir: string;
  /** `script`, `bash-tool` or `reference`. */
  kind: "script" | "bash-tool" | "reference";
  /** Entry script relative to `dir` with forward slashes, or `null` when not a script. */
  entry_point: string | null;
  /** `python`, `deno`, `shell`, or `null` when not a script. */
  language: string | null;
  /** Capability tags, declared ones as written. */
  capabilities: string[];
  /** `declared`, `metadata` or `inferred`. */
  capability_source: string;
  /** Effective permissions `{net, read, write, env}`. */
  permissions: SkillPermissions;
  /**
   * The sandbox that would run it here: `deno`, `bwrap`, `deno-flags` (a starter
   * skill without bubblewrap), `none` or `unavailable`.
   */
  sandbox: SandboxKind;
  /** Why a script skill cannot run here, or `null` when it can (or is not a script). */
  cannot_run: string | null;
  /** SkillLite-compatible content hash (64 lowercase hex digits). */
  fingerprint: string;
}

/**
 * The `swarm skills --json` object. Keys are stable:
 * - `skills`: one {@link SkillReportEntry} per skill (`name`, `version`, `description`,
 *   `dir`, `kind`, `entry_point`, `language`, `capabilities`, `capability_source`,
 *   `permissions` `{net, read, write, env}`, `sandbox`, `fingerprint`), sorted by name;
 *   `cannot_run`), sorted by name;
 * - `capabilities`: the node's capabilities, the sorted union over the skills that can
 *   run here (and reference and bash-tool skills);
 * - `starter`: true when these are swarm's starter skills (no directory given or found);
 * - `problems`: `{dir, message}` for each directory or skill that did not load.
 */
export interface SkillsReport {
  /** The loaded skills, sorted by name. */
  skills: SkillReportEntry[];
  /** The node's capabilities: what it would advertise. */
  capabilities: string[];
  /** The skills are swarm's starter skills. */
  starter: boolean;
  /** Directories or skills that did not load, with the reason. */
  problems: { dir: string; message: string }[];
}

/**
 * Builds the report printed by `swarm skills` from a loaded catalog and the sandboxes
 * found on this machine.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { skillsReport } from "./skills.ts";
 * const report = skillsReport({ skills: [], problems: [] }, { bwrap: null, deno: null }, false);
 * assert.ok(report.skills.length === 0 && report.capabilities.length === 0 && !report.starter);
 * ```
 */
export function skillsReport(
  catalog: SkillCatalog,
  sandboxes: DetectedSandboxes,
  allowUnsandboxed: boolean,
): SkillsReport {
  const env = {
    bwrap: sandboxes.bwrap !== null,
    deno: sandboxes.deno !== null,
    allowUnsandboxed,
  };
  return {
    skills: catalog.skills.map((skill) => ({
      name: skill.name,
      version: skill.version ?? null,
      description: skill.description,
      dir: skill.dir,
      kind: skill.kind,
      entry_point: skill.entryPoint === undefined
        ? null
        : relative(skill.dir, skill.entryPoint).replaceAll("\\", "/"),
      language: skill.language ?? null,
      capabilities: [...skill.capabilities],
      capability_source: skill.capabilitySource,
      permissions: skill.permissions,
      sandbox: chooseSandbox(skill, env),
      cannot_run: cannotRunReason(skill, env),
      fingerprint: skill.fingerprint,
    })),
    capabilities: nodeCapabilities(catalog.skills.filter((s) => cannotRunReason(s, env) === null)),
    starter: catalog.skills.length > 0 && catalog.skills.every((s) => s.builtin === true),
    problems: catalog.problems.map(({ dir, message }) => ({ dir, message })),
  };
}

/**
 * Renders a report as the human-readable listing of `swarm skills`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatSkillsReport } from "./skills.ts";
 * const text = formatSkillsReport({ skills: [], capabilities: [], starter: false, problems: [] });
 * assert.ok(text.startsWith("No skills found"));
 * ```
 */
export function formatSkillsReport(report: SkillsReport): string {
  const lines: string[] = [];
  if (report.skills.length === 0) lines.push("No skills found");
  if (report.starter) {
    lines.push(
      "Starter skills (no skills directory given or found: a node started here uses these)",
      "",
    );
  }
  for (const [i, s] of report.skills.entries()) {
    if (i > 0) lines.push("");
    lines.push(`${s.name}${s.version === null ? "" : ` ${s.version}`} (${s.kind})`);
    const caps = s.capabilities.length > 0 ? s.capabilities.join(", ") : "none";
    lines.push(`  capabilities: ${caps} (${s.capability_source})`);
    if (s.entry_point !== null) lines.push(`  entry point:  ${s.entry_point} (${s.language})`);
    lines.push(`  sandbox:      ${s.sandbox}`);
    if (s.cannot_run !== null) lines.push(`  cannot run:   ${s.cannot_run} (not advertised)`);
    lines.push(`  net:          ${formatNet(s.permissions.net)}`);
    lines.push(`  read:         ${formatList(s.permissions.read)}`);
    lines.push(`  write:        ${formatList(s.permissions.write)}`);
    lines.push(`  env:          ${formatList(s.permissions.env)}`);
    lines.push(`  fingerprint:  ${s.fingerprint}`);
    lines.push(`  dir:          ${s.dir}`);
  }
  lines.push("");
  lines.push(`Node capabilities: ${report.capabilities.join(", ") || "none"}`);
  if (report.problems.length > 0) {
    lines.push("");
    lines.push("Problems:");
    for (const p of report.problems) lines.push(`  ${p.dir}: ${p.message}`);
  }
  return lines.join("\n");
}

function formatList(values: string[]): string {
  return values.length > 0 ? values.join(", ") : "none";
}

function formatNet(net: boolean | string[]): string {
  if (net === true) return "any host";
  if (net === false) return "none";
  return net.join(", ");
}

/**
 * Runs `swarm skills` with the arguments after the subcommand and returns the exit
 * code: loads the skills from `--skills-dir` (or the default directories), finds the
 * sandboxes of this machine and prints the report (text, or JSON with `--json`).
 */
export function runSkills(argv: string[]): Promise<number> {
  return runSubcommand(argv, {
    name: "skills",
    parse: parseSkillsArgs,
    help: SKILLS_HELP,
    run: async (args) => {
      let dirs = args.skillsDirs.length > 0 ? args.skillsDirs : await defaultSkillDirs(Deno.cwd());
      const starter = dirs.length === 0;
      if (starter) dirs = [fileURLToPath(STARTER_SKILLS_SOURCE)];
      const [loaded, sandboxes] = await Promise.all([loadSkillCatalog(dirs), detectSandboxes()]);
      const catalog = starter
        ? { ...loaded, skills: loaded.skills.map((s) => ({ ...s, builtin: true })) }
        : loaded;
      const report = skillsReport(catalog, sandboxes, args.allowUnsandboxed);
      // Names, descriptions and paths are the skill author's text: escaped for the terminal.
      console.log(
        args.json
          ? jsonForTerminal(report, 2)
          : terminalSafe(formatSkillsReport(report), { multiline: true }),
      );
      const unrunnable = report.skills.some((s) => s.cannot_run !== null);
      return report.problems.length > 0 || unrunnable ? EXIT_FAILURE : EXIT_OK;
    },
  });
}
