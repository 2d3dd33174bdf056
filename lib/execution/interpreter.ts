/**
 * The command that runs a non-Deno skill's entry script.
 *
 * @module
 */
import { SwarmError } from "../protocol/mod.ts";
import type { Skill } from "../skills/mod.ts";
import type { PythonInstall } from "./sandbox_host.ts";

/** The shell that runs `.sh` entry scripts. */
export const SHELL = "/bin/sh";

/**
 * Interpreter and entry script of a python or shell skill; an entry of unknown language
 * is executed directly (it needs its own shebang and execute bit).
 *
 * @throws {SwarmError} `execution_failed` for a Deno/Node skill, or a python skill when
 * this host has no Python.
 * @throws {TypeError} When the skill has no entry point.
 */
export function interpreterArgv(skill: Skill, python: PythonInstall | null): string[] {
  const entry = skill.entryPoint;
  if (skill.kind !== "script" || entry === undefined) {
    throw new TypeError(`Cannot run skill '${skill.name}': it has no entry script`);
  }
  switch (skill.language) {
    case "python":
      if (!python) {
        throw new SwarmError(
          "execution_failed",
          `Skill '${skill.name}' cannot run here: python3 was not found on PATH`,
          { skill: skill.name },
        );
      }
      return [python.executable, entry];
    case "shell":
      return [SHELL, entry];
    case "deno":
    case "node":
      throw new SwarmError(
        "execution_failed",
        `Skill '${skill.name}' cannot run here: its ${skill.language} entry script needs Deno`,
        { skill: skill.name },
      );
    default:
      return [entry];
  }
}

/** Resolves a declared extra path: absolute as is, relative against the skill directory. */
export function declaredPath(skill: Skill, path: string): string {
  if (path.startsWith("/")) return path;
  return `${skill.dir.replace(/\/+$/, "")}/${path}`;
}
