/**
 * How a caller's grant travels when its task is forwarded: no hop may widen it.
 *
 * @module
 */
import { SwarmError } from "../protocol/mod.ts";
import type { Grant } from "./grant.ts";
import { checkTask } from "./scope.ts";

/** What a peer looks like to the forwarding rules. */
export interface PeerKind {
  /** Whether the peer is a swarm node (enforces scoped tokens) or a SkillLite node. */
  swarm: boolean;
  /** How it is reached. */
  scheme: "http" | "https";
}

/** Per-task routing rules derived from the caller's grant. */
export interface ForwardingRules {
  /** Refuses tags (given or inferred) outside the caller's scope. */
  authorize: (required: string[]) => void;
  /** Which peers may take the task. */
  peerFilter: (peer: PeerKind) => boolean;
  /**
   * The token sent to `peer`: the caller's scoped token to a swarm node, so it enforces
   * the same scope; undefined (the node's own credential) otherwise.
   */
  credential: (peer: PeerKind) => string | undefined;
}

/** Node settings the rules depend on. */
export interface ForwardingSettings {
  /** Whether tasks of scoped tokens may go to SkillLite peers (which cannot enforce them). */
  forwardScopedToSkilllite: boolean;
}

/**
 * The forwarding rules of one task:
 * - tags inferred for an untagged task must be within the caller's capabilities;
 * - a scoped token is forwarded as is, so every swarm hop verifies it again and
 *   enforces the same scope (the node's own credential would widen it);
 * - a scoped task goes to a SkillLite peer (which knows only the shared token and drops
 *   our headers) only when the operator allowed it, after this node checked the scope.
 *
 * @example
 * ```ts
 * import { forwardingFor } from "./forwarding.ts";
 * const rules = forwardingFor(undefined, { forwardScopedToSkilllite: false });
 * console.assert(rules.peerFilter({ swarm: false, scheme: "http" }));
 * ```
 */
export function forwardingFor(
  grant: Grant | undefined,
  settings: ForwardingSettings,
): ForwardingRules {
  const scoped = grant?.method === "token";
  return {
    authorize: (required) => {
      if (!grant) return;
      const denial = checkTask(grant, { requiredCapabilities: required });
      if (denial) {
        throw new SwarmError("forbidden", denial.message, { missing_scope: denial.scope });
      }
    },
    peerFilter: (peer) => !scoped || peer.swarm || settings.forwardScopedToSkilllite,
    credential: (peer) => scoped && peer.swarm ? grant.token : undefined,
  };
}

/**
 * Whether a node may use `peer` at all: a node serving TLS never sends tasks, probes or
 * tokens to a plain-http peer unless the operator allowed it (`--allow-plain-peers`).
 *
 * @example
 * ```ts
 * import { peerUsable } from "./forwarding.ts";
 * console.assert(!peerUsable({ swarm: true, scheme: "http" }, { tls: true, allowPlainPeers: false }));
 * ```
 */
export function peerUsable(
  peer: PeerKind,
  node: { tls: boolean; allowPlainPeers: boolean },
): boolean {
  return peer.scheme === "https" || !node.tls || node.allowPlainPeers;
}
