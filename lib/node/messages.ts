/**
 * Messages between the privileged main process and the network worker.
 *
 * @module
 */
import type { Config } from "../config/mod.ts";
import type { MdnsPeer } from "../discovery/mod.ts";
import type { NetworkScope } from "../execution/mod.ts";
import type { ErrorBody, NodeResult, NodeTask } from "../protocol/mod.ts";
import type { WorkerPermissions } from "./permissions.ts";
import type { Grant } from "../security/mod.ts";
import type { SecurityMaterial } from "./security_material.ts";
import type { Envelope, InstalledRelease, SkillRelease, SyncRefusal } from "../sync/mod.ts";

/** The main process's answer to a `sync-store` request. */
export interface SyncStoreResult {
  type: "sync-store-result";
  id: number;
  /** The installed releases after the request, when it succeeded. */
  installed?: Array<[string, InstalledRelease]>;
  /** The store refused the release. */
  refusal?: { reason: SyncRefusal; message: string };
  /** Anything else that went wrong. */
  error?: string;
}

/** A skill as the network side sees it (no paths beyond what status shows). */
export interface SkillSummary {
  name: string;
  version?: string;
  kind: string;
  capabilities: string[];
  capability_source: string;
  sandbox: string;
  /** The network the skill really reaches in its sandbox. */
  network: NetworkScope;
  /**
   * Every permission the skill declares: network (`false`, `true` or hosts), extra
   * read and write paths (absolute, relative ones resolved against the skill
   * directory) and the environment variable names passed through to it.
   */
  permissions: { net: boolean | string[]; read: string[]; write: string[]; env: string[] };
  fingerprint: string;
  /** `starter` for a starter skill shipped with swarm; absent for skills from a directory. */
  origin?: "starter";
  /** Why a script skill cannot run here (it is then not advertised); absent when it can. */
  cannot_run?: string;
}

/** What `/status` shows about mDNS discovery. */
export interface DiscoveryState {
  /** `off` (loopback or --no-mdns), `starting`, `active` or `failed`. */
  mdns: "off" | "starting" | "active" | "failed";
  /** Why it is off or failed. */
  reason?: string;
  service_type: string;
  ttl_s?: number;
  /** Interface used, when one was chosen. */
  interface?: string | null;
  /** Addresses announced. */
  addresses?: string[];
  /** Deno grants of the mDNS worker. */
  permissions?: unknown;
}

/** Everything the worker needs to start. */
export interface WorkerInit {
  config: Config;
  nodeId: string;
  version: string;
  permissions: WorkerPermissions;
  skills: SkillSummary[];
  capabilities: string[];
  /** `skills`, `command`, `skills+command` or `none`. */
  executor: string;
  startedAtMs: number;
  discovery: DiscoveryState;
  /** Contents of the TLS and keyring files (the worker cannot read them itself). */
  security: SecurityMaterial;
}

/** Main → worker. */
export type ToWorker =
  | { type: "start"; init: WorkerInit }
  | { type: "exec-progress"; id: number; skill?: string }
  | { type: "exec-result"; id: number; result: NodeResult }
  | { type: "exec-error"; id: number; error: ErrorBody }
  | { type: "skills"; skills: SkillSummary[]; capabilities: string[]; executor: string }
  | { type: "discovery"; discovery: DiscoveryState }
  | { type: "security"; material: SecurityMaterial }
  | { type: "mdns-peer-up"; peer: MdnsPeer }
  | { type: "mdns-peer-down"; id: string; reason: string }
  | SyncStoreResult
  /** A release this node's publisher key signed (an agent's new skill): take it. */
  | { type: "sync-publish"; envelope: Envelope }
  | { type: "stop" }
  /** A second stop signal: end every task now, each caller answered, then stop. */
  | { type: "force" };

/** Worker → main. */
export type FromWorker =
  | { type: "listening"; host: string; port: number; url: string }
  /** Skill sync asks the main process's release store. */
  | { type: "sync-store"; id: number; op: "installed" }
  | { type: "sync-store"; id: number; op: "install"; release: SkillRelease }
  | { type: "exec"; id: number; task: NodeTask; capabilities: string[]; grant?: Grant }
  | { type: "exec-cancel"; id: number }
  | { type: "fatal"; error: ErrorBody }
  | { type: "stopped" };
