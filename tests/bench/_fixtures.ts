/**
 * What the benchmark nodes run: the no-op executor (the fastest way swarm runs a task:
 * an `--executor-cmd` that is one `/bin/sh` printing a fixed NodeResult), reference-only
 * skills that give a node a capability tag without a script, and task bodies.
 *
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";
import { ID_PLACEHOLDER } from "./_wrk.ts";

/** A NodeResult the no-op executor prints (the node corrects its task id). */
export const NOOP_RESULT = '{"task_id":"-","response":"ok","task_completed":true,"tool_calls":0}';

/**
 * The no-op agent command: the shell's builtin `echo`, so each task costs one
 * `/bin/sh` process and nothing else. The node writes the task to its stdin, unread.
 */
export const NOOP_COMMAND = `echo '${NOOP_RESULT}'`;

/** The capability tag of the no-op node. */
export const NOOP_TAG = "noop";

/** Absolute path of the repository's skill fixtures. */
export const FIXTURE_SKILLS = fromFileUrl(new URL("../fixtures/skills/", import.meta.url));

/**
 * Writes a reference-only skill (no script) holding `tags` into a fresh skills dir
 * under `tmp` and returns that dir. A node with it advertises the tags; tasks for them
 * find no script skill and go to its `--executor-cmd`.
 */
export async function referenceSkillsDir(tmp: string, name: string, tags: string[]) {
  const dir = await Deno.makeTempDir({ dir: tmp, prefix: `skills-${name}-` });
  await Deno.mkdir(`${dir}/${name}`);
  await Deno.writeTextFile(
    `${dir}/${name}/SKILL.md`,
    [
      "---",
      `name: ${name}`,
      `description: Reference-only benchmark skill (tags ${
        tags.join(", ")
      }); the agent runs tasks.`,
      `capabilities: [${tags.join(", ")}]`,
      "---",
      "",
      "# Benchmark tag",
      "",
      "No script: tasks needing these tags go to the node's --executor-cmd.",
      "",
    ].join("\n"),
  );
  return dir;
}

/** Flags of a node that runs every task with the no-op executor and holds `tag`. */
export async function noopNodeArgs(tmp: string, tag = NOOP_TAG): Promise<string[]> {
  return [
    "--skills-dir",
    await referenceSkillsDir(tmp, `bench-${tag}`, [tag]),
    "--executor-cmd",
    NOOP_COMMAND,
    // wrk at 64 connections keeps up to 64 tasks waiting: the default queue (32) would
    // answer some 429, which measures admission, not the path.
    "--max-queued-tasks",
    "256",
  ];
}

/** Options of {@linkcode taskBody}. */
export interface TaskBodyOptions {
  /** Task id. @default the wrk placeholder (a fresh id per request) */
  id?: string;
  /** required_capabilities. @default [NOOP_TAG] */
  required?: string[];
  /** @default "bench no-op task" */
  description?: string;
}

/** A NodeTask body as JSON text. */
export function taskBody(options: TaskBodyOptions = {}): string {
  const { id = ID_PLACEHOLDER, required = [NOOP_TAG], description = "bench no-op task" } = options;
  return JSON.stringify({
    id,
    description,
    context: { workspace: ".", session_key: "default", required_capabilities: required },
  });
}

/** Headers of a task request with `token`. */
export function taskHeaders(token: string): Record<string, string> {
  return { "content-type": "application/json", authorization: `Bearer ${token}` };
}

/**
 * Sends one task and checks it completed; resolves with its latency in ms.
 *
 * @throws {Error} When the answer is not a completed NodeResult.
 */
export async function sendTask(url: string, body: string, token: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${url}/task`, {
    method: "POST",
    headers: taskHeaders(token),
    body,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  const took = performance.now() - started;
  let ok = false;
  try {
    ok = res.status === 200 && JSON.parse(text).task_completed === true;
  } catch { /* not JSON */ }
  if (!ok) throw new Error(`Task to ${url} answered ${res.status}: ${text.slice(0, 300)}`);
  return took;
}
