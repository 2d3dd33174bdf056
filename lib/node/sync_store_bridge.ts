/**
 * The worker's side of installing synced skills: the release store lives in the main
 * process (an install makes a symlink, which Deno allows only to a process with
 * unscoped file grants), so the worker's skill sync asks it by message.
 *
 * @module
 */
import {
  type InstalledRelease,
  type ReleaseInstaller,
  type SkillRelease,
  SyncRefusalError,
} from "../sync/mod.ts";
import type { FromWorker, SyncStoreResult } from "./messages.ts";

interface Pending {
  resolve: (installed: Map<string, InstalledRelease>) => void;
  reject: (err: Error) => void;
}

/** A {@link ReleaseInstaller} whose store is in the main process. */
export class SyncStoreBridge implements ReleaseInstaller {
  #post: (message: FromWorker) => void;
  #pending = new Map<number, Pending>();
  #next = 1;

  constructor(post: (message: FromWorker) => void) {
    this.#post = post;
  }

  /** The installed releases, as the main process's store reads them. */
  installed(): Promise<Map<string, InstalledRelease>> {
    return this.#ask((id) => this.#post({ type: "sync-store", id, op: "installed" }));
  }

  /** Installs `release` in the main process. */
  async install(release: SkillRelease): Promise<void> {
    await this.#ask((id) => this.#post({ type: "sync-store", id, op: "install", release }));
  }

  /** Delivers the main process's answer. */
  settle(result: SyncStoreResult): void {
    const pending = this.#pending.get(result.id);
    this.#pending.delete(result.id);
    if (!pending) return;
    if (result.refusal) {
      pending.reject(new SyncRefusalError(result.refusal.reason, result.refusal.message));
    } else if (result.error !== undefined) {
      pending.reject(new Error(result.error));
    } else {
      pending.resolve(new Map(result.installed ?? []));
    }
  }

  #ask(send: (id: number) => void): Promise<Map<string, InstalledRelease>> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      send(id);
    });
  }
}
