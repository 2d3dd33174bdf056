/**
 * Runs the membership proofs of every peer in the background (the challenge over the
 * shared token, or a TLS handshake against the mesh CA) and keeps their outcomes, so
 * routing and the static source can tell which peers may receive credentials. Nothing
 * it sends is a credential.
 *
 * @module
 */
import {
  HELLO_PATH,
  HELLO_VERSION,
  type HelloOutcome,
  type HelloRequest,
  MAX_HELLO_BYTES,
  newNonce,
  parseHelloAnswer,
  peerTrust,
  provePeerTls,
  type TrustDecision,
  type TrustSettings,
  verifyHelloAnswer,
} from "../security/mod.ts";
import type { Peer } from "../routing/mod.ts";
import { readLimitedText } from "../client/mod.ts";
import { SwarmError } from "../protocol/mod.ts";
import { type Clock, type Repeater, repeatEvery, systemClock } from "../time/mod.ts";

/** What the checker found out about one address. */
export interface MembershipEvidence {
  /** Outcome of the challenge. */
  hello: HelloOutcome;
  /** Whether the certificate was verified against the mesh CA alone. */
  tlsVerified: boolean;
  /** Node id the peer answered with, when it answered. */
  nodeId?: string;
}

/** Options of {@link MembershipChecker}. */
export interface MembershipCheckerOptions {
  /** This node's id, sent in challenges. */
  selfId: string;
  /** The peers to prove, read at every tick. */
  peers: () => Promise<Peer[]>;
  /** What this node holds, read per decision (keys and tokens reload live). */
  settings: () => TrustSettings;
  /** The shared token, read per challenge; undefined = challenges are not verified. */
  token: () => string | undefined;
  /** PEM material for the TLS proof: the mesh CA, and this node's own certificate. */
  tls: () => { ca?: string; cert?: string; key?: string };
  /** The fetch to send challenges with (TLS settings of the node). */
  fetch: typeof fetch;
  /** Time limit of one proof, in milliseconds. */
  timeoutMs: number;
  /** How long a settled outcome holds before it is proven again, in milliseconds. */
  recheckMs: number;
  /** How long to wait before retrying a peer that could not be reached, in milliseconds. */
  retryMs: number;
  /** Told when a peer's trust changes. */
  onChange?: (peer: Peer, decision: TrustDecision) => void;
  /** Where the age of outcomes and the pace of background proofs come from. @default {systemClock} */
  clock?: Clock;
}

interface Entry {
  evidence: MembershipEvidence;
  atMs: number;
}

/** How often the checker looks for peers to prove, in milliseconds. */
const TICK_MS = 100;

/** Keys a proof by everything it binds: scheme, address and announced id. */
function keyOf(peer: Pick<Peer, "scheme" | "address">, expectedId?: string): string {
  return `${peer.scheme}://${peer.address}#${expectedId ?? ""}`;
}

/** Proves peers' mesh membership and remembers the outcomes. */
export class MembershipChecker {
  readonly #options: MembershipCheckerOptions;
  readonly #clock: Clock;
  readonly #entries = new Map<string, Entry>();
  readonly #running = new Map<string, Promise<MembershipEvidence>>();
  readonly #trust = new Map<string, TrustDecision["trust"]>();
  #loop: Repeater | undefined;
  #stopped = false;

  /** Creates a checker; {@link MembershipChecker.start} begins background proofs. */
  constructor(options: MembershipCheckerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** Starts proving the peers of the table in the background. */
  start(): void {
    this.#loop = repeatEvery(TICK_MS, async () => {
      for (const peer of await this.#options.peers()) {
        void this.evidence(peer, peer.swarm ? peer.id : undefined).then(() => {
          if (this.#stopped) return;
          const decision = this.decide(peer);
          if (this.#trust.get(peer.id) !== decision.trust) {
            this.#trust.set(peer.id, decision.trust);
            this.#options.onChange?.(peer, decision);
          }
        });
      }
    }, this.#clock);
  }

  /** Stops background proofs. */
  stop(): void {
    this.#stopped = true;
    this.#loop?.stop();
  }

  /**
   * The evidence about `peer`, proving it first when nothing fresh is known. When
   * `expectedId` is given, a proof from another node id is refused (an intruder that
   * announces a real node's id and relays the challenge to it).
   */
  evidence(
    peer: Pick<Peer, "scheme" | "address">,
    expectedId?: string,
  ): Promise<MembershipEvidence> {
    const key = keyOf(peer, expectedId);
    const entry = this.#entries.get(key);
    const now = this.#clock.now();
    if (entry) {
      const ttl = entry.evidence.hello === "pending" && !entry.evidence.tlsVerified
        ? this.#options.retryMs
        : this.#options.recheckMs;
      if (now - entry.atMs < ttl) return Promise.resolve(entry.evidence);
    }
    let running = this.#running.get(key);
    if (!running) {
      running = this.#prove(peer, expectedId)
        .then((evidence) => {
          this.#entries.set(key, { evidence, atMs: this.#clock.now() });
          return evidence;
        })
        .finally(() => this.#running.delete(key));
      this.#running.set(key, running);
    }
    // A peer proven earlier stays proven while it is proven again.
    return entry ? Promise.resolve(entry.evidence) : running;
  }

  /** The trust decision about `peer` from what is known now (nothing known: pending). */
  decide(peer: Peer): TrustDecision {
    const evidence = this.#known(peer) ?? { hello: "pending", tlsVerified: false };
    return this.#decision(evidence, peer.scheme, peer.sources.includes("static"));
  }

  /**
   * Proves a `--peer` seed, known only by its address until its status is read, and
   * decides its trust: the node's token goes to it only when this is trusted.
   */
  async proveSeed(seed: Pick<Peer, "scheme" | "address">): Promise<TrustDecision> {
    return this.#decision(await this.evidence(seed), seed.scheme, true);
  }

  #decision(
    evidence: MembershipEvidence,
    scheme: Peer["scheme"],
    configured: boolean,
  ): TrustDecision {
    return peerTrust(this.#options.settings(), {
      configured,
      scheme,
      hello: evidence.hello,
      tlsVerified: evidence.tlsVerified,
    });
  }

  /**
   * The peers with their trust applied, proving first those never proven (bounded by
   * the proof time limit): a peer that has just joined is routable as soon as it proves.
   */
  async annotateProven(peers: Peer[]): Promise<Peer[]> {
    await Promise.all(
      peers.filter((peer) => this.#known(peer) === undefined).map((peer) =>
        this.evidence(peer, peer.swarm ? peer.id : undefined)
      ),
    );
    return this.annotate(peers);
  }

  /** The peers with their trust and its reason applied. */
  annotate(peers: Peer[]): Peer[] {
    return peers.map((peer) => {
      const { trust, reason } = this.decide(peer);
      return { ...peer, trust, trustReason: reason };
    });
  }

  /**
   * What is known of `peer`: the proof bound to its id, or one made before its id was
   * known (a `--peer` seed is proven before its status is read) that answered that id.
   */
  #known(peer: Peer): MembershipEvidence | undefined {
    if (!peer.swarm) return this.#entries.get(keyOf(peer))?.evidence;
    const bound = this.#entries.get(keyOf(peer, peer.id))?.evidence;
    if (bound) return bound;
    const unbound = this.#entries.get(keyOf(peer))?.evidence;
    return unbound?.nodeId === peer.id ? unbound : undefined;
  }

  async #prove(
    peer: Pick<Peer, "scheme" | "address">,
    expectedId?: string,
  ): Promise<MembershipEvidence> {
    const { ca, cert, key } = this.#options.tls();
    const settings = this.#options.settings();
    const [hello, tlsVerified] = await Promise.all([
      this.#hello(peer, expectedId),
      peer.scheme === "https" && ca && settings.meshCa
        ? provePeerTls(peer.address, { ca, cert, key, timeoutMs: this.#options.timeoutMs })
        : Promise.resolve(false),
    ]);
    return { ...hello, tlsVerified };
  }

  async #hello(
    peer: Pick<Peer, "scheme" | "address">,
    expectedId?: string,
  ): Promise<Omit<MembershipEvidence, "tlsVerified">> {
    const request: HelloRequest = {
      v: HELLO_VERSION,
      node_id: this.#options.selfId,
      nonce: newNonce(),
      target: peer.address,
    };
    let response: Response;
    try {
      response = await this.#options.fetch(`${peer.scheme}://${peer.address}${HELLO_PATH}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(request),
        redirect: "manual",
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
    } catch {
      return { hello: "pending" };
    }
    // No such route (SkillLite), or an older swarm that guards every route with the token.
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {});
      return { hello: [401, 404, 405].includes(response.status) ? "unsupported" : "refused" };
    }
    let text: string;
    try {
      text = await readLimitedText(response, `${peer.scheme}://${peer.address}`, {
        maxBytes: MAX_HELLO_BYTES,
        what: "Membership answer",
      });
    } catch (err) {
      // Over the limit: no honest node answers that. Cut short: try again later.
      return { hello: err instanceof SwarmError ? "refused" : "pending" };
    }
    let answer;
    try {
      answer = parseHelloAnswer(JSON.parse(text));
    } catch {
      // A 200 that is not swarm's answer: some other HTTP service.
      return { hello: "unsupported" };
    }
    const nodeId = answer.node_id;
    if (expectedId !== undefined && nodeId !== expectedId) return { hello: "refused", nodeId };
    if (answer.proof === null) return { hello: "no_proof", nodeId };
    const token = this.#options.token();
    if (token === undefined) return { hello: "no_proof", nodeId };
    const ok = await verifyHelloAnswer(token, request, answer);
    return { hello: ok ? "proven" : "refused", nodeId };
  }
}
