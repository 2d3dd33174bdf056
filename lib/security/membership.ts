/**
 * Mesh membership proof over the shared token: a challenge-response that shows a peer
 * knows the token without revealing it, bound to the address it was reached at, so a
 * device that announces itself on mDNS and relays the challenge to a real node gains
 * nothing.
 *
 * The prover answers `HMAC-SHA256(token, message)` where the message names the asking
 * node, the answering node, a fresh nonce of the asker and the `host:port` the asker
 * dialled. A relaying intruder reached at its own address cannot get a proof for that
 * address: the real node refuses to prove for an address that is not its own.
 *
 * @module
 */
import { timingSafeEqual } from "node:crypto";
import { isLoopbackHost } from "../config/mod.ts";
import { SwarmError } from "../protocol/mod.ts";

/** Path of the membership challenge (`POST`, no credential). */
export const HELLO_PATH = "/mesh/hello";

/** Version of the hello exchange. */
export const HELLO_VERSION = 1;

/** Largest hello body accepted or read, in bytes. */
export const MAX_HELLO_BYTES = 4096;

/** Longest node id a hello may carry. */
const MAX_NODE_ID_CHARS = 128;
/** Longest `host:port` target (a DNS name of 253 characters, a port). */
const MAX_TARGET_CHARS = 262;
/** Bytes of a nonce; base64url without padding makes 43 characters. */
const NONCE_BYTES = 32;
const NONCE = /^[A-Za-z0-9_-]{43}$/;
const PROOF = /^[A-Za-z0-9_-]{43}$/;
const NODE_ID = /^[\x21-\x7e]+$/;

/** The challenge one node sends another. */
export interface HelloRequest {
  /** Version of the exchange ({@link HELLO_VERSION}). */
  v: number;
  /** Id of the asking node. */
  node_id: string;
  /** A fresh random nonce of the asker, base64url (32 bytes). */
  nonce: string;
  /** The `host:port` the asker dialled to reach the answering node. */
  target: string;
}

/** The answer: who answers, and its proof (null when it holds no shared token). */
export interface HelloAnswer {
  /** Version of the exchange. */
  v: number;
  /** Id of the answering node. */
  node_id: string;
  /** `HMAC-SHA256(token, message)`, base64url; null without a shared token. */
  proof: string | null;
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function invalid(message: string): SwarmError {
  return new SwarmError("invalid_request", `Invalid membership hello: ${message}`);
}

function checkNodeId(value: unknown, field: string): string {
  if (
    typeof value !== "string" || value.length === 0 || value.length > MAX_NODE_ID_CHARS ||
    !NODE_ID.test(value)
  ) {
    throw invalid(`'${field}' must be 1 to ${MAX_NODE_ID_CHARS} printable ASCII characters`);
  }
  return value;
}

/**
 * A fresh random nonce for one hello.
 *
 * @example
 * ```ts
 * import { newNonce } from "./membership.ts";
 * console.assert(newNonce().length === 43 && newNonce() !== newNonce());
 * ```
 */
export function newNonce(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(NONCE_BYTES)));
}

/**
 * The exact bytes the proof covers, domain-separated so no other swarm MAC can be
 * replayed as a hello proof.
 *
 * @example
 * ```ts
 * import { helloMessage } from "./membership.ts";
 * const m = helloMessage({ v: 1, node_id: "a", nonce: "n", target: "10.0.0.2:7700" }, "b");
 * console.assert(m === "swarm-mesh-hello/1\na\nb\nn\n10.0.0.2:7700");
 * ```
 */
export function helloMessage(request: HelloRequest, answererId: string): string {
  return [
    `swarm-mesh-hello/${HELLO_VERSION}`,
    request.node_id,
    answererId,
    request.nonce,
    request.target,
  ].join("\n");
}

/**
 * The proof that the holder of `secret` answers `request` as `answererId`.
 *
 * @example
 * ```ts
 * import { helloProof } from "./membership.ts";
 * const request = { v: 1, node_id: "a", nonce: "x".repeat(43), target: "127.0.0.1:7700" };
 * const proof = await helloProof("s3cret", request, "b");
 * console.assert(proof.length === 43);
 * ```
 */
export async function helloProof(
  secret: string,
  request: HelloRequest,
  answererId: string,
): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign(
    "HMAC",
    key,
    encoder.encode(helloMessage(request, answererId)),
  );
  return base64url(new Uint8Array(mac));
}

/**
 * Whether `answer` proves knowledge of `secret` for `request`: its proof is the one
 * {@link helloProof} computes for the answerer it names (compared in constant time).
 *
 * @example
 * ```ts
 * import { helloProof, verifyHelloAnswer } from "./membership.ts";
 * const request = { v: 1, node_id: "a", nonce: "x".repeat(43), target: "127.0.0.1:7700" };
 * const proof = await helloProof("s3cret", request, "b");
 * console.assert(await verifyHelloAnswer("s3cret", request, { v: 1, node_id: "b", proof }));
 * console.assert(!(await verifyHelloAnswer("other", request, { v: 1, node_id: "b", proof })));
 * ```
 */
export async function verifyHelloAnswer(
  secret: string,
  request: HelloRequest,
  answer: HelloAnswer,
): Promise<boolean> {
  if (answer.proof === null) return false;
  const expected = new TextEncoder().encode(await helloProof(secret, request, answer.node_id));
  const given = new TextEncoder().encode(answer.proof);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * Checks a decoded hello request body.
 *
 * @throws {SwarmError} `invalid_request` naming the first bad field.
 * @example
 * ```ts
 * import { newNonce, parseHelloRequest } from "./membership.ts";
 * const r = parseHelloRequest({ v: 1, node_id: "a", nonce: newNonce(), target: "10.0.0.2:7700" });
 * console.assert(r.target === "10.0.0.2:7700");
 * ```
 */
export function parseHelloRequest(value: unknown): HelloRequest {
  if (!isObject(value)) throw invalid("the body must be a JSON object");
  if (value.v !== HELLO_VERSION) throw invalid(`'v' must be ${HELLO_VERSION}`);
  const node_id = checkNodeId(value.node_id, "node_id");
  if (typeof value.nonce !== "string" || !NONCE.test(value.nonce)) {
    throw invalid("'nonce' must be 32 bytes in unpadded base64url");
  }
  const target = value.target;
  if (
    typeof target !== "string" || target.length === 0 || target.length > MAX_TARGET_CHARS ||
    !/^[\x21-\x7e]+$/.test(target)
  ) {
    throw invalid(`'target' must be a host:port of at most ${MAX_TARGET_CHARS} characters`);
  }
  return { v: HELLO_VERSION, node_id, nonce: value.nonce, target };
}

/**
 * Checks a decoded hello answer.
 *
 * @throws {SwarmError} `bad_peer_response` naming the first bad field.
 * @example
 * ```ts
 * import { parseHelloAnswer } from "./membership.ts";
 * console.assert(parseHelloAnswer({ v: 1, node_id: "b", proof: null }).proof === null);
 * ```
 */
export function parseHelloAnswer(value: unknown): HelloAnswer {
  const bad = (message: string) =>
    new SwarmError("bad_peer_response", `Invalid membership answer: ${message}`);
  if (!isObject(value)) throw bad("expected a JSON object");
  if (value.v !== HELLO_VERSION) throw bad(`'v' must be ${HELLO_VERSION}`);
  let node_id: string;
  try {
    node_id = checkNodeId(value.node_id, "node_id");
  } catch {
    throw bad(`'node_id' must be 1 to ${MAX_NODE_ID_CHARS} printable ASCII characters`);
  }
  const proof = value.proof;
  if (proof !== null && (typeof proof !== "string" || !PROOF.test(proof))) {
    throw bad("'proof' must be null or an HMAC-SHA256 in unpadded base64url");
  }
  return { v: HELLO_VERSION, node_id, proof };
}

/** Canonical text of a host (IPv4/IPv6 literals normalised by the URL parser), or null. */
function canonicalHost(host: string): string | null {
  try {
    const bracketed = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
    return new URL(`http://${bracketed}/`).hostname.toLowerCase();
  } catch {
    return null;
  }
}

function isIpLiteral(canonical: string): boolean {
  return canonical.startsWith("[") || /^\d{1,3}(\.\d{1,3}){3}$/.test(canonical);
}

/** Where this node listens, as the membership answer needs it. */
export interface OwnAddresses {
  /** The bound host (`0.0.0.0`/`::` for every interface). */
  host: string;
  /** The bound port. */
  port: number;
  /** This machine's interface addresses, used on a wildcard bind. */
  interfaces: () => string[];
}

/**
 * Whether `target` (the `host:port` a peer dialled) is this node: the port must be the
 * bound port, and an IP literal must be the bound address (or, on a wildcard bind, one
 * of this machine's interface addresses). A DNS name is accepted on the right port:
 * mDNS peers are always dialled by IP, and a name was given by the operator.
 *
 * @example
 * ```ts
 * import { targetIsOwn } from "./membership.ts";
 * const self = { host: "0.0.0.0", port: 7700, interfaces: () => ["10.0.0.2", "127.0.0.1"] };
 * console.assert(targetIsOwn("10.0.0.2:7700", self));
 * console.assert(!targetIsOwn("10.0.0.9:7700", self));
 * console.assert(!targetIsOwn("10.0.0.2:7701", self));
 * ```
 */
export function targetIsOwn(target: string, self: OwnAddresses): boolean {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(target);
  if (!match || Number(match[2]) !== self.port) return false;
  const host = canonicalHost(match[1]);
  if (host === null) return false;
  if (!isIpLiteral(host)) return true;
  // A relay on this machine's loopback is already on the machine.
  if (isLoopbackHost(host) && isLoopbackHost(self.host)) return true;
  const wildcard = self.host === "0.0.0.0" || self.host === "::" || self.host === "[::]";
  const own = wildcard ? self.interfaces() : [self.host];
  return own.some((address) => canonicalHost(address) === host);
}
