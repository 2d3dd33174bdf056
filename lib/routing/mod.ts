/**
 * Routing: where a task runs. Pure decisions (candidate order, route choice, hop
 * checks, capability inference rules) and the {@link Router} that connects them to
 * local execution, forwarding and who-can-do broadcasts.
 *
 * @example
 * ```ts
 * import { decideRoute, inferFromDescription } from "./mod.ts";
 * const required = inferFromDescription("what is 12 * 7", ["calc", "web"]);
 * const decision = decideRoute({ required, localCapabilities: [], peers: [], selfId: "me" });
 * console.assert(required.join() === "calc" && decision.kind === "no_match");
 * ```
 *
 * @module
 */
export * from "./types.ts";
export * from "./candidates.ts";
export * from "./decide.ts";
export * from "./hops.ts";
export * from "./infer_offline.ts";
export * from "./llm_infer.ts";
export * from "./infer.ts";
export * from "./router.ts";
export * from "./retry_policy.ts";
export * from "./deadline.ts";
