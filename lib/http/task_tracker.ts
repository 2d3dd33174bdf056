/**
 * Which tasks this node is handling right now, for `/status` and draining.
 *
 * @module
 */

/** Tracks in-flight tasks by id, in arrival order. */
export class TaskTracker {
  #running = new Map<string, number>();
  #idle: Array<() => void> = [];

  /** Records the start of a task. */
  begin(id: string, nowMs: number = Date.now()): void {
    this.#running.set(id, nowMs);
  }

  /** Records the end of a task. */
  end(id: string): void {
    this.#running.delete(id);
    if (this.#running.size === 0) { for (const resolve of this.#idle.splice(0)) resolve(); }
  }

  /** Number of tasks in flight. */
  get size(): number {
    return this.#running.size;
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
