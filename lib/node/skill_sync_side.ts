/**
 * Skill sync as one part of the composed node: the `SkillSync` of the node's data dir,
 * the peers it talks to (trusted, routable swarm peers, reached with the node's own
 * credential) and the adapter the `/sync/*` routes call.
 *
 * @module
 */
import { SwarmClient } from "../client/mod.ts";
import type { Config } from "../config/mod.ts";
import type { SyncRouteDeps } from "../http/mod.ts";
import { SwarmError } from "../protocol/mod.ts";
import type { Keyring, Revocation } from "../security/mod.ts";
import type { Peer } from "../routing/mod.ts";
import {
  pinFilePath,
  readPins,
  readTrustStore,
  type ReleaseInstaller,
  SkillSync,
  type SyncEvent,
  type SyncPeer,
  syncRoot,
  type SyncView,
  type TrustedPublisher,
  trustStorePath,
} from "../sync/mod.ts";
import type { Pin } from "../sync/mod.ts";

/** Time limit of one sync request to a peer, in milliseconds. */
const SYNC_REQUEST_TIMEOUT_MS = 30_000;

/** What {@link skillSyncSide} needs. */
export interface SkillSyncSideOptions {
  config: Config;
  nodeId: string;
  /** The peers tasks may go to now (trusted, not dead). */
  peers: () => Promise<Peer[]>;
  /** The fetch that verifies https peers against the mesh CA. */
  fetch: typeof fetch;
  emit: (event: SyncEvent) => void;
  /** Installs the chosen releases; a store in this process when absent. */
  installer?: ReleaseInstaller;
  /** The node's keyring, for token revocations that arrive by gossip. */
  loadKeyring?: () => Keyring | undefined;
  /** Told the token ids gossiped revocations revoke. */
  onRevocations?: (revoked: Revocation[]) => void;
  /** Records a problem (an unreadable trust store or pin file). */
  log: (message: string, props: Record<string, unknown>) => void;
}

/** The node's skill sync, before and after it opened. */
export interface SkillSyncSide {
  /** Opens the stores and reads trust and pins; call once, after the KV store opened. */
  open(): Promise<void>;
  /** One anti-entropy round. */
  round(): Promise<void>;
  /** The state status shows; undefined until open. */
  view(): Promise<SyncView | undefined>;
  /** What the `/sync/*` routes call. */
  routes: SyncRouteDeps;
}

/**
 * Skill sync of a node with a data dir; undefined for a node without one (`:memory:`),
 * which then serves no `/sync/*` routes.
 */
export function skillSyncSide(options: SkillSyncSideOptions): SkillSyncSide | undefined {
  const { config, nodeId } = options;
  if (config.dataDir === ":memory:") return undefined;
  let sync: SkillSync | undefined;
  const need = (): SkillSync => {
    if (sync === undefined) throw new SwarmError("not_ready", "Skill sync is still starting");
    return sync;
  };
  /** The last good reading of a file, kept when an edit leaves it unreadable. */
  const lastGood = <T>(read: () => Promise<T>, initial: T, what: string) => {
    let last = initial;
    return async (): Promise<T> => {
      try {
        last = await read();
      } catch (err) {
        options.log(`Cannot read the ${what}: keeping the previous one`, {
          error: (err as Error).message,
        });
      }
      return last;
    };
  };
  const loadTrust = lastGood<TrustedPublisher[]>(
    () => readTrustStore(trustStorePath(config.dataDir)),
    [],
    "trust store",
  );
  const loadPins = lastGood<Pin[]>(() => readPins(pinFilePath(config.dataDir)), [], "pin file");
  const clientOf = (peer: Peer): SwarmClient =>
    new SwarmClient({
      url: `${peer.scheme}://${peer.address}`,
      token: config.nodeToken,
      fetch: options.fetch,
      timeoutMs: SYNC_REQUEST_TIMEOUT_MS,
      // Lets the receiver fetch the release's files from the sender first.
      headers: { "x-swarm-node-id": nodeId },
    });
  /** Swarm peers only: a SkillLite node has no skill sync. */
  const syncPeers = async (): Promise<SyncPeer[]> =>
    (await options.peers()).filter((p) => p.swarm).map((p) => ({ id: p.id, client: clientOf(p) }));

  const routes: SyncRouteDeps = {
    digests: () => need().digests(),
    root: () => need().root(),
    envelope: (digest) => need().envelope(digest),
    receive: async (envelope, from) => {
      const origin = from === "publisher"
        ? undefined
        : (await syncPeers()).find((p) => p.id === from);
      return await need().receive(envelope, origin ? from : "publisher", origin);
    },
    readBlob: async (sha256) => {
      const blobs = need().blobs;
      return (await blobs.has(sha256)) ? await blobs.read(sha256) : undefined;
    },
    putBlob: async (body, sha256, size) => {
      const store = need();
      // A large file may take longer than a task body: the limit grows with its size.
      const mib = Math.max(1, Math.ceil(size / (1024 * 1024)));
      await store.blobs.put(body, {
        sha256,
        size,
        maxBytes: store.maxBlobBytes,
        signal: AbortSignal.timeout(config.bodyTimeoutMs * mib),
      });
    },
    get maxBlobBytes() {
      return sync?.maxBlobBytes ?? 0;
    },
    view: () => Promise.resolve(need().view()),
    bodyTimeoutMs: config.bodyTimeoutMs,
  };

  return {
    async open() {
      sync = await SkillSync.open({
        root: syncRoot(config.dataDir),
        loadTrust,
        loadPins,
        accept: config.acceptSkills,
        peers: syncPeers,
        fanout: config.syncFanout,
        emit: options.emit,
        installer: options.installer,
        loadKeyring: options.loadKeyring,
        onRevocations: options.onRevocations,
      });
    },
    round: () => sync?.round() ?? Promise.resolve(),
    view: () => Promise.resolve(sync?.view()),
    routes,
  };
}
