/**
 * The version of swarm, taken from `deno.json` so there is one place to bump it.
 *
 * @module
 */
import denoJson from "../deno.json" with { type: "json" };

/** swarm's version, e.g. `0.1.0`. */
export const VERSION: string = denoJson.version;
