/**
 * `POST /mesh/hello`: the membership challenge. Public (no credential): it reveals only
 * this node's id and an HMAC over the asker's nonce and the address it dialled.
 *
 * @module
 */
import { Hono } from "hono";
import { SwarmError } from "../../protocol/mod.ts";
import {
  HELLO_PATH,
  HELLO_VERSION,
  helloProof,
  MAX_HELLO_BYTES,
  type OwnAddresses,
  parseHelloRequest,
  targetIsOwn,
} from "../../security/mod.ts";
import { readBodyText } from "../read_body.ts";

/** What the hello route needs. */
export interface MeshHelloDeps {
  /** This node's id. */
  nodeId: string;
  /** The shared token, read per request (rotation); undefined = no proof offered. */
  token: () => string | undefined;
  /** Where this node listens. */
  self: () => OwnAddresses;
  /** Time the hello body may take to arrive, in ms. @default {DEFAULT_BODY_TIMEOUT_MS} */
  bodyTimeoutMs?: number;
}

/**
 * The hello route: proves knowledge of the shared token for a target that is this
 * node's own address, refuses with 421 `misdirected` a target that is not (a relayed
 * challenge), and answers `proof: null` when the node holds no shared token.
 */
export function meshHelloRoutes(deps: MeshHelloDeps): Hono {
  return new Hono().post(HELLO_PATH, async (c) => {
    const text = await readBodyText(c.req.raw, MAX_HELLO_BYTES, {
      timeoutMs: deps.bodyTimeoutMs,
    });
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new SwarmError("invalid_json", "Invalid membership hello: the body is not JSON");
    }
    const request = parseHelloRequest(body);
    if (!targetIsOwn(request.target, deps.self())) {
      throw new SwarmError(
        "misdirected",
        `Target ${request.target} is not an address of this node`,
        { target: request.target },
      );
    }
    const token = deps.token();
    const proof = token === undefined ? null : await helloProof(token, request, deps.nodeId);
    return c.json({ v: HELLO_VERSION, node_id: deps.nodeId, proof });
  });
}
