/**
 * Content-addressed storage of skill files: each file kept once, under its SHA-256,
 * written only after its content and size are verified.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  randomSuffix,
  removeIfPresent,
  SHA256_HEX,
  syncDirectory,
  toStream,
  writeAll,
} from "./_store_fs.ts";
import { SyncRefusalError } from "./sync_refusal_error.ts";

/** Prefix of the temporary files a {@link BlobStore.put} writes before the rename. */
const TEMP_PREFIX = ".tmp-";

/** Options of {@link BlobStore.put}. */
export interface BlobPutOptions {
  /** The SHA-256 the content must have, 64 lowercase hex digits: its address. */
  sha256: string;
  /** The size in bytes the content must have. */
  size: number;
  /**
   * Largest blob accepted, in bytes: a larger `size` is refused before anything is
   * read, and a stream is cut off as soon as it passes `size`.
   *
   * @default {Infinity}
   */
  maxBytes?: number;
  /** Aborts the write; the temporary file is removed. */
  signal?: AbortSignal;
}

/** What {@link BlobStore.put} did. */
export interface BlobPutResult {
  /** True when the blob was written now, false when it was already there. */
  written: boolean;
  /** Its path in the store. */
  path: string;
}

/**
 * A content-addressed store of blobs under `<root>/blobs/sha256/<hex>`. A blob is
 * written to a temporary file in the same directory while it is hashed and counted,
 * checked, flushed to disk and then renamed into place, so a blob under its address
 * is always complete and correct; an interrupted write leaves only a temporary file,
 * removed the next time the store is opened. Nothing is held in memory but one chunk
 * at a time.
 *
 * One node owns a store: temporary files are swept on open, so two processes must not
 * open the same root at once.
 *
 * @example
 * ```ts
 * import { BlobStore } from "./blob_store.ts";
 * const root = await Deno.makeTempDir();
 * const store = await BlobStore.open(root);
 * const bytes = new TextEncoder().encode("hello");
 * const sha256 = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
 * await store.put(bytes, { sha256, size: bytes.length });
 * console.assert(await store.has(sha256));
 * console.assert(await store.size(sha256) === 5);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export class BlobStore {
  /** The store's root directory. */
  readonly root: string;
  /** The directory holding the blobs: `<root>/blobs/sha256`. */
  readonly dir: string;

  private constructor(root: string) {
    this.root = root;
    this.dir = join(root, "blobs", "sha256");
  }

  /**
   * Opens (creating when needed) the store under `root` and removes the temporary
   * files an interrupted write left.
   *
   * @param root The store's root directory (for a node, `<dataDir>/sync`).
   * @param options `sweep: false` leaves temporary files alone: for a second process
   * that only reads blobs while the owner may be receiving some. @default {sweep: true}
   * @returns The store.
   */
  static async open(root: string, options: { sweep?: boolean } = {}): Promise<BlobStore> {
    const store = new BlobStore(root);
    await Deno.mkdir(store.dir, { recursive: true });
    if (options.sweep === false) return store;
    for await (const entry of Deno.readDir(store.dir)) {
      if (entry.name.startsWith(TEMP_PREFIX)) await removeIfPresent(join(store.dir, entry.name));
    }
    return store;
  }

  /**
   * The path where the blob with this address is (or would be) kept.
   *
   * @param sha256 The blob's address.
   * @returns `<root>/blobs/sha256/<sha256>`.
   * @throws {TypeError} When `sha256` is not 64 lowercase hex digits.
   */
  path(sha256: string): string {
    checkAddress(sha256);
    return join(this.dir, sha256);
  }

  /**
   * Whether the blob is in the store (complete: only verified blobs get an address).
   *
   * @param sha256 The blob's address.
   * @returns True when present.
   */
  async has(sha256: string): Promise<boolean> {
    return (await this.size(sha256)) !== undefined;
  }

  /**
   * The blob's size in bytes, or undefined when it is not in the store.
   *
   * @param sha256 The blob's address.
   * @returns The size, or undefined.
   */
  async size(sha256: string): Promise<number | undefined> {
    try {
      const info = await Deno.lstat(this.path(sha256));
      return info.isFile ? info.size : undefined;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return undefined;
      throw err;
    }
  }

  /**
   * Opens the blob for reading; the caller closes it (or reads its `readable` to the
   * end, which closes it).
   *
   * @param sha256 The blob's address.
   * @returns The open file.
   * @throws {Deno.errors.NotFound} When the blob is not in the store.
   */
  async open(sha256: string): Promise<Deno.FsFile> {
    return await Deno.open(this.path(sha256), { read: true });
  }

  /**
   * The blob's content as a stream, read a chunk at a time.
   *
   * @param sha256 The blob's address.
   * @returns A stream that closes the file when it ends or is cancelled.
   * @throws {Deno.errors.NotFound} When the blob is not in the store.
   */
  async read(sha256: string): Promise<ReadableStream<Uint8Array>> {
    return (await this.open(sha256)).readable;
  }

  /**
   * Stores `source` under `sha256` when its content has that hash and `size` bytes. A
   * blob already present is kept and `source` is not read (a stream is cancelled), so
   * a transfer never fetches a blob twice. Otherwise the content goes to a temporary
   * file in the blob directory (mode 0644) while being hashed and counted; it is
   * refused, and the temporary file removed, when it passes `size` or `maxBytes`
   * (`oversize`) or ends with another size or hash (`hash_mismatch`); else it is
   * flushed to disk and renamed to its address.
   *
   * @param source The content: a byte stream (as a `fetch` body) or bytes.
   * @param options The expected hash and size, the bound, an abort signal.
   * @returns Whether it was written now, and its path.
   * @throws {SyncRefusalError} `oversize` or `hash_mismatch`.
   * @throws {TypeError} When `sha256` is not 64 lowercase hex digits.
   * @throws {RangeError} When `size` is not a non-negative safe integer.
   */
  async put(
    source: ReadableStream<Uint8Array> | Uint8Array,
    options: BlobPutOptions,
  ): Promise<BlobPutResult> {
    const { sha256, size, maxBytes = Infinity, signal } = options;
    const stream = toStream(source);
    const path = this.path(sha256);
    if (!Number.isSafeInteger(size) || size < 0) {
      await stream.cancel().catch(() => {});
      throw new RangeError(
        `Cannot store a blob as 'size' must be a non-negative integer: current value is ${size}`,
      );
    }
    if (size > maxBytes) {
      await stream.cancel().catch(() => {});
      throw new SyncRefusalError(
        "oversize",
        `Blob ${sha256} is ${size} bytes: more than the ${maxBytes} allowed`,
      );
    }
    if (await this.has(sha256)) {
      await stream.cancel().catch(() => {});
      return { written: false, path };
    }
    const tmp = join(this.dir, `${TEMP_PREFIX}${randomSuffix()}`);
    let renamed = false;
    try {
      const file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o644 });
      try {
        const hash = createHash("sha256");
        let count = 0;
        const reader = stream.getReader();
        try {
          while (true) {
            signal?.throwIfAborted();
            const { done, value } = await reader.read();
            if (done) break;
            count += value.length;
            if (count > size) {
              throw new SyncRefusalError(
                "oversize",
                `Blob ${sha256} is longer than the ${size} bytes stated`,
              );
            }
            hash.update(value);
            await writeAll(file, value);
          }
        } catch (err) {
          await reader.cancel().catch(() => {});
          throw err;
        } finally {
          reader.releaseLock();
        }
        if (count !== size) {
          throw new SyncRefusalError(
            "hash_mismatch",
            `Blob ${sha256} is ${count} bytes: ${size} were stated`,
          );
        }
        const actual = hash.digest("hex");
        if (actual !== sha256) {
          throw new SyncRefusalError(
            "hash_mismatch",
            `Blob stated as ${sha256} has SHA-256 ${actual}`,
          );
        }
        if (Deno.build.os !== "windows") await Deno.chmod(tmp, 0o644);
        await file.sync();
      } finally {
        file.close();
      }
      // Another writer may have stored the same content meanwhile: keep its blob.
      if (await this.has(sha256)) return { written: false, path };
      await Deno.rename(tmp, path);
      renamed = true;
    } finally {
      if (!renamed) await removeIfPresent(tmp);
    }
    await syncDirectory(this.dir);
    return { written: true, path };
  }
}

function checkAddress(sha256: string): void {
  if (!SHA256_HEX.test(sha256)) {
    throw new TypeError(
      `Cannot address a blob as 'sha256' must be 64 lowercase hex digits: current value is '${sha256}'`,
    );
  }
}
