/**
 * What an authenticated caller may do: the outcome of authentication, the input of
 * every authorization check.
 *
 * @module
 */

/**
 * An action a credential may allow. `task`: submit tasks (`POST /task`). `read`: read
 * status, capabilities, events and metrics. `publish`: publish skills (skill sync).
 * `admin`: everything, including the other three.
 */
export type Action = "task" | "read" | "publish" | "admin";

/** Every action, in the order they are listed in help texts and tokens. */
export const ACTIONS: readonly Action[] = ["task", "read", "publish", "admin"];

/** The wildcard of a capability or skill list: any capability, any skill. */
export const ANY = "*";

/** How a caller proved who it is. */
export type AuthMethod =
  /** Nothing was asked: the node has no authentication configured (loopback default). */
  | "open"
  /** The shared SkillLite bearer token (`SKILLLITE_SWARM_TOKEN`): full scope. */
  | "shared-secret"
  /** A signed scoped token (JWT) verified against the keyring. */
  | "token"
  /** A client certificate verified against `--tls-client-ca`, with no token. */
  | "client-cert";

/** The identity of a client certificate verified by mTLS. */
export interface ClientCertificate {
  /** The certificate's subject common name. */
  commonName: string;
  /** SHA-256 fingerprint of the DER certificate, colon-separated upper-case hex. */
  fingerprint256: string;
}

/** What one authenticated caller may do. */
export interface Grant {
  /** How the caller authenticated. */
  method: AuthMethod;
  /** Who the caller is: the token's `sub`, the certificate's CN, or a fixed name. */
  subject: string;
  /** The token id (`jti`) when the caller used a scoped token. */
  tokenId?: string;
  /** Actions allowed. `admin` implies every other action. */
  actions: readonly Action[];
  /** Capability tags tasks may require; `["*"]` = any. */
  capabilities: readonly string[];
  /** Skills tasks may run; `["*"]` = any. */
  skills: readonly string[];
  /** Expiry of the credential, in ms since the epoch, when it has one. */
  expiresAtMs?: number;
  /** The verified client certificate, when the request came over mTLS. */
  clientCert?: ClientCertificate;
  /** The raw scoped token, kept so a forwarded task carries the caller's own token. */
  token?: string;
}

/**
 * A grant with no limits, for the shared secret, an open node and trusted client
 * certificates.
 *
 * @example
 * ```ts
 * import { fullGrant } from "./grant.ts";
 * console.assert(fullGrant("open", "anonymous").actions.includes("admin"));
 * ```
 */
export function fullGrant(method: AuthMethod, subject: string): Grant {
  return { method, subject, actions: ["admin"], capabilities: [ANY], skills: [ANY] };
}
