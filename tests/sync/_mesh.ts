/**
 * An in-process mesh of `SkillSync` instances for the sync unit tests: each node has its
 * own store root, peers reach each other through clients that call the other node's
 * methods as the `/sync/*` routes do (envelopes copied as JSON, as on the wire), and a
 * publisher key signs releases of skill directories written on the fly.
 *
 * @module
 */
import { join } from "node:path";
import type { Keyring, Revocation } from "../../lib/security/mod.ts";
import {
  generatePublisherKey,
  makeRelease,
  type Pin,
  type PublisherKey,
  readPublisherKey,
  signRelease,
  SkillSync,
  type SyncEvent,
  type SyncPeer,
  type SyncPeerClient,
  type TrustedPublisher,
} from "../../lib/sync/mod.ts";

/** One node of the mesh. */
export interface MeshNode {
  id: string;
  sync: SkillSync;
  events: SyncEvent[];
  /** Ids of the peers it knows; edit to cut or heal links. */
  peers: string[];
  pins: Pin[];
  trust: TrustedPublisher[];
}

/** A publisher: its key and its trust-store entry. */
export interface Publisher {
  key: PublisherKey;
  trusted: TrustedPublisher;
}

/** Makes a publisher key under `dir`, trusted for `skills` under `name`. */
export async function makePublisher(
  dir: string,
  name: string,
  skills: string[] = ["*"],
): Promise<Publisher> {
  await generatePublisherKey(join(dir, `${name}.key`));
  const key = await readPublisherKey(join(dir, `${name}.key`));
  return {
    key,
    trusted: {
      name,
      keyId: key.keyId,
      key: key.publicJwk,
      skills,
      added: "2026-12-08T00:00:00.000Z",
    },
  };
}

/** A mesh of in-process sync nodes. */
export class SyncMesh {
  readonly nodes = new Map<string, MeshNode>();
  readonly dir: string;
  /** Nodes that are "down": every call to them fails. */
  readonly down = new Set<string>();

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Adds a node; it knows every node added before unless `peers` says otherwise. */
  async add(
    id: string,
    options: {
      accept?: boolean;
      trust?: TrustedPublisher[];
      peers?: string[];
      fanout?: number;
      keyring?: Keyring;
      onRevocations?: (revoked: Revocation[]) => void;
    } = {},
  ): Promise<MeshNode> {
    const node = {
      id,
      events: [] as SyncEvent[],
      peers: options.peers ?? [...this.nodes.keys()],
      pins: [] as Pin[],
      trust: options.trust ?? [],
    } as MeshNode;
    node.sync = await SkillSync.open({
      root: join(this.dir, id),
      loadTrust: () => Promise.resolve(node.trust),
      loadPins: () => Promise.resolve(node.pins),
      accept: options.accept ?? true,
      peers: () => node.peers.filter((p) => this.nodes.has(p)).map((p) => this.peerOf(p, id)),
      fanout: options.fanout ?? 3,
      emit: (event) => node.events.push(event),
      loadKeyring: () => options.keyring,
      onRevocations: options.onRevocations,
    });
    this.nodes.set(id, node);
    return node;
  }

  /** Node `to` as seen by node `from`. */
  peerOf(to: string, from: string): SyncPeer {
    return { id: to, client: this.#client(to, from) };
  }

  #client(to: string, from: string): SyncPeerClient {
    const target = () => {
      if (this.down.has(to)) throw new Error(`Cannot reach ${to}: down`);
      return this.nodes.get(to)!.sync;
    };
    return {
      syncDigests: (root) => {
        const sync = target();
        const mine = sync.root();
        return Promise.resolve(
          root === mine ? { root: mine, same: true } : { root: mine, digests: sync.digests() },
        );
      },
      syncRelease: async (digest) => {
        const envelope = await target().envelope(digest);
        if (envelope === undefined) throw new Error(`${to} holds no release ${digest}`);
        return JSON.parse(JSON.stringify(envelope));
      },
      syncBlob: async (sha256) => {
        const blobs = target().blobs;
        if (!(await blobs.has(sha256))) throw new Error(`${to} holds no file ${sha256}`);
        return await blobs.read(sha256);
      },
      pushRelease: async (envelope) => {
        const sync = target();
        if (this.down.has(from)) throw new Error(`${from} is down`);
        const origin = this.nodes.get(from) ? this.peerOf(from, to) : undefined;
        return await sync.receive(JSON.parse(JSON.stringify(envelope)), from, origin);
      },
    };
  }

  /** Runs `rounds` anti-entropy rounds on every node that is up. */
  async rounds(rounds = 1): Promise<void> {
    for (let i = 0; i < rounds; i++) {
      for (const node of this.nodes.values()) {
        if (!this.down.has(node.id)) await node.sync.round();
      }
    }
  }
}

/** Writes a skill directory `name` at `version` whose script prints `marker`. */
export async function writeSkill(
  dir: string,
  name: string,
  version: string,
  marker = version,
): Promise<string> {
  const skill = join(dir, `${name}-${version}-${marker}`);
  await Deno.mkdir(join(skill, "scripts"), { recursive: true });
  await Deno.writeTextFile(
    join(skill, "SKILL.md"),
    `---\nname: ${name}\ndescription: Echo skill ${name}\ncapabilities: [echo]\nmetadata:\n  version: "${version}"\n---\n# ${name}\n`,
  );
  await Deno.writeTextFile(join(skill, "scripts", "main.py"), `print('{"marker": "${marker}"}')\n`);
  return skill;
}

/**
 * Publishes the skill at `skillDir` on `node` as a publisher would: uploads its files,
 * then hands over the signed release.
 */
export async function publish(
  node: MeshNode,
  publisher: Publisher,
  skillDir: string,
  options: { version?: string; created?: Date } = {},
) {
  const { release, paths } = await makeRelease(skillDir, {
    publisher: publisher.key.keyId,
    version: options.version,
    now: options.created,
  });
  for (const file of release.files) {
    const bytes = await Deno.readFile(paths.get(file.sha256)!);
    await node.sync.blobs.put(bytes, { sha256: file.sha256, size: file.size });
  }
  const envelope = await signRelease(release, publisher.key);
  const outcome = await node.sync.receive(envelope, "publisher");
  return { release, envelope, outcome };
}

/** The installed version of `name` on `node`, or undefined. */
export async function installedVersion(node: MeshNode, name: string) {
  const view = await node.sync.view();
  return view.skills.find((s) => s.name === name)?.installed?.version;
}

/**
 * Waits, up to `timeoutMs`, until `check` holds; returns whether it did. Gossip runs
 * in the background, so tests poll with a bound.
 */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 5_000,
): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return await check();
}
