/**
 * A node's skill sync at work: receives signed releases (from a publisher or a peer),
 * keeps the verified ones in its release log, spreads them by push gossip and by
 * push-pull anti-entropy with a few peers a round, fetches their files by content
 * address from any peer that has them, and installs what the conflict rules choose.
 * The decisions are the pure functions of this folder; this class only connects them to
 * the stores and to the peers.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { NodeEventData } from "../observability/mod.ts";
import { pickGossipPeers, planExchange } from "./anti_entropy.ts";
import { BlobStore } from "./blob_store.ts";
import { classifyRelease, type ReleaseVerdict } from "./classify_release.ts";
import { openEnvelope } from "./envelope.ts";
import { ReleaseLog } from "./release_log.ts";
import { type InstalledRelease, ReleaseStore } from "./release_store.ts";
import { resolveSkills, type SkillResolution } from "./resolve.ts";
import { SyncRefusalError } from "./sync_refusal_error.ts";
import { isRevocationEnvelope, openRevocations, type VerifiedRevocations } from "./revocation.ts";
import type { Keyring, Revocation } from "../security/mod.ts";
import type {
  Envelope,
  Pin,
  SkillRelease,
  SyncRefusal,
  TrustedPublisher,
  VerifiedRelease,
} from "./types.ts";

/**
 * Installs releases whose files are in the blob store: a `ReleaseStore` in this process
 * ({@link localInstaller}), or, in a node, the main process (the network worker may not
 * make symlinks).
 */
export interface ReleaseInstaller {
  /** The release each installed name points at. */
  installed(): Promise<Map<string, InstalledRelease>>;
  /**
   * Installs `release` from the blob store (atomically; the previous release kept).
   * @throws {SyncRefusalError} When its files or SKILL.md do not match it.
   */
  install(release: SkillRelease): Promise<void>;
}

/**
 * An installer over a `ReleaseStore` under `root`, reading files from `blobs`.
 *
 * @example
 * ```ts ignore
 * const installer = await localInstaller(root, await BlobStore.open(root));
 * await installer.install(release);
 * ```
 */
export async function localInstaller(
  root: string,
  blobs: BlobStore,
  options: { maxSkillBytes?: number; maxFiles?: number } = {},
): Promise<ReleaseInstaller> {
  const store = await ReleaseStore.open(root, options);
  return {
    installed: () => store.installed(),
    install: async (release) => void await store.install(release, blobs),
  };
}

/** What a peer offers to skill sync: the client calls of `lib/client`'s `SwarmClient`. */
export interface SyncPeerClient {
  /** The peer's digest list, or `{root, same: true}` when `root` is still its root. */
  syncDigests(root?: string): Promise<{ root: string; digests?: string[]; same?: boolean }>;
  /** The peer's envelope of one release (unverified). */
  syncRelease(digest: string): Promise<unknown>;
  /** One file by its SHA-256. */
  syncBlob(sha256: string): Promise<ReadableStream<Uint8Array>>;
  /** Hands the peer one envelope. */
  pushRelease(envelope: unknown): Promise<unknown>;
}

/** A peer sync may talk to: trusted, alive and a swarm node. */
export interface SyncPeer {
  /** The peer's node id. */
  id: string;
  /** How to reach it. */
  client: SyncPeerClient;
}

/** What skill sync reports, as node events. */
export type SyncEvent = Extract<
  NodeEventData,
  { type: "skill_release_received" | "skill_refused" | "skill_installed" | "revocations_received" }
>;

/** Options of {@link SkillSync.open}. */
export interface SkillSyncOptions {
  /** The store root, `<dataDir>/sync`. */
  root: string;
  /** Reads the trust store (called every round, so edits apply without a restart). */
  loadTrust: () => Promise<TrustedPublisher[]>;
  /** Reads the node's pins (called every round). */
  loadPins: () => Promise<Pin[]>;
  /** Whether releases are installed (`--accept-skills`); else they are only passed on. */
  accept: boolean;
  /** The peers sync may talk to now. */
  peers: () => SyncPeer[] | Promise<SyncPeer[]>;
  /** Peers pushed to on a new release, and exchanged with per round. */
  fanout: number;
  /** Receives every sync event. */
  emit: (event: SyncEvent) => void;
  /** Called after a release was installed or rolled back (reload the skills). */
  onInstalled?: () => void;
  /**
   * Installs the chosen releases. @default {a `ReleaseStore` under `root` in this process}
   */
  installer?: ReleaseInstaller;
  /** Largest skill, all files together, in bytes. @default {67108864} */
  maxSkillBytes?: number;
  /** Most files of a skill. @default {4096} */
  maxFiles?: number;
  /** Random source of the gossip peer choice. @default {Math.random} */
  random?: () => number;
  /**
   * The node's keyring (public keys suffice), which signs the token revocations that
   * travel with releases; undefined = revocations are refused as untrusted.
   */
  loadKeyring?: () => Keyring | undefined;
  /** Called with every token id revoked by a verified statement, when that set grows. */
  onRevocations?: (revoked: Revocation[]) => void;
}

/** One release as `GET /sync/skills` shows it. */
export interface ReleaseView {
  /** Its SemVer version. */
  version: string;
  /** SkillLite's fingerprint of its files. */
  fingerprint: string;
  /** Its digest (SHA-256 of the signed statement); empty for a release no longer trusted. */
  digest: string;
  /** Trust-store name of its publisher; empty for a release no longer trusted. */
  publisher: string;
}

/** One skill name as `GET /sync/skills` shows it. */
export interface SyncSkillView {
  /** The skill's name. */
  name: string;
  /**
   * `installed`: the chosen release runs; `pending`: chosen, files still arriving;
   * `not_accepted`: this node does not install synced skills; `flagged`: every release
   * is flagged; `none`: nothing chosen (a pin matching nothing, nothing installed).
   */
  state: "installed" | "pending" | "not_accepted" | "flagged" | "none";
  /** The release the node runs, or null. */
  installed: ReleaseView | null;
  /** The release the conflict rules choose, or null. */
  chosen: ReleaseView | null;
  /** The node's pin of the name (`NAME@VERSION` or `NAME@FINGERPRINT`), or null. */
  pin: { spec: string; status: "pinned" | "pin_unmatched" } | null;
  /** With a pin: newer unflagged releases, best first. */
  available: ReleaseView[];
  /** Releases that are never installed, and why (`equivocation`, `malformed`). */
  flagged: Array<{ digest: string; reason: string; version: string }>;
}

/** The answer of `GET /sync/skills`, and the `sync` block of `/status`. */
export interface SyncView {
  /** Whether this node installs synced skills (`--accept-skills`). */
  accept: boolean;
  /** Releases in the release log. */
  releases: number;
  /** The digest-list root peers compare. */
  root: string;
  /** Every skill name with a trusted release or a pin, sorted. */
  skills: SyncSkillView[];
  /** Refusals since start, by reason. */
  refusals: Partial<Record<SyncRefusal, number>>;
  /** The trust store: who may publish which skill names (no keys). */
  trust: Array<{ name: string; keyId: string; skills: string[] }>;
  /** Token revocations received by gossip: signed statements, and the token ids they revoke. */
  revocations: { statements: number; tokens: number };
}

/** What {@link SkillSync.receive} made of an envelope. */
export interface ReceiveOutcome {
  /** The release's digest. */
  digest: string;
  /** What the conflict rules make of it on this node. */
  verdict: ReleaseVerdict;
  /** SHA-256 of the release's files this node lacks (when it installs synced skills). */
  missing: string[];
}

/** Most digests remembered as refused, so a peer's bad release is not fetched each round. */
const MAX_REMEMBERED_REFUSALS = 10_000;
/** Most releases fetched from, and pushed to, one peer in one exchange. */
const EXCHANGE_LIMITS = { maxFetch: 64, maxPush: 64 };
/** Most peers asked for one file before the release waits for the next round. */
const MAX_BLOB_SOURCES = 4;
/** Verdicts that refuse a release (it stays in the log, it is not installed). */
const REFUSING: ReadonlySet<ReleaseVerdict> = new Set(["rollback", "equivocation", "malformed"]);

/** SHA-256 of a sorted digest list: two nodes with equal roots hold the same releases. */
export function digestRoot(digests: readonly string[]): string {
  return createHash("sha256").update(digests.join("\n")).digest("hex");
}

function view(r: VerifiedRelease): ReleaseView {
  const { version, fingerprint } = r.release;
  return { version, fingerprint, digest: r.digest, publisher: r.publisherName };
}

function pinSpec(pin: Pin): string {
  return "version" in pin ? `${pin.name}@${pin.version}` : `${pin.name}@${pin.fingerprint}`;
}

/**
 * A node's skill sync. One per store root; its methods may be called concurrently
 * (HTTP pushes, rounds): changes to the state run one at a time.
 *
 * @example
 * ```ts ignore
 * const sync = await SkillSync.open({ root, loadTrust, loadPins, accept: true,
 *   peers: () => [], fanout: 3, emit: console.log });
 * await sync.receive(envelope, "publisher");
 * await sync.round();
 * ```
 */
export class SkillSync {
  /** The file store, served to peers by content address. */
  readonly blobs: BlobStore;
  readonly #options: SkillSyncOptions;
  readonly #log: ReleaseLog;
  readonly #store: ReleaseInstaller;
  /** Releases of the log that verify against the current trust store, by digest. */
  #verified = new Map<string, VerifiedRelease>();
  #trust: TrustedPublisher[] = [];
  #trustKey = "";
  #pins: Pin[] = [];
  #pinsKey = "[]";
  /** Digests refused, with the reason, so they are not fetched again (reset on trust change). */
  #refused = new Map<string, SyncRefusal>();
  /** Releases that verified but could not be installed (bad content), not retried. */
  #broken = new Map<string, SyncRefusal>();
  /** Last digest list seen of each peer. */
  #peerDigests = new Map<string, { root: string; digests: string[] }>();
  /** Digests a peer refused, not pushed to it again. */
  #peerRefused = new Map<string, Set<string>>();
  #refusals: Partial<Record<SyncRefusal, number>> = {};
  #installed = new Map<string, { fingerprint: string; version?: string }>();
  /** Token revocation statements of the log that verify against the keyring, by digest. */
  #revocations = new Map<string, VerifiedRevocations>();
  #keyringKey = "";
  #serial: Promise<unknown> = Promise.resolve();

  private constructor(
    options: SkillSyncOptions,
    log: ReleaseLog,
    blobs: BlobStore,
    store: ReleaseInstaller,
  ) {
    this.#options = options;
    this.#log = log;
    this.blobs = blobs;
    this.#store = store;
  }

  /**
   * Opens the stores under `options.root` (sweeping what a crash left), reads the trust
   * store and the pins, and verifies the releases of the log against the trust store.
   */
  static async open(options: SkillSyncOptions): Promise<SkillSync> {
    await Deno.mkdir(options.root, { recursive: true, mode: 0o700 });
    const log = await ReleaseLog.open(options.root);
    const blobs = await BlobStore.open(options.root);
    const store = options.installer ??
      await localInstaller(options.root, blobs, {
        maxSkillBytes: options.maxSkillBytes,
        maxFiles: options.maxFiles,
      });
    const sync = new SkillSync(options, log, blobs, store);
    sync.#installed = await store.installed();
    await sync.#refresh(true);
    return sync;
  }

  /** The directory of installed skills, `<root>/skills`, for the skill loader. */
  get skillsDir(): string {
    return join(this.#options.root, "skills");
  }

  /** The digests of the release log, sorted. */
  digests(): string[] {
    return this.#log.digests();
  }

  /** The root of {@link digests}. */
  root(): string {
    return digestRoot(this.#log.digests());
  }

  /** The envelope of release `digest`, or undefined when the log does not hold it. */
  envelope(digest: string): Promise<Envelope | undefined> {
    return this.#log.get(digest);
  }

  /**
   * Whether a file with this SHA-256 may be uploaded: a publisher hands the files of a
   * release before the release itself, so any address is accepted, within the size
   * limit of one skill.
   */
  get maxBlobBytes(): number {
    return this.#options.maxSkillBytes ?? 64 * 1024 * 1024;
  }

  /**
   * Takes one envelope: verifies it against the trust store, keeps it in the release
   * log, reports it, installs what the rules now choose (fetching files from `origin`
   * first) and pushes it on to a few peers.
   *
   * @param envelope The envelope as received (unverified).
   * @param from `publisher` or the id of the peer that sent it.
   * @param origin The peer to fetch its files from first.
   * @throws {SyncRefusalError} When it does not verify (unsigned, untrusted, …); the
   * refusal is reported first.
   */
  async receive(envelope: unknown, from: string, origin?: SyncPeer): Promise<ReceiveOutcome> {
    if (isRevocationEnvelope(envelope)) return await this.#receiveRevocations(envelope, from);
    let verified: VerifiedRelease;
    try {
      verified = await openEnvelope(envelope, this.#trust);
    } catch (err) {
      if (err instanceof SyncRefusalError) this.#refuse(err.reason, err.message, from);
      throw err;
    }
    const outcome = await this.#exclusive(async () => {
      if (this.#verified.has(verified.digest)) {
        return { verdict: "duplicate" as const, fresh: false };
      }
      const verdict = classifyRelease(verified, {
        known: [...this.#verified.values()],
        pins: this.#pins,
        installed: this.#installedReleases(),
      });
      await this.#log.add(verified.digest, verified.envelope);
      this.#verified.set(verified.digest, verified);
      const { name, version } = verified.release;
      this.#options.emit({
        type: "skill_release_received",
        name,
        version,
        digest: verified.digest,
        publisher: verified.publisherName,
        verdict,
        from,
      });
      if (REFUSING.has(verdict)) {
        const reason = verdict as SyncRefusal;
        this.#refuse(reason, refusalMessage(reason, verified), from, verified);
      }
      await this.#reconcile(origin ? [origin] : []);
      return { verdict, fresh: true };
    });
    if (outcome.fresh) this.#gossip(verified.envelope, from);
    return {
      digest: verified.digest,
      verdict: outcome.verdict,
      missing: this.#options.accept ? await this.#missing(verified) : [],
    };
  }

  /** Takes a token revocation statement: verified against the keyring, kept, spread. */
  async #receiveRevocations(envelope: unknown, from: string): Promise<ReceiveOutcome> {
    let verified: VerifiedRevocations;
    try {
      verified = await openRevocations(envelope, this.#options.loadKeyring?.());
    } catch (err) {
      if (err instanceof SyncRefusalError) this.#refuse(err.reason, err.message, from);
      throw err;
    }
    const fresh = await this.#exclusive(async () => {
      if (this.#revocations.has(verified.digest)) return false;
      await this.#log.add(verified.digest, verified.envelope);
      this.#revocations.set(verified.digest, verified);
      this.#options.emit({
        type: "revocations_received",
        digest: verified.digest,
        kid: verified.kid,
        revoked: verified.revoked.length,
        from,
      });
      this.#announceRevocations();
      return true;
    });
    if (fresh) this.#gossip(verified.envelope, from);
    return { digest: verified.digest, verdict: fresh ? "accepted" : "duplicate", missing: [] };
  }

  /** Every token id revoked by a verified statement, once each. */
  #revokedTokens(): Revocation[] {
    const byJti = new Map<string, Revocation>();
    for (const statement of this.#revocations.values()) {
      for (const r of statement.revoked) if (!byJti.has(r.jti)) byJti.set(r.jti, r);
    }
    return [...byJti.values()];
  }

  #announceRevocations(): void {
    this.#options.onRevocations?.(this.#revokedTokens());
  }

  /**
   * One anti-entropy round: re-reads the trust store and the pins, exchanges digest
   * lists with up to `fanout` random peers (fetching what only they hold, pushing what
   * only this node holds), then installs what is still pending.
   */
  async round(): Promise<void> {
    await this.#exclusive(() => this.#refresh(false));
    const peers = pickGossipPeers(
      await this.#options.peers(),
      this.#options.fanout,
      this.#options.random,
    );
    await Promise.all(peers.map((peer) => this.exchange(peer).catch(() => {})));
    await this.#exclusive(() => this.#reconcile(peers));
  }

  /** Push-pull with one peer: digest lists compared, the differences moved (bounded). */
  async exchange(peer: SyncPeer): Promise<void> {
    const known = this.#peerDigests.get(peer.id);
    const answer = await peer.client.syncDigests(known?.root);
    let theirs: string[];
    if (answer.same && known) {
      theirs = known.digests;
    } else {
      theirs = answer.digests ?? [];
      this.#peerDigests.set(peer.id, { root: answer.root, digests: theirs });
    }
    const refusedByPeer = this.#peerRefused.get(peer.id) ?? new Set<string>();
    const plan = planExchange(
      this.#log.digests(),
      theirs.filter((d) => !this.#refused.has(d)),
      EXCHANGE_LIMITS,
    );
    for (const digest of plan.fetch) {
      const envelope = await peer.client.syncRelease(digest).catch(() => undefined);
      if (envelope === undefined) continue;
      await this.receive(envelope, peer.id, peer).catch((err) => {
        if (err instanceof SyncRefusalError) this.#remember(digest, err.reason);
      });
    }
    for (const digest of plan.push.filter((d) => !refusedByPeer.has(d))) {
      const envelope = await this.#log.get(digest);
      if (envelope === undefined) continue;
      await peer.client.pushRelease(envelope).catch(() => {
        refusedByPeer.add(digest);
        this.#peerRefused.set(peer.id, refusedByPeer);
      });
    }
  }

  /** Operator rollback is a pin (see `rollbackPin`); this re-reads pins and applies them now. */
  async apply(): Promise<void> {
    await this.#exclusive(async () => {
      await this.#refresh(false);
      await this.#reconcile(await this.#options.peers());
    });
  }

  /** The state `GET /sync/skills` and `/status` show. */
  view(): SyncView {
    const resolutions = this.#resolve();
    const skills = resolutions.map((r) => this.#skillView(r));
    return {
      accept: this.#options.accept,
      releases: this.#log.digests().length,
      root: this.root(),
      skills,
      refusals: { ...this.#refusals },
      trust: this.#trust.map(({ name, keyId, skills }) => ({ name, keyId, skills })),
      revocations: {
        statements: this.#revocations.size,
        tokens: this.#revokedTokens().length,
      },
    };
  }

  #skillView(r: SkillResolution): SyncSkillView {
    const current = this.#installed.get(r.name);
    const installedRelease = current
      ? [...this.#verified.values()].find((v) =>
        v.release.name === r.name && v.release.fingerprint === current.fingerprint
      )
      : undefined;
    const installed: ReleaseView | null = current
      ? installedRelease ? view(installedRelease) : {
        version: current.version ?? "",
        fingerprint: current.fingerprint,
        digest: "",
        publisher: "",
      }
      : null;
    const chosen = r.install ? view(r.install) : null;
    let state: SyncSkillView["state"];
    if (!this.#options.accept) state = "not_accepted";
    else if (chosen && installed?.fingerprint === chosen.fingerprint) state = "installed";
    else if (chosen) state = "pending";
    else if (r.flagged.length > 0 && !installed) state = "flagged";
    else state = installed ? "installed" : "none";
    const versionOf = (digest: string) => this.#verified.get(digest)?.release.version ?? "";
    return {
      name: r.name,
      state,
      installed,
      chosen,
      pin: r.pin ? { spec: pinSpec(r.pin.pin), status: r.pin.status } : null,
      available: r.available.map(view),
      flagged: r.flagged.map((f) => ({ ...f, version: versionOf(f.digest) })),
    };
  }

  /** Runs `work` after every change under way, one at a time. */
  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#serial.then(work, work);
    this.#serial = next.catch(() => {});
    return next;
  }

  /** Re-reads trust and pins; on a trust change re-verifies the whole log. */
  async #refresh(force: boolean): Promise<void> {
    const trust = await this.#options.loadTrust();
    const trustKey = JSON.stringify(trust);
    const keyring = this.#options.loadKeyring?.();
    const keyringKey = keyring === undefined
      ? ""
      : JSON.stringify([keyring.audience, keyring.keys.map((k) => [k.kid, k.publicJwk.x])]);
    if (force || trustKey !== this.#trustKey || keyringKey !== this.#keyringKey) {
      this.#trust = trust;
      this.#trustKey = trustKey;
      this.#keyringKey = keyringKey;
      this.#refused.clear();
      this.#peerRefused.clear();
      const verified = new Map<string, VerifiedRelease>();
      const revocations = new Map<string, VerifiedRevocations>();
      for (const digest of this.#log.digests()) {
        const envelope = await this.#log.get(digest);
        try {
          if (isRevocationEnvelope(envelope)) {
            const statement = await openRevocations(envelope, keyring);
            revocations.set(statement.digest, statement);
          } else {
            const release = await openEnvelope(envelope, trust);
            verified.set(release.digest, release);
          }
        } catch {
          // Kept in the log (it never shrinks); not used while its signer is untrusted.
        }
      }
      this.#verified = verified;
      const grew = revocations.size !== this.#revocations.size;
      this.#revocations = revocations;
      if (grew || force) this.#announceRevocations();
    }
    const pins = await this.#options.loadPins();
    const pinsKey = JSON.stringify(pins);
    if (pinsKey !== this.#pinsKey) {
      this.#pins = pins;
      this.#pinsKey = pinsKey;
    }
  }

  #installedReleases(): VerifiedRelease[] {
    const out: VerifiedRelease[] = [];
    for (const [name, current] of this.#installed) {
      const match = [...this.#verified.values()].find((v) =>
        v.release.name === name && v.release.fingerprint === current.fingerprint
      );
      if (match) out.push(match);
    }
    return out;
  }

  #resolve(): SkillResolution[] {
    const usable = [...this.#verified.values()].filter((r) => !this.#broken.has(r.digest));
    return resolveSkills(usable, { pins: this.#pins, installed: this.#installedReleases() });
  }

  /** Installs every chosen release that is not installed yet, when its files can be had. */
  async #reconcile(sources: SyncPeer[]): Promise<void> {
    if (!this.#options.accept) return;
    let changed = false;
    for (const resolution of this.#resolve()) {
      const chosen = resolution.install;
      if (chosen === null) continue;
      const current = this.#installed.get(resolution.name);
      if (current?.fingerprint === chosen.release.fingerprint) continue;
      if (!(await this.#fetchFiles(chosen, sources))) continue;
      try {
        await this.#store.install(chosen.release);
      } catch (err) {
        if (!(err instanceof SyncRefusalError)) throw err;
        this.#broken.set(chosen.digest, err.reason);
        this.#refuse(err.reason, err.message, "install", chosen);
        continue;
      }
      this.#installed = await this.#store.installed();
      changed = true;
      this.#options.emit({
        type: "skill_installed",
        name: chosen.release.name,
        version: chosen.release.version,
        fingerprint: chosen.release.fingerprint,
        digest: chosen.digest,
        previous: current?.fingerprint ?? null,
      });
    }
    if (changed) this.#options.onInstalled?.();
  }

  async #missing(release: VerifiedRelease): Promise<string[]> {
    const missing = new Set<string>();
    for (const file of release.release.files) {
      if (!(await this.blobs.has(file.sha256))) missing.add(file.sha256);
    }
    return [...missing].sort();
  }

  /** Fetches the files of `release` this node lacks; false when one could not be had. */
  async #fetchFiles(release: VerifiedRelease, sources: SyncPeer[]): Promise<boolean> {
    const missing = await this.#missing(release);
    if (missing.length === 0) return true;
    const total = release.release.files.reduce((sum, f) => sum + f.size, 0);
    if (total > this.maxBlobBytes) {
      this.#broken.set(release.digest, "oversize");
      this.#refuse(
        "oversize",
        `Skill ${release.release.name}@${release.release.version} is ${total} bytes, over the limit of ${this.maxBlobBytes}`,
        "install",
        release,
      );
      return false;
    }
    const sizes = new Map(release.release.files.map((f) => [f.sha256, f.size]));
    const others = (await this.#options.peers()).filter((p) => !sources.some((s) => s.id === p.id));
    const candidates = [
      ...sources,
      ...pickGossipPeers(others, MAX_BLOB_SOURCES, this.#options.random),
    ].slice(0, MAX_BLOB_SOURCES);
    for (const sha256 of missing) {
      let got = false;
      for (const peer of candidates) {
        try {
          const stream = await peer.client.syncBlob(sha256);
          await this.blobs.put(stream, {
            sha256,
            size: sizes.get(sha256)!,
            maxBytes: this.maxBlobBytes,
          });
          got = true;
          break;
        } catch (err) {
          if (err instanceof SyncRefusalError) {
            this.#refuse(
              err.reason,
              `File ${sha256} from ${peer.id}: ${err.message}`,
              peer.id,
              release,
            );
          }
        }
      }
      if (!got) return false;
    }
    return true;
  }

  /** Pushes a new statement to a few peers, not back to where it came from. */
  #gossip(envelope: Envelope, from: string): void {
    Promise.resolve(this.#options.peers()).then((all) => {
      const peers = pickGossipPeers(
        all.filter((p) => p.id !== from),
        this.#options.fanout,
        this.#options.random,
      );
      for (const peer of peers) peer.client.pushRelease(envelope).catch(() => {});
    }).catch(() => {});
  }

  #remember(digest: string, reason: SyncRefusal): void {
    if (this.#refused.size >= MAX_REMEMBERED_REFUSALS) {
      this.#refused.delete(this.#refused.keys().next().value!);
    }
    this.#refused.set(digest, reason);
  }

  #refuse(reason: SyncRefusal, message: string, from: string, release?: VerifiedRelease): void {
    this.#refusals[reason] = (this.#refusals[reason] ?? 0) + 1;
    this.#options.emit({
      type: "skill_refused",
      reason,
      message,
      from,
      ...(release
        ? {
          name: release.release.name,
          version: release.release.version,
          digest: release.digest,
        }
        : {}),
    });
  }
}

function refusalMessage(reason: SyncRefusal, r: VerifiedRelease): string {
  const what = `${r.release.name}@${r.release.version} by ${r.publisherName}`;
  switch (reason) {
    case "rollback":
      return `Release ${what} is older than the version this node runs: kept in the release log, not installed (an operator may run 'swarm skill rollback')`;
    case "equivocation":
      return `Release ${what} has the version of another release by the same publisher with other content: neither is installed`;
    default:
      return `Release ${what} has a version that is not SemVer 2.0: kept, never installed`;
  }
}

/** The store root of a node's skill sync: `<dataDir>/sync`. */
export function syncRoot(dataDir: string): string {
  return join(dataDir, "sync");
}
