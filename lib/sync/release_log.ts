/**
 * The node's grow-only set of verified releases: every envelope it accepted, kept as a
 * file named by the release digest. Gossip only ever adds to it, so two nodes that hold
 * the same envelopes decide the same installed set, whatever the order they came in.
 *
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../store/mod.ts";
import { SHA256_HEX } from "./_store_fs.ts";
import { SyncRefusalError } from "./sync_refusal_error.ts";
import type { Envelope } from "./types.ts";

/** Most releases a log holds by default. */
export const DEFAULT_MAX_RELEASES = 10_000;

/** Options of {@link ReleaseLog.open}. */
export interface ReleaseLogOptions {
  /**
   * Most releases kept. Beyond it a new release is refused as `oversize` (the log never
   * drops one: dropping would let nodes disagree). @default {10000}
   */
  maxReleases?: number;
}

/** The releases a node holds, one file per release digest, under `<root>/log/`. */
export class ReleaseLog {
  /** Directory of the envelope files. */
  readonly dir: string;
  readonly #max: number;
  #digests: Set<string>;

  private constructor(dir: string, digests: Set<string>, max: number) {
    this.dir = dir;
    this.#digests = digests;
    this.#max = max;
  }

  /**
   * Opens (creating when missing) the log under `root`, reading which digests it holds.
   *
   * @example
   * ```ts
   * import { ReleaseLog } from "./release_log.ts";
   * const root = await Deno.makeTempDir();
   * const log = await ReleaseLog.open(root);
   * console.assert(log.digests().length === 0);
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  static async open(root: string, options: ReleaseLogOptions = {}): Promise<ReleaseLog> {
    const dir = join(root, "log");
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const digests = new Set<string>();
    for await (const entry of Deno.readDir(dir)) {
      const digest = entry.name.replace(/\.json$/, "");
      // Only complete envelope files count: a temporary file left by a crash does not.
      if (entry.isFile && entry.name.endsWith(".json") && SHA256_HEX.test(digest)) {
        digests.add(digest);
      }
    }
    return new ReleaseLog(dir, digests, options.maxReleases ?? DEFAULT_MAX_RELEASES);
  }

  /** The digests held, sorted. */
  digests(): string[] {
    return [...this.#digests].sort();
  }

  /** Whether the release `digest` is held. */
  has(digest: string): boolean {
    return this.#digests.has(digest);
  }

  /**
   * Adds the envelope of release `digest` (already verified by the caller).
   *
   * @returns `new`, or `duplicate` when it was held already (nothing written).
   * @throws {SyncRefusalError} `oversize` when the log is full; `malformed` when `digest`
   * is not 64 lowercase hex digits.
   */
  async add(digest: string, envelope: Envelope): Promise<"new" | "duplicate"> {
    if (!SHA256_HEX.test(digest)) {
      throw new SyncRefusalError("malformed", `Release digest '${digest}' is not a SHA-256`);
    }
    if (this.#digests.has(digest)) return "duplicate";
    if (this.#digests.size >= this.#max) {
      throw new SyncRefusalError(
        "oversize",
        `Cannot keep release ${digest}: the release log holds its limit of ${this.#max}`,
      );
    }
    try {
      await writeFileAtomic(join(this.dir, `${digest}.json`), JSON.stringify(envelope), {
        mode: 0o600,
        overwrite: false,
      });
    } catch (err) {
      // Another add of the same release won the race: the same content is there.
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    }
    this.#digests.add(digest);
    return "new";
  }

  /** The envelope of release `digest`, or undefined when it is not held. */
  async get(digest: string): Promise<Envelope | undefined> {
    if (!this.#digests.has(digest)) return undefined;
    return JSON.parse(await Deno.readTextFile(join(this.dir, `${digest}.json`))) as Envelope;
  }
}
