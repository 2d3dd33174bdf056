/**
 * Temporary directories for tests.
 *
 * @module
 */

/**
 * Runs `fn` with a fresh temporary directory (its real path, symlinks resolved) and
 * removes it afterwards, also when `fn` throws.
 *
 * @example
 * ```ts
 * import { withTempDir } from "./temp_dir.ts";
 * await withTempDir(async (dir) => await Deno.writeTextFile(`${dir}/a`, "x"));
 * ```
 */
export async function withTempDir(
  fn: (dir: string) => Promise<void> | void,
  prefix = "swarm-test-",
): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix }));
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * The names in `dir`, sorted: what a test compares to show nothing was left behind.
 *
 * @example
 * ```ts
 * import { entries, withTempDir } from "./temp_dir.ts";
 * await withTempDir(async (dir) => console.assert((await entries(dir)).length === 0));
 * ```
 */
export async function entries(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}
