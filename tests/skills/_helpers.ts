/**
 * Helpers shared by the skills tests: temporary skill trees.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Absolute path of the committed fixture skills. */
export const FIXTURES = fileURLToPath(new URL("../fixtures/skills", import.meta.url));

export { withTempDir } from "../_helpers/temp_dir.ts";

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
