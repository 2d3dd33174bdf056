/**
 * The skill-sync routes: what peers exchange (digest lists, envelopes, files by content
 * address) and what a publisher hands a node (`POST /sync/release`, `PUT /sync/blob`,
 * both needing the `publish` action). Each is declared in `route_table.ts`.
 *
 * @module
 */
import { Hono } from "hono";
import { SwarmError } from "../../protocol/mod.ts";
import { DEFAULT_MAX_ENVELOPE_BYTES, SyncRefusalError } from "../../sync/mod.ts";
import { readBodyText } from "../read_body.ts";

/** Longest node id taken from `x-swarm-node-id`. */
const MAX_NODE_ID_CHARS = 128;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** What the sync routes need from the node's skill sync. */
export interface SyncRouteDeps {
  /** Sorted digests of the release log. */
  digests(): string[];
  /** Hash of the digest list. */
  root(): string;
  /** The envelope of one release, or undefined. */
  envelope(digest: string): Promise<unknown | undefined>;
  /**
   * Takes an envelope from `from` (a peer id, or `publisher`).
   * @throws {Error} A `SyncRefusalError` when it does not verify.
   */
  receive(envelope: unknown, from: string): Promise<{
    digest: string;
    verdict: string;
    missing: string[];
  }>;
  /** A file's content, or undefined when it is not held. */
  readBlob(sha256: string): Promise<ReadableStream<Uint8Array> | undefined>;
  /**
   * Stores an uploaded file, checking its size and hash as it arrives.
   * @throws {Error} A `SyncRefusalError` (`oversize`, `hash_mismatch`).
   */
  putBlob(body: ReadableStream<Uint8Array>, sha256: string, size: number): Promise<void>;
  /** Largest file accepted, in bytes. */
  maxBlobBytes: number;
  /** The state `GET /sync/skills` shows. */
  view(): Promise<unknown>;
  /** Time a body may take to arrive, per MiB, in ms. */
  bodyTimeoutMs?: number;
}

/** Refusals that are about the release, not the request: 422 `release_refused`. */
function refused(err: unknown): never {
  if (err instanceof SyncRefusalError) {
    throw new SwarmError("release_refused", err.message, { reason: err.reason });
  }
  throw err;
}

function sha256Param(value: string | undefined, what: string): string {
  if (value === undefined || !SHA256_HEX.test(value)) {
    throw new SwarmError(
      "invalid_request",
      `Query parameter '${what}' must be 64 lowercase hex digits`,
      { field: what },
    );
  }
  return value;
}

/** Verdicts that keep a release but refuse to install it. */
const REFUSING = new Set(["rollback", "equivocation", "malformed"]);

/**
 * The sync routes: `GET /sync/digests[?root=R]`, `GET /sync/release?digest=D`,
 * `POST /sync/release`, `GET /sync/blob?sha256=H`, `PUT /sync/blob?sha256=H&size=N`,
 * `GET /sync/skills`.
 */
export function syncRoutes(deps: SyncRouteDeps): Hono {
  return new Hono()
    .get("/sync/digests", (c) => {
      const root = deps.root();
      if (c.req.query("root") === root) return c.json({ root, same: true });
      return c.json({ root, digests: deps.digests() });
    })
    .get("/sync/release", async (c) => {
      const digest = sha256Param(c.req.query("digest"), "digest");
      const envelope = await deps.envelope(digest);
      if (envelope === undefined) {
        throw new SwarmError("not_found", `This node holds no release ${digest}`);
      }
      return c.json(envelope as Record<string, unknown>);
    })
    .post("/sync/release", async (c) => {
      const text = await readBodyText(c.req.raw, DEFAULT_MAX_ENVELOPE_BYTES, {
        timeoutMs: deps.bodyTimeoutMs,
      });
      let envelope: unknown;
      try {
        envelope = JSON.parse(text);
      } catch {
        throw new SwarmError("invalid_json", "Invalid release: the body is not JSON");
      }
      const from = (c.req.header("x-swarm-node-id") ?? "").slice(0, MAX_NODE_ID_CHARS) ||
        "publisher";
      const outcome = await deps.receive(envelope, from).catch(refused);
      if (REFUSING.has(outcome.verdict)) {
        throw new SwarmError(
          "release_refused",
          `Release ${outcome.digest} is kept but not installed: ${outcome.verdict}`,
          { reason: outcome.verdict, digest: outcome.digest },
        );
      }
      return c.json(outcome);
    })
    .get("/sync/blob", async (c) => {
      const sha256 = sha256Param(c.req.query("sha256"), "sha256");
      const body = await deps.readBlob(sha256);
      if (body === undefined) {
        throw new SwarmError("not_found", `This node holds no file ${sha256}`);
      }
      return new Response(body, { headers: { "content-type": "application/octet-stream" } });
    })
    .put("/sync/blob", async (c) => {
      const sha256 = sha256Param(c.req.query("sha256"), "sha256");
      const size = Number(c.req.query("size"));
      if (!Number.isSafeInteger(size) || size < 0) {
        throw new SwarmError(
          "invalid_request",
          "Query parameter 'size' must be a non-negative integer",
          { field: "size" },
        );
      }
      if (size > deps.maxBlobBytes) {
        throw new SwarmError("payload_too_large", `File exceeds ${deps.maxBlobBytes} bytes`, {
          max_bytes: deps.maxBlobBytes,
        });
      }
      const body = c.req.raw.body ?? new Blob([]).stream();
      await deps.putBlob(body, sha256, size).catch(refused);
      return c.json({ sha256, size }, 201);
    })
    .get("/sync/skills", async (c) => c.json(await deps.view() as Record<string, unknown>));
}
