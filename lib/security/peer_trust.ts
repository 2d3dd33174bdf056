/**
 * Whether a peer may receive credentials (the node's token, a caller's scoped token) and
 * tasks: a pure rule over what the node holds and what the peer has proven.
 *
 * @module
 */

/**
 * How far a peer is trusted:
 * - `open`: this node holds no credential at all, so there is nothing to protect;
 * - `tls`: its certificate chains to the mesh CA (checked against that CA alone);
 * - `token`: it answered the membership challenge over the shared token;
 * - `configured`: a swarm node named by `--peer`, trusted because the operator named it,
 *   on a node that has no way to demand a proof (no shared token, no mesh CA);
 * - `skilllite`: it cannot prove membership (a SkillLite node, or something posing as
 *   one) and the operator opted into SkillLite's trust model (`--allow-skilllite-peers`);
 * - `unproven`: none of these; it gets no credential and no task.
 */
export type PeerTrust = "open" | "tls" | "token" | "configured" | "skilllite" | "unproven";

/** What the membership challenge (`POST /mesh/hello`) found out. */
export type HelloOutcome =
  /** Not tried yet, or the peer could not be reached. */
  | "pending"
  /** A valid proof over the shared token, from the expected node. */
  | "proven"
  /** A swarm node that offered no proof (it holds no shared token). */
  | "no_proof"
  /** A proof that does not verify, or from another node than the one announced. */
  | "refused"
  /** No membership endpoint (401, 404, 405 or not swarm's JSON): a SkillLite-shaped peer. */
  | "unsupported";

/** What this node holds and allows. */
export interface TrustSettings {
  /** Whether the node holds any credential a peer could steal (token, node token, keyring). */
  credentials: boolean;
  /** Whether the node has a shared token to run the challenge with. */
  sharedToken: boolean;
  /** Whether the node has a mesh CA to check https peers' certificates against. */
  meshCa: boolean;
  /** `--allow-skilllite-peers`: peers that cannot prove membership get the token anyway. */
  allowSkillLitePeers: boolean;
}

/** What is known about one peer. */
export interface TrustEvidence {
  /** Whether the peer was named by the operator (`--peer`). */
  configured: boolean;
  /** URL scheme it is reached with. */
  scheme: "http" | "https";
  /** Outcome of the membership challenge. */
  hello: HelloOutcome;
  /** Whether its TLS certificate was verified against the mesh CA alone. */
  tlsVerified: boolean;
}

/** A trust level with the reason, for status and logs. */
export interface TrustDecision {
  /** The level. */
  trust: PeerTrust;
  /** One line saying why. */
  reason: string;
}

/**
 * Decides how far a peer is trusted. Only {@link trusted} levels are sent credentials
 * and tasks.
 *
 * @example
 * ```ts
 * import { peerTrust } from "./peer_trust.ts";
 * const node = { credentials: true, sharedToken: true, meshCa: false, allowSkillLitePeers: false };
 * const spoof = { configured: false, scheme: "http" as const, hello: "unsupported" as const, tlsVerified: false };
 * console.assert(peerTrust(node, spoof).trust === "unproven");
 * console.assert(peerTrust(node, { ...spoof, hello: "proven" }).trust === "token");
 * ```
 */
export function peerTrust(node: TrustSettings, peer: TrustEvidence): TrustDecision {
  if (!node.credentials) {
    return { trust: "open", reason: "This node holds no credential to protect" };
  }
  if (peer.tlsVerified) {
    return { trust: "tls", reason: "Its certificate chains to the mesh CA" };
  }
  if (peer.hello === "proven") {
    return { trust: "token", reason: "It proved knowledge of the shared token" };
  }
  if (peer.hello === "unsupported" && node.allowSkillLitePeers) {
    return {
      trust: "skilllite",
      reason: "It cannot prove membership; trusted on faith (--allow-skilllite-peers)",
    };
  }
  const canDemand = node.sharedToken || (node.meshCa && peer.scheme === "https");
  if (peer.configured && !canDemand && peer.hello === "no_proof") {
    return {
      trust: "configured",
      reason: "Named by --peer; this node has no shared token or mesh CA to demand a proof",
    };
  }
  return { trust: "unproven", reason: unprovenReason(node, peer) };
}

function unprovenReason(node: TrustSettings, peer: TrustEvidence): string {
  switch (peer.hello) {
    case "pending":
      return "Membership not proven yet";
    case "refused":
      return "Its membership proof is wrong (another token, or a relayed challenge)";
    case "unsupported":
      return "It cannot prove membership (a SkillLite node?); --allow-skilllite-peers trusts such peers";
    case "no_proof":
      return node.sharedToken
        ? "It holds no shared token"
        : "No proof possible: give the mesh a shared token or TLS with a mesh CA";
    default:
      return "Membership not proven";
  }
}

/**
 * Whether a trust level may receive credentials and tasks.
 *
 * @example
 * ```ts
 * import { trusted } from "./peer_trust.ts";
 * console.assert(trusted("token") && !trusted("unproven"));
 * ```
 */
export function trusted(trust: PeerTrust | undefined): boolean {
  return trust !== undefined && trust !== "unproven";
}
