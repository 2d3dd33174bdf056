/**
 * Helpers shared by the skills tests: temporary skill trees.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Absolute path of the committed fixture skills. */
export const FIXTURES = fileURLToPath(new URL("../fixtures/skills", import.meta.url));

/** Runs `fn` with a fresh temporary directory (its real path), removed afterwards. */
export async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "swarm-skills-test-" }));
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Writes `files` (relative path → content) under `root`, creating folders. */
export async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const path = join(root, rel);
    await Deno.mkdir(dirname(path), { recursive: true });
    await Deno.writeTextFile(path, content);
  }
}

/** A SKILL.md with the given front-matter lines. */
export function skillMd(...frontMatter: string[]): string {
  return `---\n${frontMatter.join("\n")}\n---\n\n# Skill\n`;
}
