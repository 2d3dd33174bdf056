/**
 * Delivery records of tasks, keyed by task id, kept in Deno KV so duplicates run once
 * even across a node restart.
 *
 * @module
 */
import type { NodeResult, NodeTask } from "../protocol/mod.ts";
import { KvEntryUpdates } from "./_kv_update.ts";

/** What the store knows about one task id. */
export interface TaskRecord {
  /** The task id: the idempotency key. */
  id: string;
  /** `taskFingerprint()` of the body that began it; another body under this id is a conflict. */
  fingerprint: string;
  /** `running` until a result is stored, then `done`. */
  state: "running" | "done";
  /** The final answer, once `done`. */
  result?: NodeResult;
  /**
   * Who runs it: `"local"` or the id of the peer it was forwarded to. Recorded before each
   * forward attempt, so a retry after a lost answer asks that peer first.
   */
  owner?: string;
  /**
   * Epoch ms of the start of the node process that began (or re-claimed) it. A `running`
   * record from another process start was left by a run that died with its process.
   */
  nodeStartedMs: number;
  /** Epoch ms when it began (or was re-claimed). */
  startedMs: number;
  /** Epoch ms when its result was stored. */
  finishedMs?: number;
}

/** What {@link KvTaskStore.begin} decided for an arriving task. */
export type Admission =
  /** First arrival: the caller runs it, then calls `finish` or `abandon`. */
  | { kind: "new" }
  /** Already answered: send this result again, run nothing. */
  | { kind: "done"; result: NodeResult }
  /** Running in this process start: wait for (or stream) that execution. */
  | { kind: "running"; record: TaskRecord }
  /**
   * Left running by an earlier process start (a crash). The caller has re-claimed it and
   * runs it again, asking `record.owner` first when it is a peer. `record` is as found.
   */
  | { kind: "orphaned"; record: TaskRecord }
  /** The id was used by a different body: answer 409. */
  | { kind: "conflict"; record: TaskRecord };

/** Options of {@link KvTaskStore}. */
export interface KvTaskStoreOptions {
  /**
   * How long a record is kept after its last write, in ms (passed to Deno KV as
   * `expireIn`). A duplicate arriving later runs again. It must exceed the longest task
   * run, or a running record can vanish before its result is stored. Deno KV deletes
   * expired records lazily, so one may still be read for a while after it expired.
   *
   * @default {86_400_000} (24 h)
   */
  retentionMs?: number;
  /** Epoch ms of this node process's start; tells this run's records from a dead run's. */
  processStartedMs: number;
}

/** Default {@link KvTaskStoreOptions.retentionMs}: 24 h. */
export const DEFAULT_TASK_RETENTION_MS = 24 * 60 * 60 * 1000;

const PREFIX = ["tasks"] as const;

/**
 * Delivery records in Deno KV, one entry per task under `["tasks", id]`. Changes of one
 * id are queued within this instance and committed with an atomic check of the entry's
 * versionstamp, so concurrent callers — in this process or through another handle on
 * the same KV file — never both win. A commit resolves only once the KV store has it,
 * so a result stored by `finish` survives a kill -9 of the process.
 *
 * @example
 * ```ts
 * import { KvTaskStore } from "./task_store.ts";
 * import { taskFingerprint } from "./task_fingerprint.ts";
 * const kv = await Deno.openKv(":memory:");
 * const store = new KvTaskStore(kv, { processStartedMs: Date.now() });
 * const task = { id: "t1", description: "add", context: { workspace: ".", session_key: "default", required_capabilities: [] } };
 * const fingerprint = await taskFingerprint(task);
 * console.assert((await store.begin(task, fingerprint)).kind === "new");
 * console.assert((await store.begin(task, fingerprint)).kind === "running");
 * await store.finish("t1", { task_id: "t1", response: "3", task_completed: true, tool_calls: 0 });
 * console.assert((await store.begin(task, fingerprint)).kind === "done");
 * kv.close();
 * ```
 */
export class KvTaskStore {
  #kv: Deno.Kv;
  #processStartedMs: number;
  #entries: KvEntryUpdates<TaskRecord>;

  /**
   * A store kept in `kv`, which the caller opens and closes.
   *
   * @throws {RangeError} When `retentionMs` is not a positive integer or
   * `processStartedMs` not a non-negative finite number.
   */
  constructor(kv: Deno.Kv, options: KvTaskStoreOptions) {
    const { retentionMs = DEFAULT_TASK_RETENTION_MS, processStartedMs } = options;
    if (!Number.isSafeInteger(retentionMs) || retentionMs <= 0) {
      throw new RangeError(
        `Cannot keep task records as 'retentionMs' must be a positive integer: current value is ${retentionMs}`,
      );
    }
    if (!Number.isFinite(processStartedMs) || processStartedMs < 0) {
      throw new RangeError(
        `Cannot keep task records as 'processStartedMs' must be a non-negative number: current value is ${processStartedMs}`,
      );
    }
    this.#kv = kv;
    this.#processStartedMs = processStartedMs;
    this.#entries = new KvEntryUpdates(kv, PREFIX, { noun: "task", expireInMs: retentionMs });
  }

  /**
   * Admits an arriving task: records it as running when it is new (or re-claims it when a
   * dead process start left it running), else says what became of the earlier arrival.
   * Of concurrent first arrivals exactly one gets `new`, the others `running`; of
   * concurrent arrivals of an orphan exactly one gets `orphaned`.
   *
   * @param task The task as received.
   * @param fingerprint Its `taskFingerprint()`.
   * @param nowMs Current epoch ms, stored as `startedMs`.
   */
  begin(task: NodeTask, fingerprint: string, nowMs: number = Date.now()): Promise<Admission> {
    return this.#entries.update<Admission>(task.id, (old) => {
      if (!old) {
        return {
          next: {
            id: task.id,
            fingerprint,
            state: "running",
            nodeStartedMs: this.#processStartedMs,
            startedMs: nowMs,
          },
          answer: { kind: "new" },
        };
      }
      if (old.fingerprint !== fingerprint) return { answer: { kind: "conflict", record: old } };
      if (old.state === "done") return { answer: { kind: "done", result: old.result! } };
      if (old.nodeStartedMs === this.#processStartedMs) {
        return { answer: { kind: "running", record: old } };
      }
      return {
        next: { ...old, nodeStartedMs: this.#processStartedMs, startedMs: nowMs },
        answer: { kind: "orphaned", record: old },
      };
    });
  }

  /**
   * Records who runs a task (`"local"` or a peer id), durably, before the attempt.
   *
   * @throws {Error} When the task has no running record.
   */
  async setOwner(id: string, owner: string): Promise<void> {
    await this.#entries.update(id, (old) => {
      if (old?.state !== "running") {
        throw new Error(`Cannot set the owner of task '${id}': it has no running record`);
      }
      return { next: { ...old, owner }, answer: undefined };
    });
  }

  /**
   * Stores a task's final result; resolves once it is durable, so answer only after.
   * A task already done keeps its first result, so every duplicate sees the same one.
   *
   * @param nowMs Current epoch ms, stored as `finishedMs`.
   * @throws {Error} When the task has no record (never begun, abandoned or expired).
   */
  async finish(id: string, result: NodeResult, nowMs: number = Date.now()): Promise<void> {
    await this.#entries.update(id, (old) => {
      if (!old) throw new Error(`Cannot store the result of task '${id}': it has no record`);
      if (old.state === "done") return { answer: undefined };
      return { next: { ...old, state: "done", result, finishedMs: nowMs }, answer: undefined };
    });
  }

  /** Forgets a failed run so that a retry runs the task again. A done record is kept. */
  async abandon(id: string): Promise<void> {
    await this.#entries.update(id, (old) => {
      if (old?.state !== "running") return { answer: undefined };
      return { next: null, answer: undefined };
    });
  }

  /** The record of a task, or null when there is none. */
  async get(id: string): Promise<TaskRecord | null> {
    return (await this.#kv.get<TaskRecord>([...PREFIX, id])).value;
  }
}
