/**
 * The TLS side of the node's outbound calls (forwards, probes, who-can-do): peers'
 * certificates are verified against the mesh CA, and the node presents its own
 * certificate, which mTLS peers require. Rebuilt when the material rotates.
 *
 * @module
 */
import type { SecurityMaterial } from "./security_material.ts";

/** How long a replaced HTTP client stays open for the requests still using it, in ms. */
const RETIRE_AFTER_MS = 180_000;

/**
 * A `fetch` that goes through a `Deno.HttpClient` built from the current TLS material.
 * Without any (no peer CA, no own certificate) it is the plain global `fetch`.
 */
export class OutboundTls {
  #client: Deno.HttpClient | undefined;
  #retiring = new Map<ReturnType<typeof setTimeout>, Deno.HttpClient>();

  /** Starts with `material`. */
  constructor(material: SecurityMaterial) {
    this.update(material);
  }

  /** Uses new material for new requests; requests under way finish on the old client. */
  update(material: SecurityMaterial): void {
    const { peerCa, tls } = material;
    const previous = this.#client;
    this.#client = peerCa || tls
      ? Deno.createHttpClient({
        ...(peerCa ? { caCerts: [peerCa] } : {}),
        ...(tls ? { cert: tls.cert, key: tls.key } : {}),
      })
      : undefined;
    if (previous) {
      const timer = setTimeout(() => {
        this.#retiring.delete(timer);
        previous.close();
      }, RETIRE_AFTER_MS);
      Deno.unrefTimer(timer);
      this.#retiring.set(timer, previous);
    }
  }

  /** `fetch` through the current client. */
  readonly fetch: typeof fetch = (input, init) =>
    this.#client ? fetch(input, { ...init, client: this.#client }) : fetch(input, init);

  /** Closes every client. */
  close(): void {
    for (const [timer, client] of this.#retiring) {
      clearTimeout(timer);
      client.close();
    }
    this.#retiring.clear();
    this.#client?.close();
    this.#client = undefined;
  }
}
