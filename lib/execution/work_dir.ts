/**
 * A fresh, private working directory for one task.
 *
 * @module
 */

/**
 * Runs `fn` with a new empty directory `task-*` under `root` (created when missing)
 * and removes the directory with everything in it afterwards, whether `fn` resolves or
 * throws. The directory is private to its owner (mode 0700); subdirectories a task
 * made read-only are made writable again to be removed.
 *
 * @param root Directory that holds the tasks' working directories.
 * @param fn The work, given the directory's absolute, symlink-free path.
 * @returns What `fn` returns.
 * @throws {Deno.errors.PermissionDenied} (or another file-system error) when the
 * directory cannot be created, or cannot be removed after `fn` succeeded.
 * @example
 * ```ts
 * import { withWorkDir } from "./work_dir.ts";
 * const root = await Deno.makeTempDir();
 * const used = await withWorkDir(root, async (dir) => {
 *   await Deno.writeTextFile(`${dir}/out.txt`, "x");
 *   return dir;
 * });
 * console.assert((await Array.fromAsync(Deno.readDir(root))).length === 0, used);
 * await Deno.remove(root);
 * ```
 */
export async function withWorkDir<T>(root: string, fn: (dir: string) => Promise<T>): Promise<T> {
  await Deno.mkdir(root, { recursive: true });
  const dir = await Deno.realPath(await Deno.makeTempDir({ dir: root, prefix: "task-" }));
  let result: T;
  try {
    result = await fn(dir);
  } catch (err) {
    await removeTree(dir).catch(() => {
      // The task's own error is the one to report.
    });
    throw err;
  }
  await removeTree(dir);
  return result;
}

async function removeTree(dir: string): Promise<void> {
  try {
    await Deno.remove(dir, { recursive: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    await makeWritable(dir);
    await Deno.remove(dir, { recursive: true });
  }
}

async function makeWritable(dir: string): Promise<void> {
  await Deno.chmod(dir, 0o700).catch(() => {});
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) await makeWritable(`${dir}/${entry.name}`);
  }
}
