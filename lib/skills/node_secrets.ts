/**
 * The node's own secrets, which no skill may be given whatever it declares: the
 * environment variables that carry the node's token, keys and configuration, and the
 * files that hold its keyring, TLS key, token files and data.
 *
 * @module
 */
import { isAbsolute, normalize, relative, sep } from "node:path";
import type { SkillPermissions } from "./types.ts";

/**
 * Environment variables that hold the node's credentials: the shared bearer token,
 * the node's own token, and the LLM API keys of capability inference.
 */
export const NODE_SECRET_ENV_NAMES: readonly string[] = [
  "SKILLLITE_SWARM_TOKEN",
  "SWARM_NODE_TOKEN",
  "SKILLLITE_API_KEY",
  "OPENAI_API_KEY",
  "API_KEY",
];

/**
 * Prefixes of the node's own configuration variables (`SWARM_TOKEN_FILE`,
 * `SWARM_KEYRING`, `SWARM_TLS_KEY`, …): none of them is a skill's business.
 */
export const NODE_ENV_PREFIXES: readonly string[] = ["SWARM_"];

/**
 * Whether an environment variable belongs to the node (a credential or a `SWARM_*`
 * setting) and so never reaches a skill.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isNodeEnv } from "./node_secrets.ts";
 * assert.ok(isNodeEnv("OPENAI_API_KEY") && isNodeEnv("SWARM_KEYRING"));
 * assert.ok(!isNodeEnv("WEATHER_API_KEY"));
 * ```
 */
export function isNodeEnv(name: string): boolean {
  return NODE_SECRET_ENV_NAMES.includes(name) ||
    NODE_ENV_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/** A file or directory of the node that no skill may read or write. */
export interface ProtectedPath {
  /** Absolute path (symlinks resolved when it exists). */
  path: string;
  /** What it is, for the problem line: `the node's keyring`, `the node's data directory`, … */
  what: string;
}

/**
 * Why a skill's declared permissions would hand it one of the node's secrets: each
 * declared environment variable that belongs to the node ({@link isNodeEnv}), and each
 * declared read or write path that is, contains or lies inside a protected path. Paths
 * are compared as given: resolve symlinks (of both sides) before calling, and pass a
 * declared path in each form it may take (as written and resolved).
 *
 * @param permissions The skill's declared permissions; `read`/`write` given absolute.
 * @param protectedPaths The node's files and directories.
 * @returns One problem message per refused declaration; empty when none.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { secretProblems } from "./node_secrets.ts";
 * const problems = secretProblems(
 *   { read: ["/var/lib"], write: [], env: ["SKILLLITE_SWARM_TOKEN", "LANG"] },
 *   [{ path: "/var/lib/swarm", what: "the node's data directory" }],
 * );
 * assert.equal(problems.length, 2);
 * ```
 */
export function secretProblems(
  permissions: Pick<SkillPermissions, "read" | "write" | "env">,
  protectedPaths: readonly ProtectedPath[],
): string[] {
  const problems: string[] = [];
  for (const name of permissions.env) {
    if (isNodeEnv(name)) {
      problems.push(
        `Cannot give a skill the node's environment variable '${name}' (permissions.env): it holds the node's credentials or configuration`,
      );
    }
  }
  for (const field of ["read", "write"] as const) {
    for (const declared of permissions[field]) {
      const hit = protectedPaths.find((p) => overlaps(declared, p.path));
      if (hit) {
        problems.push(
          `Cannot give a skill the path '${declared}' (permissions.${field}): it covers ${hit.what} (${hit.path})`,
        );
      }
    }
  }
  return problems;
}

/** Whether one of two absolute paths is the other or lies inside it. */
function overlaps(a: string, b: string): boolean {
  return within(a, b) || within(b, a);
}

function within(path: string, dir: string): boolean {
  const rel = relative(normalize(dir), normalize(path));
  return rel === "" || (!isAbsolute(rel) && rel !== ".." && !rel.startsWith(`..${sep}`));
}
