/**
 * What swarm knows about one skill directory (Agent Skills format, DESIGN.md §4).
 *
 * @module
 */

/** How a skill can run. */
export type SkillKind =
  /** Has an entry script that reads JSON on stdin and prints JSON on stdout. */
  | "script"
  /** No entry script but `allowed-tools`: needs an agent with a bash tool (not run by swarm). */
  | "bash-tool"
  /** Documentation only: never executed. */
  | "reference";

/** Where a skill's capability tags came from, in precedence order. */
export type CapabilitySource = "declared" | "metadata" | "inferred";

/** Which sandbox runs a script skill. */
export type SandboxKind =
  /** `.ts`/`.js` entry run by Deno with only the declared permissions, inside bubblewrap. */
  | "deno"
  /** Any other interpreter inside bubblewrap (no network unless declared, skill mounted read-only). */
  | "bwrap"
  /**
   * No bubblewrap: only allowed when the operator passed `--allow-unsandboxed` (a Deno
   * skill still gets its Deno permission flags, which do not cover static imports).
   */
  | "none"
  /**
   * No bubblewrap, a starter skill (code shipped with swarm, see {@link Skill.builtin}):
   * Deno with only the declared permissions. Deno's flags leave static imports
   * unchecked, which matters for a stranger's code, not for the node's own.
   */
  | "deno-flags"
  /** Cannot run here (no sandbox available and unsandboxed not allowed, or not a script). */
  | "unavailable";

/** Permissions a skill declares (swarm's `permissions` front-matter key, plus SkillLite's network-from-compatibility rule). */
export interface SkillPermissions {
  /** Network access: `false` none, `true` any, or a list of hosts (`host[:port]`). */
  net: boolean | string[];
  /** Extra paths the skill may read, besides its own directory and its working directory. */
  read: string[];
  /** Extra paths the skill may write, besides its working directory. */
  write: string[];
  /** Environment variable names passed through from the node's environment. */
  env: string[];
}

/** One loaded skill. */
export interface Skill {
  /** `name` from the front matter. */
  name: string;
  /** `description` from the front matter; empty when absent. */
  description: string;
  /** `metadata.version` when present. */
  version?: string;
  /** `license` from the front matter, when present. */
  license?: string;
  /** `compatibility` from the front matter, when present: free text on what the skill needs. */
  compatibility?: string;
  /** Absolute real path of the skill directory (symlinks resolved). */
  dir: string;
  /**
   * How the skill can run: `script` with an entry script, else `bash-tool` with
   * `allowed-tools`, else `reference`.
   */
  kind: SkillKind;
  /** Absolute path of the entry script, for `kind: "script"`. */
  entryPoint?: string;
  /** Interpreter family of the entry script, derived from its extension. */
  language?: "python" | "node" | "deno" | "shell";
  /** Capability tags, as declared or inferred (never normalised when declared). */
  capabilities: string[];
  /** Which rule gave `capabilities`. */
  capabilitySource: CapabilitySource;
  /**
   * What the skill may access when it runs: swarm's `permissions` key, with `net` from
   * `compatibility` when not given.
   */
  permissions: SkillPermissions;
  /** `allowed-tools` as written. */
  allowedTools?: string;
  /**
   * A starter skill shipped with swarm and copied out by the node itself (never a skill
   * from a skills directory or from skill sync): its code is the node's own.
   */
  builtin?: boolean;
  /** `requires_elevated_permissions` from the front matter; `false` when absent. */
  requiresElevatedPermissions: boolean;
  /** SkillLite-compatible content hash (lowercase hex SHA-256). */
  fingerprint: string;
}

/** A SKILL.md that could not be loaded, with the reason. */
export interface SkillLoadProblem {
  /** Absolute path of the skill directory or skills directory concerned (symlinks not resolved). */
  dir: string;
  /** Why it was not loaded. */
  message: string;
}

/** Result of scanning the skills directories. */
export interface SkillCatalog {
  /** Skills loaded, sorted by name, names unique. */
  skills: Skill[];
  /** Directories and skills that could not be loaded, and skills dropped as duplicate names. */
  problems: SkillLoadProblem[];
}
