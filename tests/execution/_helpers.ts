/**
 * Shared pieces of the execution tests: fixture skills, tasks and a bare Skill builder.
 *
 * @module
 */
import { loadSkill } from "../../lib/skills/load_skill.ts";
import type { NodeTask } from "../../lib/protocol/types.ts";
import type { Skill } from "../../lib/skills/types.ts";
import { outputWithin } from "../_helpers/with_timeout.ts";

/** Absolute path of this folder's fixture skills. */
export const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;

/** Loads one fixture skill (`tests/execution/fixtures/<name>`) with the real loader. */
export function fixtureSkill(name: string): Promise<Skill> {
  return loadSkill(`${FIXTURES}${name}`);
}

/** A task with the given description and extra fields. */
export function task(description: string, extra: Partial<NodeTask> = {}): NodeTask {
  return {
    id: crypto.randomUUID(),
    description,
    context: { workspace: "/etc", session_key: "default", required_capabilities: [] },
    ...extra,
  };
}

/** A Skill object for pure tests: a python script skill unless overridden. */
export function skill(name: string, overrides: Partial<Skill> = {}): Skill {
  return {
    name,
    description: `${name} skill`,
    dir: `/skills/${name}`,
    kind: "script",
    entryPoint: `/skills/${name}/scripts/main.py`,
    language: "python",
    capabilities: [],
    capabilitySource: "declared",
    permissions: { net: false, read: [], write: [], env: [] },
    requiresElevatedPermissions: false,
    fingerprint: "0".repeat(64),
    ...overrides,
  };
}

/** Running processes (zombies left out) as `[pid, command line]`, read with `ps`
 * (Deno allows reading other processes' `/proc` entries only with `--allow-all`). */
async function processes(): Promise<Array<[number, string]>> {
  const { stdout } = await outputWithin("ps", {
    args: ["-eo", "pid=,stat=,args="],
    stdout: "piped",
    ms: 30_000,
  });
  const rows: Array<[number, string]> = [];
  for (const line of new TextDecoder().decode(stdout).split("\n")) {
    const match = /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (match && !match[2].startsWith("Z")) rows.push([Number(match[1]), match[3]]);
  }
  return rows;
}

/** Whether a process with this pid is still running (a zombie counts as gone). */
export async function isRunning(pid: number): Promise<boolean> {
  return (await processes()).some(([p]) => p === pid);
}

/** Pids of running processes whose command line contains `needle`. */
export async function processesMatching(needle: string): Promise<number[]> {
  return (await processes()).filter(([, args]) => args.includes(needle)).map(([p]) => p);
}
