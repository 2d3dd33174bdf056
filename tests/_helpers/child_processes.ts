/**
 * The one registry of child processes a test or benchmark process started: whatever is
 * still running when that process exits (a failed assertion, a timeout) is killed, so
 * no node, daemon or load generator outlives its test.
 *
 * @module
 */

const live = new Set<Deno.ChildProcess>();
globalThis.addEventListener("unload", () => {
  for (const child of live) {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }
});

/**
 * Registers `child` to be killed when this process exits; returns it. It leaves the
 * registry when it exits by itself.
 */
export function killOnExit(child: Deno.ChildProcess): Deno.ChildProcess {
  live.add(child);
  child.status.finally(() => live.delete(child)).catch(() => {});
  return child;
}
