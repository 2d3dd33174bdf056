/**
 * The main process's side of installing synced skills: it owns the release store under
 * `<dataDir>/sync` and answers the worker's `sync-store` messages. Files are read from
 * the blob store the worker fills; the main process never sweeps it (the worker owns
 * its temporary files).
 *
 * @module
 */
import { BlobStore, ReleaseStore, SyncRefusalError, syncRoot } from "../sync/mod.ts";
import type { FromWorker, SyncStoreResult } from "./messages.ts";

/** Answers the worker's release-store requests for the node whose data dir is given. */
export class SyncStoreHost {
  readonly #root: string;
  #stores?: Promise<{ store: ReleaseStore; blobs: BlobStore }>;

  constructor(dataDir: string) {
    this.#root = syncRoot(dataDir);
  }

  /**
   * Runs one request and returns the answer to post back (never throws).
   * @returns The answer, and whether a release was installed (reload the skills).
   */
  async handle(
    message: Extract<FromWorker, { type: "sync-store" }>,
  ): Promise<{ result: SyncStoreResult; installed: boolean }> {
    const id = message.id;
    try {
      const { store, blobs } = await this.#open();
      if (message.op === "install") await store.install(message.release, blobs);
      const installed = [...(await store.installed()).entries()];
      return {
        result: { type: "sync-store-result", id, installed },
        installed: message.op === "install",
      };
    } catch (err) {
      const result: SyncStoreResult = err instanceof SyncRefusalError
        ? { type: "sync-store-result", id, refusal: { reason: err.reason, message: err.message } }
        : { type: "sync-store-result", id, error: (err as Error).message ?? String(err) };
      return { result, installed: false };
    }
  }

  /** The blob store (opened on first use, never swept from this process). */
  async blobStore(): Promise<BlobStore> {
    return (await this.#open()).blobs;
  }

  #open(): Promise<{ store: ReleaseStore; blobs: BlobStore }> {
    this.#stores ??= (async () => ({
      store: await ReleaseStore.open(this.#root),
      blobs: await BlobStore.open(this.#root, { sweep: false }),
    }))();
    return this.#stores;
  }
}
