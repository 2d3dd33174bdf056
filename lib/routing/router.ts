/**
 * The router: runs one task locally, forwards it, or asks the swarm who can do it,
 * connecting the pure decisions of this folder to injected effects.
 *
 * @module
 */
import type { RequestOptions } from "../client/mod.ts";
import {
  type CanDoBody,
  type ErrorCode,
  type NodeResult,
  type NodeTask,
  type StreamEvent,
  SwarmError,
  toSwarmError,
} from "../protocol/mod.ts";
import { relayStream } from "./_relay.ts";
import { sleep } from "../time/mod.ts";
import { decideRoute, type RouteDecision } from "./decide.ts";
import { canForward, checkArrival, forwardHeaders, type HopState } from "./hops.ts";
import { type Deadline, DEADLINE_HEADER } from "./deadline.ts";
import {
  decideRetry,
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  validateRetryPolicy,
} from "./retry_policy.ts";
import { type Inference, inferTaskCapabilities } from "./infer.ts";
import { DEFAULT_CONFIG, type LlmConfig } from "../config/mod.ts";
import type { Peer } from "./types.ts";
import type { Grant } from "../security/mod.ts";

/** What the router needs from a client of one peer; `SwarmClient` is one. */
export interface PeerClient {
  /** `POST /task`. */
  submitTask(task: NodeTask, options?: RequestOptions): Promise<NodeResult>;
  /** `POST /task?stream=1`, ending with a `done` or `error` event. */
  streamTask(task: NodeTask, options?: RequestOptions): AsyncIterable<StreamEvent>;
  /** `GET /can-do`. */
  canDo(required: string[], options?: RequestOptions): Promise<CanDoBody>;
}

/** Options handed to {@link RouterDeps.executeLocal}. */
export interface LocalExecuteOptions {
  /** Tags the task needs, given or inferred (empty when neither). */
  capabilities: string[];
  /** Aborts the run. */
  signal?: AbortSignal;
  /** Progress sink, present in stream mode. */
  onEvent?: (event: StreamEvent) => void;
  /** What the caller may do; the executor refuses a skill outside it. */
  grant?: Grant;
}

/** One failed forwarding try. */
export interface ForwardAttempt {
  /** Peer id. */
  peer: string;
  /** Peer address (`host:port`). */
  address: string;
  /** Error code of the failure. */
  error: string;
  /** Error message of the failure. */
  message: string;
}

/** What happened to one task, reported to {@link RouterDeps.onRouted}. */
export interface RoutedInfo {
  /** Id of the task. */
  taskId: string;
  /** The route taken; `rejected` when the task was refused on arrival (loop or hop limit). */
  route: RouteDecision["kind"] | "rejected";
  /** Tags the route was decided with (given or inferred). */
  required: string[];
  /** The inference, when the task came without tags and there were tags to infer. */
  inference?: Inference;
  /** Who was asked `GET /can-do` and who answered yes, on a broadcast. */
  broadcast?: { asked: string[]; able: string[] };
  /** Id of the peer whose answer was returned, when forwarded. */
  peer?: string;
  /** Failed forwarding tries, in order. */
  attempts: ForwardAttempt[];
  /** Whether a result was returned. */
  ok: boolean;
  /** Error code, when no result was returned. */
  error?: string;
  /** Time spent routing, in milliseconds. */
  durationMs: number;
}

/**
 * Everything the router reaches outside itself. Every member may be called
 * concurrently for different tasks.
 */
export interface RouterDeps {
  /** This node's id: excluded from candidates and appended to `x-swarm-via`. */
  selfId: string;
  /** Most hops a task may cross; a task is forwarded only while `hops + 1 <= maxHops`. */
  maxHops: number;
  /** Tags this node holds now. */
  localCapabilities(): string[];
  /** The routing table now (duplicates and this node's own row are filtered out). */
  peers(): Promise<Peer[]>;
  /** Runs a task here. */
  executeLocal(task: NodeTask, options: LocalExecuteOptions): Promise<NodeResult>;
  /** A client for one peer, carrying the token and TLS settings. */
  clientFor(peer: Peer): PeerClient;
  /** LLM inference settings (see `llmConfigFromEnv`). */
  llm: LlmConfig;
  /**
   * Time limit of each `GET /can-do` of a broadcast, in milliseconds.
   * @default {DEFAULT_CONFIG.canDoTimeoutMs}
   */
  canDoTimeoutMs?: number;
  /**
   * Time limit of each forwarding try, in milliseconds.
   * @default {DEFAULT_CONFIG.forwardTimeoutMs}
   */
  forwardTimeoutMs?: number;
  /** The `fetch` used for LLM inference. @default {globalThis.fetch} */
  fetch?: typeof fetch;
  /** Called once per task when routing ends; errors it throws are ignored. */
  onRouted?(info: RoutedInfo): void;
  /**
   * Called once per task when the route is decided, before any forward or local run;
   * errors it throws are ignored.
   */
  onRouteDecided?(info: Pick<RoutedInfo, "taskId" | "route" | "required" | "inference">): void;
  /**
   * Forward retries: attempts, backoff (a node passes `retryPolicyOf(config)`).
   * @default {DEFAULT_RETRY_POLICY}
   */
  retryPolicy?: RetryPolicy;
  /**
   * Called before each forward attempt, awaited: the node records which peer owns the
   * task, so a retry after a lost answer asks that peer first.
   */
  onForwardAttempt?(task: NodeTask, peer: Peer, attempt: number): Promise<void>;
  /**
   * Runs one step (`swarm.forward`, `swarm.execute`) inside a tracing span.
   * @default {direct call, no span}
   */
  span?<T>(
    name: string,
    attributes: Record<string, string | number>,
    fn: () => Promise<T>,
  ): Promise<T>;
  /** Called when a failed attempt is followed by another, after `delayMs`. */
  onRetry?(
    task: NodeTask,
    failed: { peer: Peer; attempt: number; error: string; delayMs: number },
  ): void;
  /**
   * Called after each forward attempt with its outcome: `answered` is false when no
   * HTTP answer came (connection error, timeout) — a passive health signal.
   */
  onForwardOutcome?(peer: Peer, outcome: { answered: boolean; latencyMs: number }): void;
}

/** Options of {@link Router.route}: where the task has been, plus cancellation and progress. */
export interface RouteOptions extends HopState {
  /** Aborts the task (local run, forwarding, inference); its reason is thrown. */
  signal?: AbortSignal;
  /**
   * The task's deadline: bounds each forward attempt and the who-can-do broadcast, and
   * its remaining budget is sent to the next hop. None: only the fixed limits apply.
   */
  deadline?: Deadline;
  /** Peer to try first among the candidates (the owner of an earlier attempt). */
  preferPeer?: string;
  /** W3C `traceparent` sent with every forward, so the next hop joins the trace. */
  traceparent?: string;
  /**
   * Progress sink; when given, forwarding uses the peers' streams and relays their
   * events. When it returns a promise (its type says `void` so that any function fits),
   * the peer's stream is read no further until it settles or `signal` aborts: a sink that
   * waits for its reader passes back-pressure on to the peer.
   */
  onEvent?: (event: StreamEvent) => void;
  /** What the caller may do; handed to the local executor. */
  grant?: Grant;
  /**
   * Checks the tags the task is finally routed with (given or inferred) against the
   * caller's scope; throws (e.g. a 403 SwarmError) to refuse the task.
   */
  authorize?: (required: string[]) => void;
  /** Which peers may take this task at all (e.g. no SkillLite peer for a scoped task). */
  peerFilter?: (peer: Peer) => boolean;
  /**
   * Bearer token sent on a forward to `peer` instead of the node's own (the caller's
   * scoped token); undefined = the node's own.
   */
  credential?: (peer: Peer) => string | undefined;
}

function positive(name: string, value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(
      `Cannot create router: '${name}' must be a positive number: current value is ${value}`,
    );
  }
  return value;
}

function knownTags(local: string[], peers: Peer[], selfId: string): string[] {
  const tags = new Set(local);
  for (const peer of peers) if (peer.id !== selfId) peer.capabilities.forEach((t) => tags.add(t));
  return [...tags].sort();
}

/** Codes that never stand for a peer's own refusal of the task. */
const NOT_A_REFUSAL: ReadonlySet<string> = new Set(["forward_failed", "peer_unreachable"]);

function deadlineError(deadline: Deadline): SwarmError {
  return new SwarmError("timeout", `Deadline of ${deadline.budgetMs} ms exceeded`, {
    budget_ms: deadline.budgetMs,
  });
}

/**
 * The last of `errors` when every one is a peer's 4xx refusal with the same code
 * (`forbidden`, `skill_not_found`, …, not `overloaded` or `rate_limited`, which say
 * "later", nor `forward_failed`: a plain status or a redirect outside swarm's codes,
 * nor `peer_unreachable`); undefined otherwise.
 */
function sameRefusal(errors: SwarmError[]): SwarmError | undefined {
  const last = errors.at(-1);
  if (last === undefined || NOT_A_REFUSAL.has(last.code)) return undefined;
  const refusal = (err: SwarmError) => {
    const status = err.details.status;
    return typeof status === "number" && status >= 400 && status < 500 && status !== 429 &&
      err.code === last.code;
  };
  return errors.every(refusal) ? last : undefined;
}

/**
 * `no_match` for `tags`: names them (and where they came from, when inferred) and the
 * known peers holding them with their state — a dead or an untrusted peer holds them
 * but is not routed to — so the caller learns why nobody could take the task.
 */
/** Peer answers that mean "not now, come back": 429 or 503 with a time to come back. */
const BUSY_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "overloaded",
  "rate_limited",
  "draining",
  "not_ready",
]);

/**
 * The back-pressure answer when every failure was a peer saying "busy, come back"
 * (`overloaded`, `rate_limited`, `draining`, `not_ready`): `overloaded` (429) when any
 * said 429, else the last one's 503 code, with the smallest `Retry-After` the peers
 * gave (1 s when none did). Undefined when any failure was something else: a hop must
 * not turn "come back in 2 s" into a 502.
 */
function allBusy(errors: SwarmError[]): { code: ErrorCode; retryAfterS: number } | undefined {
  if (errors.length === 0 || !errors.every((e) => BUSY_CODES.has(e.code))) return undefined;
  const waits = errors
    .map((e) => e.details.retry_after_s)
    .filter((s): s is number => typeof s === "number" && Number.isFinite(s) && s > 0);
  const retryAfterS = waits.length > 0 ? Math.ceil(Math.min(...waits)) : 1;
  const overloaded = errors.some((e) => e.details.status === 429 || e.code === "overloaded");
  return { code: overloaded ? "overloaded" : errors.at(-1)!.code, retryAfterS };
}

function noMatch(
  tags: string[],
  peers: Peer[],
  selfId: string,
  inference?: Inference,
): SwarmError {
  const holders = peers.filter((p) =>
    p.id !== selfId && tags.length > 0 && tags.every((tag) => p.capabilities.includes(tag))
  );
  const held = holders.length > 0
    ? `; held by ${
      holders.map((p) => `${p.id} (${p.state ?? (p.healthy ? "alive" : "unhealthy")})`).join(", ")
    }, which cannot take it now`
    : "";
  const what = inference === undefined
    ? "required capabilities"
    : `capabilities inferred ${
      inference.source === "llm" ? "by the LLM" : "from its description (offline)"
    }`;
  return new SwarmError(
    "no_match",
    `No node can handle ${what}: ${tags.join(", ")}${held}`,
    {
      required_capabilities: tags,
      ...(inference === undefined ? {} : { inferred: true }),
      ...(holders.length > 0 ? { holders: holders.map((p) => p.id) } : {}),
    },
  );
}

/**
 * Routes tasks by DESIGN.md §3: checks the hop state, infers tags for an untagged task,
 * decides with {@link decideRoute}, then runs the task here, forwards it along its
 * candidates (the next one on any failure), or asks every peer `GET /can-do` in
 * parallel and forwards to those that can. When inferred tags fit no node, the task is
 * routed as the untagged task it is.
 *
 * @example
 * ```ts
 * import { Router } from "./router.ts";
 * import { llmConfigFromEnv } from "../config/mod.ts";
 * const router = new Router({
 *   selfId: "me", maxHops: 4, llm: llmConfigFromEnv({}),
 *   localCapabilities: () => ["calc"],
 *   peers: () => Promise.resolve([]),
 *   executeLocal: (task) =>
 *     Promise.resolve({ task_id: task.id, response: "2", task_completed: true, tool_calls: 1 }),
 *   clientFor: () => { throw new Error("No peers in this example"); },
 * });
 * const task = { id: "t1", description: "1+1", context: { workspace: ".", session_key: "default", required_capabilities: [] } };
 * const result = await router.route(task, { hops: 0, via: [] });
 * console.assert(result.response === "2");
 * ```
 */
export class Router {
  readonly #deps: RouterDeps;
  readonly #canDoTimeoutMs: number;
  readonly #forwardTimeoutMs: number;
  readonly #retryPolicy: RetryPolicy;

  /**
   * Creates a router over `deps`.
   *
   * @throws {RangeError} When `maxHops` is not a non-negative integer or a time limit
   * is not positive.
   */
  constructor(deps: RouterDeps) {
    const {
      maxHops,
      canDoTimeoutMs = DEFAULT_CONFIG.canDoTimeoutMs,
      forwardTimeoutMs = DEFAULT_CONFIG.forwardTimeoutMs,
    } = deps;
    if (!Number.isSafeInteger(maxHops) || maxHops < 0) {
      throw new RangeError(
        `Cannot create router: 'maxHops' must be a non-negative integer: current value is ${maxHops}`,
      );
    }
    this.#deps = deps;
    this.#canDoTimeoutMs = positive("canDoTimeoutMs", canDoTimeoutMs);
    this.#forwardTimeoutMs = positive("forwardTimeoutMs", forwardTimeoutMs);
    this.#retryPolicy = validateRetryPolicy({ ...(deps.retryPolicy ?? DEFAULT_RETRY_POLICY) });
  }

  /**
   * Routes one task and returns its result, whoever produced it (a peer's result is
   * returned as is, even with another `task_id`).
   *
   * @throws {SwarmError} `loop_detected` or `hop_limit_exceeded` (refused on arrival, or
   * no hop left to forward); `no_match`; `forward_failed` with `attempts` when every
   * candidate failed; any error of `executeLocal`; the signal's reason when aborted.
   */
  async route(task: NodeTask, options: RouteOptions): Promise<NodeResult> {
    const started = performance.now();
    const info: RoutedInfo = {
      taskId: task.id,
      route: "rejected",
      required: task.context.required_capabilities,
      attempts: [],
      ok: false,
      durationMs: 0,
    };
    try {
      const result = await this.#route(task, options, info);
      info.ok = true;
      return result;
    } catch (err) {
      info.error = toSwarmError(err).code;
      throw err;
    } finally {
      info.durationMs = performance.now() - started;
      try {
        this.#deps.onRouted?.(info);
      } catch {
        // A failing log or metrics hook must not fail the task.
      }
    }
  }

  async #route(task: NodeTask, options: RouteOptions, info: RoutedInfo): Promise<NodeResult> {
    const { selfId, maxHops } = this.#deps;
    const { hops, via, signal, onEvent } = options;
    checkArrival({ selfId, via, hops, maxHops });
    const local = this.#deps.localCapabilities();
    const { peerFilter } = options;
    const all = await this.#deps.peers();
    const peers = peerFilter ? all.filter(peerFilter) : all;
    let required = task.context.required_capabilities;
    let outgoing = task;
    const known = required.length === 0 ? knownTags(local, peers, selfId) : [];
    if (known.length > 0) {
      const { llm, fetch } = this.#deps;
      info.inference = await inferTaskCapabilities(task.description, known, { llm, fetch, signal });
      required = info.inference.tags;
      // Forward the inferred tags so the next node need not infer again.
      outgoing = { ...task, context: { ...task.context, required_capabilities: required } };
    }
    const input = { localCapabilities: local, peers, selfId, exclude: via };
    let decision = decideRoute({ ...input, required });
    info.route = decision.kind;
    if (decision.kind === "broadcast") {
      this.#ensureHopLeft(options);
      const able = await this.#whoCanDo(decision.peers, required, options, info);
      decision = able.length > 0 ? { kind: "forward", candidates: able } : { kind: "no_match" };
    }
    /** The inferred tags no node could take, when the task falls back to untagged. */
    let unplaced: string[] | undefined;
    if (decision.kind === "no_match" && info.inference !== undefined && required.length > 0) {
      // The inferred tags fit no node: route the task as the untagged one it is.
      unplaced = required;
      required = [];
      outgoing = task;
      decision = decideRoute({ ...input, required });
      info.route = decision.kind;
    }
    info.required = required;
    options.authorize?.(required);
    try {
      this.#deps.onRouteDecided?.({
        taskId: task.id,
        route: decision.kind,
        required,
        ...(info.inference ? { inference: info.inference } : {}),
      });
    } catch {
      // A failing hook must not fail the task.
    }
    switch (decision.kind) {
      case "local":
        onEvent?.({ event: "executing", node: selfId });
        try {
          return await this.#span(
            "swarm.execute",
            { "swarm.task_id": task.id },
            () =>
              this.#deps.executeLocal(task, {
                capabilities: required,
                signal,
                onEvent,
                grant: options.grant,
              }),
          );
        } catch (err) {
          // Untagged only because its inferred tags fit no node, and nothing here runs
          // tasks: the caller learns what was inferred and who holds it, not "give it skills".
          if (
            unplaced !== undefined && err instanceof SwarmError &&
            err.code === "local_executor_not_configured"
          ) {
            throw noMatch(unplaced, all, selfId, info.inference);
          }
          throw err;
        }
      case "forward":
        return await this.#forward(outgoing, decision.candidates, options, required, info);
      default:
        throw noMatch(required, all, selfId, unplaced === undefined ? undefined : info.inference);
    }
  }

  #span<T>(
    name: string,
    attributes: Record<string, string | number>,
    fn: () => Promise<T>,
  ): Promise<T> {
    return this.#deps.span ? this.#deps.span(name, attributes, fn) : fn();
  }

  #ensureHopLeft({ hops, via }: RouteOptions): void {
    const { maxHops } = this.#deps;
    if (!canForward(hops, maxHops)) {
      throw new SwarmError(
        "hop_limit_exceeded",
        `Hop limit reached: cannot forward a task that crossed ${hops} hops, limit is ${maxHops}`,
        { hops, via, max_hops: maxHops },
      );
    }
  }

  async #whoCanDo(
    peers: Peer[],
    required: string[],
    { signal, deadline }: RouteOptions,
    info: RoutedInfo,
  ): Promise<Peer[]> {
    const timeoutMs = deadline
      ? Math.max(1, deadline.attemptTimeoutMs(this.#canDoTimeoutMs))
      : this.#canDoTimeoutMs;
    const answers = await Promise.allSettled(
      peers.map(async (peer) =>
        await this.#deps.clientFor(peer).canDo(required, { timeoutMs, signal })
      ),
    );
    signal?.throwIfAborted();
    const able = peers.filter((_, i) => {
      const answer = answers[i];
      return answer.status === "fulfilled" && answer.value.can_do;
    });
    info.broadcast = { asked: peers.map((p) => p.id), able: able.map((p) => p.id) };
    return able;
  }

  async #forward(
    task: NodeTask,
    candidates: Peer[],
    options: RouteOptions,
    required: string[],
    info: RoutedInfo,
  ): Promise<NodeResult> {
    this.#ensureHopLeft(options);
    const { hops, via, signal, onEvent, deadline, preferPeer, traceparent } = options;
    const ordered = preferPeer
      ? [
        ...candidates.filter((p) => p.id === preferPeer),
        ...candidates.filter((p) => p.id !== preferPeer),
      ]
      : candidates;
    const policy = this.#retryPolicy;
    const attempts = Math.min(policy.maxAttempts, ordered.length);
    /** The error of each failed attempt, in order. */
    const failures: SwarmError[] = [];
    for (let index = 0; index < attempts; index++) {
      const peer = ordered[index];
      signal?.throwIfAborted();
      if (deadline?.expired()) throw deadlineError(deadline);
      onEvent?.({ event: "forwarding", peer: peer.id, address: peer.address, attempt: index + 1 });
      const headers: Record<string, string> = forwardHeaders({
        hops,
        via,
        selfId: this.#deps.selfId,
      });
      if (deadline) headers[DEADLINE_HEADER] = String(deadline.forwardBudgetMs());
      if (traceparent) headers.traceparent = traceparent;
      const timeoutMs = deadline
        ? Math.max(1, deadline.attemptTimeoutMs(this.#forwardTimeoutMs))
        : this.#forwardTimeoutMs;
      const request = { headers, signal, timeoutMs, token: options.credential?.(peer) };
      const started = performance.now();
      try {
        await this.#deps.onForwardAttempt?.(task, peer, index + 1);
        const client = this.#deps.clientFor(peer);
        const attributes = {
          "swarm.task_id": task.id,
          "swarm.peer": peer.id,
          "swarm.attempt": index + 1,
        };
        const result = await this.#span(
          "swarm.forward",
          attributes,
          () =>
            onEvent
              ? relayStream(client.streamTask(task, request), onEvent, peer.address, signal)
              : client.submitTask(task, request),
        );
        this.#deps.onForwardOutcome?.(peer, {
          answered: true,
          latencyMs: performance.now() - started,
        });
        info.peer = peer.id;
        return result;
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        const error = toSwarmError(err);
        // A connection lost mid-answer is no sign of life: the peer most likely died.
        const answered = error.details.status !== undefined && error.details.reason !== "cut_off";
        this.#deps.onForwardOutcome?.(peer, { answered, latencyMs: performance.now() - started });
        info.attempts.push({
          peer: peer.id,
          address: peer.address,
          error: error.code,
          message: error.message,
        });
        failures.push(error);
        if (index + 1 >= attempts) break;
        const next = decideRetry(error, {
          attempt: index + 1,
          remainingMs: deadline?.forwardBudgetMs(),
          policy,
        });
        if (!next.retry) {
          if (next.reason === "not_retryable") throw error;
          if (next.reason === "deadline" && deadline) throw deadlineError(deadline);
          break;
        }
        try {
          this.#deps.onRetry?.(task, {
            peer,
            attempt: index + 1,
            error: error.code,
            delayMs: next.delayMs,
          });
        } catch {
          // A failing hook must not fail the task.
        }
        await sleep(next.delayMs, signal);
      }
    }
    // Out of time rather than out of candidates (our deadline, or the next hop's, which
    // is ours minus a margin): the caller gets the timeout.
    if (deadline?.expired()) throw deadlineError(deadline);
    const last = info.attempts.at(-1);
    if (last?.error === "timeout") {
      throw new SwarmError("timeout", `Timed out: ${last.peer} (${last.message})`, {
        attempts: info.attempts,
        ...(deadline ? { budget_ms: deadline.budgetMs } : {}),
      });
    }
    // Every candidate tried refused alike (each says the caller's scope lacks a skill,
    // or has no such skill): that refusal is the answer, with its own code and status.
    const refusal = sameRefusal(failures);
    if (refusal) {
      throw new SwarmError(refusal.code, refusal.message, {
        ...refusal.details,
        attempts: info.attempts,
      }, { cause: refusal });
    }
    const busy = allBusy(failures);
    if (busy) {
      throw new SwarmError(
        busy.code,
        `Every candidate is busy: ${
          info.attempts.map((a) => `${a.peer} (${a.message})`).join("; ")
        }; retry in ${busy.retryAfterS} s`,
        {
          retry_after_s: busy.retryAfterS,
          required_capabilities: required,
          attempts: info.attempts,
        },
      );
    }
    const reasons = info.attempts.map((a) => `${a.peer} (${a.message})`).join("; ");
    throw new SwarmError(
      "forward_failed",
      `All ${info.attempts.length} forward attempts failed: ${reasons}`,
      { required_capabilities: required, attempts: info.attempts },
    );
  }
}
