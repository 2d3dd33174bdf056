/**
 * Which tasks this node is handling right now, for `/status` and draining.
 *
 * @module
 */

/** Tracks in-flight tasks by id, in arrival order. */
export class TaskTracker {
  /** Task id → how many runs of it are in flight (the same id can arrive twice). */
  #running = new Map<string, number>();
  #idle: Array<() => void> = [];

  /** Records the start of a task. */
  begin(id: string): void {
    const runs = this.#running.get(id) ?? 0;
    // Re-inserting moves the id to the end: it is now the most recent task.
    this.#running.delete(id);
    this.#running.set(id, runs + 1);
  }

  /** Records the end of a task. */
  end(id: string): void {
    const runs = this.#running.get(id) ?? 0;
    if (runs > 1) this.#running.set(id, runs - 1);
    else this.#running.delete(id);
    if (this.#running.size === 0) { for (const resolve of this.#idle.splice(0)) resolve(); }
  }

  /** Number of task runs in flight. */
  get size(): number {
    let total = 0;
    for (const runs of this.#running.values()) total += runs;
    return total;
  }

  /** Ids of the tasks in flight, oldest first. */
  ids(): string[] {
    return [...this.#running.keys()];
  }

  /** The most recently started task, or null when idle. */
  current(): string | null {
    let last: string | null = null;
    for (const id of this.#running.keys()) last = id;
    return last;
  }

  /** Resolves once no task is in flight. */
  idle(): Promise<void> {
    if (this.#running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }
}
