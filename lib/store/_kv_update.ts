/**
 * Read-modify-write of single Deno KV entries: queued per entry within this process and
 * committed with a versionstamp check, retried against other handles on the same file.
 *
 * @module
 */

/** Bounded commits of one change that lost a race with another KV handle. */
export const MAX_COMMIT_ATTEMPTS = 32;

/**
 * What a change of one entry decided: `next` is the new value (`null` deletes the
 * entry; absent leaves it untouched and writes nothing), `answer` what the caller gets.
 */
export interface EntryChange<V, T> {
  /** The new value; `null` deletes; absent writes nothing. */
  next?: V | null;
  /** What the update resolves to. */
  answer: T;
}

/** Options of {@link KvEntryUpdates}. */
export interface KvEntryUpdatesOptions {
  /** What an entry is, for the contention error: `Cannot update task 'ID': …`. */
  noun: string;
  /** `expireIn` of every value written, in ms; absent: values never expire. */
  expireInMs?: number;
}

/**
 * The entries under one key prefix of `kv`, `[...prefix, id]`, changed by
 * read-modify-write. Changes of one id run one after another within this instance, so
 * they never race each other; the atomic check of the entry's versionstamp guards
 * against other handles on the same KV file and re-runs the change on the fresh value
 * when it lost, a bounded number of times with a short random pause. A commit that
 * SQLite refused as busy ("database is locked": nothing was written) is retried alike.
 */
export class KvEntryUpdates<V> {
  #kv: Deno.Kv;
  #prefix: readonly Deno.KvKeyPart[];
  #options: KvEntryUpdatesOptions;
  #queues = new Map<string, Promise<unknown>>();

  /** Updates of the entries `[...prefix, id]` of `kv`, which the caller opens and closes. */
  constructor(kv: Deno.Kv, prefix: readonly Deno.KvKeyPart[], options: KvEntryUpdatesOptions) {
    this.#kv = kv;
    this.#prefix = prefix;
    this.#options = options;
  }

  /**
   * Reads the entry of `id`, applies `change` and commits its `next` value when the
   * entry is unchanged since the read; resolves to the answer of the change that
   * committed (or wrote nothing). An error thrown by `change` rejects the update and
   * writes nothing.
   *
   * @throws {Error} After {@link MAX_COMMIT_ATTEMPTS} lost races: `Cannot update NOUN
   * 'ID': too much contention`.
   */
  update<T>(id: string, change: (old: V | null) => EntryChange<V, T>): Promise<T> {
    const previous = this.#queues.get(id) ?? Promise.resolve();
    const run = previous.then(() => this.#commit(id, change));
    const tail = run.catch(() => {});
    this.#queues.set(id, tail);
    tail.then(() => {
      if (this.#queues.get(id) === tail) this.#queues.delete(id);
    });
    return run;
  }

  async #commit<T>(id: string, change: (old: V | null) => EntryChange<V, T>): Promise<T> {
    const key = [...this.#prefix, id];
    const { expireInMs } = this.#options;
    for (let attempt = 0; attempt < MAX_COMMIT_ATTEMPTS; attempt++) {
      const entry = await this.#kv.get<V>(key);
      const { next, answer } = change(entry.value);
      if (next === undefined) return answer;
      const op = this.#kv.atomic().check(entry);
      if (next === null) op.delete(key);
      else op.set(key, next, expireInMs === undefined ? undefined : { expireIn: expireInMs });
      if (await committed(op)) return answer;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * (attempt + 1)));
    }
    throw new Error(`Cannot update ${this.#options.noun} '${id}': too much contention`);
  }
}

/**
 * Commits `op`; false when its check failed or SQLite was busy with another handle's
 * write ("database is locked": nothing was written), both worth another attempt.
 */
async function committed(op: Deno.AtomicOperation): Promise<boolean> {
  try {
    return (await op.commit()).ok;
  } catch (err) {
    if (err instanceof Error && err.message.includes("database is locked")) return false;
    throw err;
  }
}
