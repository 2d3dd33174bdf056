/**
 * The browse query for swarm's service type (RFC 6763 §4, RFC 6762 §7.1).
 *
 * @module
 */
import { SERVICE_TYPE } from "./constants.ts";
import type { Answer, Question } from "./_dns_types.ts";

/** A query for PTR records of the service type, with known answers. */
export interface BrowseQuery {
  /** The one PTR question for `_skilllite-swarm._udp.local`. */
  questions: [Question];
  /** PTRs already known (so their owners need not answer). */
  answers: Answer[];
}

/**
 * The query that finds peers: PTR `_skilllite-swarm._udp.local`, listing the PTRs
 * this node already knows with more than half their TTL left (from
 * `PeerCache.knownAnswers`), so their owners stay silent. Pass to `mdns.query()`.
 *
 * @param knownAnswers PTR records to list as known answers.
 * @example
 * ```ts
 * import { browseQuery } from "./browse_query.ts";
 * const q = browseQuery([]);
 * console.assert(q.questions[0].name === "_skilllite-swarm._udp.local" && q.questions[0].type === "PTR");
 * ```
 */
export function browseQuery(knownAnswers: Answer[]): BrowseQuery {
  return {
    questions: [{ name: SERVICE_TYPE, type: "PTR", class: "IN" }],
    answers: [...knownAnswers],
  };
}
