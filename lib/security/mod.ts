/**
 * Who may do what: grants and their scope checks, signed scoped tokens and their
 * keyring (rotation, revocation), the mesh's certificates, forwarding rules and the
 * per-client rate limiter.
 *
 * @example
 * ```ts
 * import { checkTask, fullGrant } from "./mod.ts";
 * console.assert(checkTask(fullGrant("shared-secret", "shared-token"), { requiredCapabilities: ["gpu"] }) === null);
 * ```
 *
 * @module
 */
export {
  type Action,
  ACTIONS,
  ANY,
  type AuthMethod,
  type ClientCertificate,
  fullGrant,
  type Grant,
} from "./grant.ts";
export {
  AGENT_SKILL_NAME,
  allows,
  checkSkill,
  checkTask,
  type Denial,
  isWithin,
  narrowestOf,
  type SkillScopeRequest,
  type TaskScopeRequest,
} from "./scope.ts";
export {
  createKeyring,
  type Ed25519PrivateJwk,
  type Ed25519PublicJwk,
  type Keyring,
  KeyringError,
  type KeyringKey,
  parseKeyring,
  type Revocation,
  serializeKeyring,
  type TokenRecord,
} from "./keyring.ts";
export {
  activateKey,
  addKey,
  type AddKeyOptions,
  type KeyPairJwk,
  type KeyState,
  keyState,
  publicView,
  recordToken,
  retireKey,
  revokeToken,
} from "./keyring_ops.ts";
export { readKeyring, updateKeyring, writeKeyring } from "./keyring_file.ts";
export { generateKeyPair, keyId, randomAudience } from "./keyring_keygen.ts";
export {
  type IssuedToken,
  issueToken,
  type IssueTokenOptions,
  MAX_TOKEN_TTL_MS,
  type TokenClaims,
} from "./token_issue.ts";
export {
  createVerifier,
  DEFAULT_MAX_TOKEN_LIFETIME_MS,
  looksLikeJwt,
  TokenError,
  type TokenRefusal,
  type TokenVerifier,
  type VerifierOptions,
  verifyToken,
} from "./token_verify.ts";
export { keyringVerifier, type KeyringVerifierOptions } from "./keyring_verifier.ts";
export {
  type CertificateAndKey,
  type CertificateInfo,
  type CertificateUsage,
  checkCommonName,
  checkDnsName,
  checkIpAddress,
  checkValidDays,
  createMeshCa,
  DEFAULT_CA_DAYS,
  DEFAULT_CA_NAME,
  DEFAULT_CERT_DAYS,
  describeCertificate,
  issueCertificate,
  type IssueCertificateOptions,
  keyMatchesCertificate,
  MAX_VALID_DAYS,
  type MeshCaOptions,
  parsePemCertificates,
} from "./certificates.ts";
export {
  forwardingFor,
  type ForwardingRules,
  type ForwardingSettings,
  type PeerKind,
  peerUsable,
} from "./forwarding.ts";
export { RateLimiter, type RateLimiterOptions, type TakeResult } from "./token_bucket.ts";
export { rateKey } from "./rate_key.ts";
export { hostAllowed, type HostCheckOptions, hostName, isLoopbackName } from "./host_check.ts";
export {
  HELLO_PATH,
  HELLO_VERSION,
  type HelloAnswer,
  helloProof,
  type HelloRequest,
  MAX_HELLO_BYTES,
  newNonce,
  type OwnAddresses,
  parseHelloAnswer,
  parseHelloRequest,
  targetIsOwn,
  verifyHelloAnswer,
} from "./membership.ts";
export {
  type HelloOutcome,
  type PeerTrust,
  peerTrust,
  type TrustDecision,
  trusted,
  type TrustEvidence,
  type TrustSettings,
} from "./peer_trust.ts";
export * from "./certificate_files.ts";
export * from "./membership_tls.ts";
