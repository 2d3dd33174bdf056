/**
 * The starter skills shipped with swarm, and copying them out for a node to run.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Where the starter skills live in swarm's own source (`lib/skills/starter/`). */
export const STARTER_SKILLS_SOURCE: URL = new URL("./starter/", import.meta.url);

/**
 * Copies the starter skills into `target`, replacing whatever it held, and returns
 * `target`. A node runs them from there rather than from its source: a compiled
 * binary's files cannot be executed in place, and a copy the node made itself on each
 * start is exactly the code it ships (a file left there by an older version is gone).
 *
 * @param target Directory to hold the copies; created when missing.
 * @param source The tree to copy (for tests).
 * @returns `target`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { materializeStarterSkills } from "./starter_skills.ts";
 * const dir = await Deno.makeTempDir();
 * await materializeStarterSkills(`${dir}/starter`);
 * assert.ok((await Deno.stat(`${dir}/starter/calculator/SKILL.md`)).isFile);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function materializeStarterSkills(
  target: string,
  source: URL = STARTER_SKILLS_SOURCE,
): Promise<string> {
  // Copy beside the target, then swap, so a crash mid-copy never leaves half a skill.
  const fresh = `${target}.new-${crypto.randomUUID()}`;
  await Deno.mkdir(fresh, { recursive: true, mode: 0o755 });
  try {
    await copyTree(fileURLToPath(source), fresh);
    await Deno.remove(target, { recursive: true }).catch((err) => {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    });
    await Deno.rename(fresh, target);
  } catch (err) {
    await Deno.remove(fresh, { recursive: true }).catch(() => {});
    throw err;
  }
  return target;
}

async function copyTree(from: string, to: string): Promise<void> {
  for await (const entry of Deno.readDir(from)) {
    const source = join(from, entry.name);
    const dest = join(to, entry.name);
    if (entry.isDirectory) {
      await Deno.mkdir(dest, { mode: 0o755 });
      await copyTree(source, dest);
    } else if (entry.isFile) {
      await Deno.writeFile(dest, await Deno.readFile(source), { mode: 0o644 });
    }
  }
}
