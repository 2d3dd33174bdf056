/**
 * The mutants of the mutation check (`tests/mutation/run.ts`): each replaces one
 * security-critical decision with an "allow everything" version, and the test files it
 * names must then fail. Each `find` must occur exactly once in its file
 * (`mutants_test.ts` holds the normal suite to that), so a refactor that moves a
 * decision turns the suite red until the mutant follows it.
 *
 * Keep `tests` to the fast unit tests that pin the decision; a mutant that only an
 * end-to-end file kills is a gap in the unit tests.
 *
 * @module
 */

/** One mutant: where, what it breaks, and which tests must notice. */
export interface Mutant {
  /** Stable id, kebab-case: the decision and how it is broken. */
  id: string;
  /** The mutated file, relative to the repository root. */
  file: string;
  /** What the mutant lets through, in one sentence. */
  description: string;
  /** The exact source text replaced; must occur exactly once in `file`. */
  find: string;
  /** The "allow everything" replacement; it must type-check. */
  replace: string;
  /** Test files (relative to the root) of which at least one must fail with the mutant. */
  tests: string[];
}

const TOKEN_TESTS = ["tests/security/token_verify_test.ts"];
const AUTH_TESTS = ["tests/http/middleware/auth_test.ts"];
const SCOPE_TESTS = ["tests/security/scope_test.ts"];

/** Every mutant, grouped by decision. */
export const MUTANTS: readonly Mutant[] = [
  // Token verification (lib/security/token_verify.ts).
  {
    id: "token-signature-unchecked",
    file: "lib/security/token_verify.ts",
    description: "verifyToken() decodes the claims without checking signature, audience or times",
    find: "({ payload } = await jwtVerify(token, key, {",
    replace:
      '({ payload } = await (async (t: string, ..._: unknown[]) => ({ payload: (await import("jose")).decodeJwt(t) }))(token, key, {',
    tests: TOKEN_TESTS,
  },
  {
    id: "token-times-unchecked",
    file: "lib/security/token_verify.ts",
    description: "verifyToken() accepts expired and not-yet-valid tokens",
    find: "clockTolerance: CLOCK_TOLERANCE_S,",
    replace: "clockTolerance: Number.MAX_SAFE_INTEGER,",
    tests: TOKEN_TESTS,
  },
  {
    id: "token-audience-unchecked",
    file: "lib/security/token_verify.ts",
    description: "verifyToken() accepts a token of another mesh",
    find: "audience: verifier.audience,",
    replace: "audience: undefined,",
    tests: TOKEN_TESTS,
  },
  {
    id: "token-revocation-ignored",
    file: "lib/security/token_verify.ts",
    description: "verifyToken() accepts a revoked token",
    find: "if (verifier.revoked.has(grant.tokenId!)) {",
    replace: "if (false as boolean) {",
    tests: TOKEN_TESTS,
  },
  {
    id: "token-lifetime-unbounded",
    file: "lib/security/token_verify.ts",
    description: "verifyToken() accepts a token living longer than the node's maximum",
    find: "if (!(lifetimeS <= maxLifetimeS)) {",
    replace: "if (false as boolean) {",
    tests: TOKEN_TESTS,
  },
  {
    id: "token-retired-key-live",
    file: "lib/security/token_verify.ts",
    description: "createVerifier() keeps the keys of retired keyring entries",
    find: "if (key.retiredAt !== undefined) continue;",
    replace: "",
    tests: TOKEN_TESTS,
  },
  // The shared-token bearer check (lib/http/middleware/bearer_auth.ts).
  {
    id: "shared-token-any",
    file: "lib/http/middleware/bearer_auth.ts",
    description: "isAuthorized() accepts any bearer token as the shared token",
    find: "return timingSafeEqual(padded, expected) && given.length === expected.length;",
    replace: "return true;",
    tests: ["tests/http/middleware/bearer_auth_test.ts", ...AUTH_TESTS],
  },
  {
    id: "shared-token-prefix",
    file: "lib/http/middleware/bearer_auth.ts",
    description: "isAuthorized() accepts a token that merely starts with the shared token",
    find: "return timingSafeEqual(padded, expected) && given.length === expected.length;",
    replace: "return timingSafeEqual(padded, expected);",
    tests: ["tests/http/middleware/bearer_auth_test.ts"],
  },
  // The authentication gate (lib/http/middleware/auth.ts) and the route table.
  {
    id: "auth-missing-credential",
    file: "lib/http/middleware/auth.ts",
    description: "authenticate() gives a request without Authorization the full grant",
    find: 'return refuse("missing", "Missing or invalid bearer token");',
    replace: 'grant = fullGrant("open", "anonymous");',
    tests: AUTH_TESTS,
  },
  {
    id: "auth-refused-token-accepted",
    file: "lib/http/middleware/auth.ts",
    description: "authenticate() gives a refused scoped token the full grant",
    find: 'return refuse(reason, `Invalid token: ${reason.replaceAll("_", " ")}`);',
    replace: 'void reason, grant = fullGrant("shared-secret", "shared-token");',
    tests: AUTH_TESTS,
  },
  {
    id: "auth-client-cert-alone",
    file: "lib/http/middleware/auth.ts",
    description: "authenticate() takes a client certificate alone when tokens are configured",
    find: "if (secret === undefined && verify === undefined) {",
    replace: "if ((secret === undefined && verify === undefined) || cert !== undefined) {",
    tests: AUTH_TESTS,
  },
  {
    id: "auth-action-unchecked",
    file: "lib/http/middleware/auth.ts",
    description: "authorizeAction() lets every grant call every route",
    find: "if (!allows(grant, route.action)) {",
    replace: "if (false as boolean) {",
    tests: AUTH_TESTS,
  },
  {
    id: "route-task-public",
    file: "lib/http/route_table.ts",
    description: "POST /task is declared public: no credential needed",
    find: '{ method: "POST", path: "/task", public: false, action: "task" },',
    replace: '{ method: "POST", path: "/task", public: true },',
    tests: ["tests/http/route_table_test.ts", ...AUTH_TESTS],
  },
  {
    id: "route-publish-as-read",
    file: "lib/http/route_table.ts",
    description: "POST /sync/release (publishing) needs only the read action",
    find: '{ method: "POST", path: "/sync/release", public: false, action: "publish" },',
    replace: '{ method: "POST", path: "/sync/release", public: false, action: "read" },',
    tests: ["tests/http/route_table_test.ts"],
  },
  // Scope checks (lib/security/scope.ts) and where they are applied.
  {
    id: "scope-allows-any",
    file: "lib/security/scope.ts",
    description: "allows() grants every action to every grant",
    find: 'return grant.actions.includes("admin") || grant.actions.includes(action);',
    replace: "return true;",
    tests: SCOPE_TESTS,
  },
  {
    id: "scope-task-any",
    file: "lib/security/scope.ts",
    description: "checkTask() allows every task",
    find: "export function checkTask(grant: Grant, task: TaskScopeRequest): Denial | null {",
    replace:
      "export function checkTask(grant: Grant, task: TaskScopeRequest): Denial | null {\n  if (true as boolean) return null;",
    tests: SCOPE_TESTS,
  },
  {
    id: "scope-skill-any",
    file: "lib/security/scope.ts",
    description: "checkSkill() lets every skill run",
    find: "export function checkSkill(grant: Grant, skill: SkillScopeRequest): Denial | null {",
    replace:
      "export function checkSkill(grant: Grant, skill: SkillScopeRequest): Denial | null {\n  if (true as boolean) return null;",
    tests: SCOPE_TESTS,
  },
  {
    id: "scope-skill-one-capability",
    file: "lib/security/scope.ts",
    description: "checkSkill() runs a skill when the grant covers any one of its capabilities",
    find: ": skill.capabilities.find((c) => !grant.capabilities.includes(c));",
    replace:
      ": skill.capabilities.some((c) => grant.capabilities.includes(c)) ? undefined : skill.capabilities[0];",
    tests: SCOPE_TESTS,
  },
  {
    id: "task-route-scope-unchecked",
    file: "lib/http/routes/task.ts",
    description: "POST /task accepts a task outside the caller's capabilities or skills",
    find: "if (denial) {",
    replace: "if (denial && (false as boolean)) {",
    tests: ["tests/http/routes/task_test.ts"],
  },
  {
    id: "select-skill-scope-unchecked",
    file: "lib/execution/select_skill.ts",
    description: "selectSkill() picks among skills the caller may not run",
    find: ": matching.filter((s) => checkSkill(grant, s) === null);",
    replace: ": matching;",
    tests: ["tests/execution/select_skill_test.ts"],
  },
  {
    id: "executor-skill-scope-unchecked",
    file: "lib/execution/skill_executor.ts",
    description: "SkillExecutor runs a skill named by tool_hint outside the caller's scope",
    find: "if (options.grant) refuseOutsideScope(checkSkill(options.grant, skill));",
    replace: "",
    tests: ["tests/execution/skill_executor_test.ts"],
  },
  {
    id: "agent-scope-unchecked",
    file: "lib/execution/command_executor.ts",
    description: "CommandExecutor runs the external agent for a grant without its skill",
    find: "if (options.grant) {",
    replace: "if (options.grant && (false as boolean)) {",
    tests: ["tests/execution/command_executor_test.ts"],
  },
  // Forwarding rules (lib/security/forwarding.ts, lib/routing).
  {
    id: "forward-tags-unchecked",
    file: "lib/security/forwarding.ts",
    description: "forwardingFor().authorize() lets inferred tags outside the scope through",
    find: "authorize: (required) => {",
    replace: "authorize: (required) => {\n      if (true as boolean) return void required;",
    tests: ["tests/security/forwarding_test.ts"],
  },
  {
    id: "forward-scoped-to-skilllite",
    file: "lib/security/forwarding.ts",
    description: "forwardingFor().peerFilter() sends scoped tasks to SkillLite peers",
    find: "peerFilter: (peer) => !scoped || peer.swarm || settings.forwardScopedToSkilllite,",
    replace: "peerFilter: () => true,",
    tests: ["tests/security/forwarding_test.ts"],
  },
  {
    id: "forward-node-credential",
    file: "lib/security/forwarding.ts",
    description: "forwardingFor().credential() sends the node's own credential, widening the scope",
    find: "credential: (peer) => scoped && peer.swarm ? grant.token : undefined,",
    replace: "credential: () => undefined,",
    tests: ["tests/security/forwarding_test.ts"],
  },
  {
    id: "peer-plain-usable",
    file: "lib/security/forwarding.ts",
    description: "peerUsable() lets a TLS node use plain-http peers",
    find: 'return peer.scheme === "https" || !node.tls || node.allowPlainPeers;',
    replace: "return true;",
    tests: ["tests/security/forwarding_test.ts"],
  },
  {
    id: "router-peer-filter-ignored",
    file: "lib/routing/router.ts",
    description: "Router.route() forwards to peers the task's peerFilter excludes",
    find: "const peers = peerFilter ? all.filter(peerFilter) : all;",
    replace: "const peers = all;",
    tests: ["tests/routing/router_test.ts"],
  },
  {
    id: "router-credential-ignored",
    file: "lib/routing/router.ts",
    description: "Router.route() forwards with the node's credential, not the caller's token",
    find: "const request = { headers, signal, timeoutMs, token: options.credential?.(peer) };",
    replace: "const request = { headers, signal, timeoutMs, token: undefined };",
    tests: ["tests/routing/router_test.ts"],
  },
  {
    id: "router-tags-unauthorized",
    file: "lib/routing/router.ts",
    description: "Router.route() never checks the tags it routes with against the scope",
    find: "options.authorize?.(required);",
    replace: "",
    tests: ["tests/routing/router_test.ts"],
  },
  {
    id: "hop-limit-ignored-on-arrival",
    file: "lib/routing/hops.ts",
    description: "checkArrival() accepts a task that crossed more hops than the limit",
    find: "if (hops > maxHops) {",
    replace: "if (false as boolean) {",
    tests: ["tests/routing/hops_test.ts"],
  },
  {
    id: "loop-ignored",
    file: "lib/routing/hops.ts",
    description: "checkArrival() accepts a task that already passed through this node",
    find: "if (via.includes(selfId)) {",
    replace: "if (false as boolean) {",
    tests: ["tests/routing/hops_test.ts"],
  },
  {
    id: "hop-limit-ignored-on-forward",
    file: "lib/routing/hops.ts",
    description: "canForward() forwards whatever the hop count",
    find: "return hops + 1 <= maxHops;",
    replace: "return true;",
    tests: ["tests/routing/hops_test.ts", "tests/routing/router_test.ts"],
  },
  {
    id: "task-runner-rules-dropped",
    file: "lib/node/task_runner.ts",
    description: "TaskRunner routes without the grant's forwarding rules",
    find: "...this.#deps.forwarding?.(options.grant),",
    replace: "",
    tests: ["tests/node/task_runner_test.ts"],
  },
  // Peer trust and membership proof (lib/security/peer_trust.ts, membership*.ts).
  {
    id: "trust-any",
    file: "lib/security/peer_trust.ts",
    description: "trusted() sends credentials and tasks to unproven peers",
    find: 'return trust !== undefined && trust !== "unproven";',
    replace: "return true;",
    tests: ["tests/security/peer_trust_test.ts"],
  },
  {
    id: "trust-unproven-as-token",
    file: "lib/security/peer_trust.ts",
    description: "peerTrust() rates every peer as proven by the token",
    find: 'return { trust: "unproven", reason: unprovenReason(node, peer) };',
    replace: 'return { trust: "token", reason: unprovenReason(node, peer) };',
    tests: ["tests/security/peer_trust_test.ts"],
  },
  {
    id: "trust-skilllite-without-opt-in",
    file: "lib/security/peer_trust.ts",
    description: "peerTrust() trusts SkillLite-shaped peers without --allow-skilllite-peers",
    find: 'if (peer.hello === "unsupported" && node.allowSkillLitePeers) {',
    replace: 'if (peer.hello === "unsupported") {',
    tests: ["tests/security/peer_trust_test.ts"],
  },
  {
    id: "trust-configured-without-proof",
    file: "lib/security/peer_trust.ts",
    description: "peerTrust() trusts every --peer seed, even where a proof could be demanded",
    find: 'if (peer.configured && !canDemand && peer.hello === "no_proof") {',
    replace: "if (peer.configured) {",
    tests: ["tests/security/peer_trust_test.ts"],
  },
  {
    id: "hello-answer-any",
    file: "lib/security/membership.ts",
    description: "verifyHelloAnswer() accepts any proof",
    find: "return expected.length === given.length && timingSafeEqual(expected, given);",
    replace: "return true;",
    tests: ["tests/security/membership_test.ts", "tests/peers/membership_checker_test.ts"],
  },
  {
    id: "hello-target-any",
    file: "lib/security/membership.ts",
    description: "targetIsOwn() proves for any target, so a relayed challenge succeeds",
    find: "export function targetIsOwn(target: string, self: OwnAddresses): boolean {",
    replace:
      "export function targetIsOwn(target: string, self: OwnAddresses): boolean {\n  if (true as boolean) return true;",
    tests: ["tests/security/membership_test.ts", "tests/http/routes/mesh_hello_test.ts"],
  },
  {
    id: "hello-answerer-unbound",
    file: "lib/peers/membership_checker.ts",
    description: "MembershipChecker accepts a proof from another node than the one announced",
    find:
      'if (expectedId !== undefined && nodeId !== expectedId) return { hello: "refused", nodeId };',
    replace: "",
    tests: ["tests/peers/membership_checker_test.ts"],
  },
  {
    id: "tls-any-ca",
    file: "lib/security/membership_tls.ts",
    description: "leafSignedBy() accepts a certificate of any CA",
    find: "if (await cert.verify({ publicKey: ca.publicKey, signatureOnly: true })) return true;",
    replace: "return true;",
    tests: ["tests/security/membership_tls_test.ts"],
  },
  {
    id: "tls-expired-leaf",
    file: "lib/security/membership_tls.ts",
    description: "leafSignedBy() accepts an expired or not-yet-valid certificate",
    find: "if (cert.notBefore > now || cert.notAfter < now) return false;",
    replace: "",
    tests: ["tests/security/membership_tls_test.ts"],
  },
  {
    id: "peer-side-unproven-routable",
    file: "lib/node/peer_side.ts",
    description: "PeerSide.routable() offers unproven peers to the router",
    find: "return (await this.#membership.annotateProven(live)).filter((p) => trusted(p.trust));",
    replace: "return await this.#membership.annotateProven(live);",
    tests: ["tests/node/peer_side_test.ts"],
  },
  {
    id: "seed-credential-unproven",
    file: "lib/node/peer_side.ts",
    description: "A --peer seed gets the node's token before it proved membership",
    find: "trusted((await this.#membership.proveSeed(seed)).trust) ? config.nodeToken : undefined,",
    replace: "config.nodeToken,",
    tests: ["tests/node/peer_side_test.ts"],
  },
  {
    id: "peer-side-plain-reachable",
    file: "lib/node/peer_side.ts",
    description: "PeerSide.routable() offers plain-http peers to a TLS node",
    find: '.filter((p) => p.state !== "dead" && this.#reachable(p));',
    replace: '.filter((p) => p.state !== "dead");',
    tests: ["tests/node/peer_side_test.ts"],
  },
];
