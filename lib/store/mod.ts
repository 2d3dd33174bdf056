/**
 * Persistent state: the routing table and task delivery records in Deno KV, and files
 * written atomically and durably (`writeFileAtomic`) for keys, certificates and keyrings,
 * and edits of such files serialized across processes (`withFileLock`).
 *
 * @example
 * ```ts
 * import { KvPeerTable } from "./mod.ts";
 * const kv = await Deno.openKv(":memory:");
 * const table = new KvPeerTable(kv);
 * await table.report({ id: "n1", address: "127.0.0.1:7701", scheme: "http", capabilities: ["calc"], source: "static", swarm: true });
 * console.assert((await table.list()).length === 1);
 * kv.close();
 * ```
 *
 * @module
 */
export * from "./peer_table.ts";
export * from "./open_store.ts";
export * from "./task_store.ts";
export * from "./task_fingerprint.ts";
export * from "./write_file_atomic.ts";
export * from "./follow_links.ts";
export * from "./sync_directory.ts";
export * from "./file_lock.ts";
