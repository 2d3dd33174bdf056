/**
 * Watches skill directories and reports when their contents settle after a change.
 *
 * @module
 */

/** Options of {@link watchSkillDirs}. */
export interface WatchSkillDirsOptions {
  /** Stops watching. */
  signal: AbortSignal;
  /**
   * Quiet time after the last file event before `onChange` runs, in milliseconds, so
   * that copying a skill in triggers one reload, not dozens.
   *
   * @default {300}
   */
  debounceMs?: number;
}

/**
 * Calls `onChange` (never concurrently) whenever files under `dirs` change. Directories
 * that do not exist are skipped. Resolves once watching has stopped.
 *
 * @example
 * ```ts ignore
 * const controller = new AbortController();
 * watchSkillDirs(["./skills"], async () => console.log("reload"), { signal: controller.signal });
 * ```
 */
export async function watchSkillDirs(
  dirs: string[],
  onChange: () => Promise<void>,
  options: WatchSkillDirsOptions,
): Promise<void> {
  const existing: string[] = [];
  for (const dir of dirs) {
    if (await Deno.stat(dir).then((s) => s.isDirectory, () => false)) existing.push(dir);
  }
  if (existing.length === 0 || options.signal.aborted) return;
  const watcher = Deno.watchFs(existing, { recursive: true });
  options.signal.addEventListener("abort", () => watcher.close(), { once: true });
  const debounceMs = options.debounceMs ?? 300;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();
  const fire = () => {
    running = running.then(onChange).catch(() => {});
  };
  try {
    for await (const _event of watcher) {
      clearTimeout(timer);
      timer = setTimeout(fire, debounceMs);
    }
  } catch (err) {
    if (!options.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
    await running;
  }
}
