/**
 * Persistent state in Deno KV: the routing table.
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
export type { NewSkill, NodeResult, NodeTask, TaskContext } from "../protocol/types.ts";
export type { Peer, PeerSource } from "../routing/types.ts";
