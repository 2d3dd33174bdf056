/**
 * The node's listening socket in its three shapes: plain HTTP and HTTPS through
 * `Deno.serve`, and HTTPS with client certificates (mTLS) through `node:https`, which
 * alone can ask for and verify them (DESIGN.md §1). Certificates reload in place, so
 * they can be rotated with no restart and no refused request.
 *
 * @module
 */
import https from "node:https";
import type { TLSSocket } from "node:tls";
import { getRequestListener } from "@hono/node-server";
import { type ClientCertificate, hostAllowed } from "../security/mod.ts";
import { SwarmError } from "../protocol/mod.ts";

/** Default of {@link HttpServerOptions.headerTimeoutMs}. */
export const DEFAULT_HEADER_TIMEOUT_MS = 10_000;
/** Default of {@link HttpServerOptions.requestTimeoutMs}. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** PEM material the server presents and, for mTLS, checks client certificates against. */
export interface ServerTls {
  /** Certificate chain served, PEM. */
  cert: string;
  /** Private key of `cert`, PEM. */
  key: string;
  /** CA bundle client certificates must chain to, PEM; absent = no client certificates. */
  clientCa?: string;
}

/** What the transport knows about the caller, handed to the app as its `env`. */
export interface Caller {
  /** Remote IP address. */
  remoteAddress: string;
  /** The client certificate verified by mTLS, when there was one. */
  clientCert?: ClientCertificate;
}

/** A request handler: Hono's `app.fetch` takes this shape. */
export type Handler = (request: Request, caller: Caller) => Response | Promise<Response>;

/** Options of {@link startHttpServer}. */
export interface HttpServerOptions {
  /** Address to bind. */
  hostname: string;
  /** Port to bind; 0 picks a free one. */
  port: number;
  /** TLS material; absent = plain HTTP. */
  tls?: ServerTls;
  /** Largest header block accepted by the mTLS transport, in bytes. */
  maxHeaderBytes?: number;
  /**
   * Time a client has to send its whole header block, in ms, after which the connection
   * is closed (slowloris). Enforced by the mTLS transport (`node:https`); `Deno.serve`
   * offers no such limit (denoland/deno#3515).
   *
   * @default {DEFAULT_HEADER_TIMEOUT_MS}
   */
  headerTimeoutMs?: number;
  /**
   * Time a client has to send its whole request (headers and body), in ms, on the mTLS
   * transport. The body deadline of every transport is the body reader's
   * (`readBodyText`). Never limits how long the answer takes.
   *
   * @default {DEFAULT_REQUEST_TIMEOUT_MS}
   */
  requestTimeoutMs?: number;
  /**
   * Host names accepted in `Host` besides the loopback ones when the bind is loopback
   * (DNS-rebinding guard); `"*"` turns the check off. Ignored on other binds.
   *
   * @default {[]}
   */
  allowedHosts?: readonly string[];
  /** Answers each request. */
  handler: Handler;
}

/** A listening server. */
export interface HttpServer {
  /** `http` or `https`. */
  readonly scheme: "http" | "https";
  /** Whether client certificates are required. */
  readonly mtls: boolean;
  /** The bound address. */
  readonly addr: { hostname: string; port: number };
  /**
   * Serves new connections with new TLS material; connections already open finish on
   * the old. Rejects (and keeps the old material) when the new one is unusable.
   */
  reload(tls: ServerTls): Promise<void>;
  /** Stops accepting and resolves when open requests have finished. */
  shutdown(): Promise<void>;
}

/**
 * Starts the server in the shape `options.tls` asks for.
 *
 * @throws {Error} When the address cannot be bound or the TLS material is unusable.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const guarded = { ...options, handler: guardHost(options) };
  if (options.tls?.clientCa) return await startMutualTls(guarded, options.tls);
  return await startDenoServe(guarded);
}

/**
 * The handler behind the DNS-rebinding guard: on a loopback bind, a request whose
 * `Host` is not a loopback name (nor an allowed one) is answered 421 `misdirected`
 * before the app sees it.
 */
function guardHost(options: HttpServerOptions): Handler {
  const { handler, hostname, allowedHosts = [] } = options;
  return (request, caller) => {
    const host = request.headers.get("host");
    if (hostAllowed(host, { bindHost: hostname, allowedHosts })) return handler(request, caller);
    const refusal = new SwarmError(
      "misdirected",
      "Host header does not name this loopback node (DNS rebinding guard): use localhost or 127.0.0.1, or add the name with --allowed-host",
      { reason: "host_not_allowed" },
    );
    return Response.json(refusal.toBody(), { status: refusal.status });
  };
}

async function startDenoServe(options: HttpServerOptions): Promise<HttpServer> {
  const { hostname, handler } = options;
  const serve = async (port: number, tls?: ServerTls) => {
    const listening = Promise.withResolvers<Deno.NetAddr>();
    const server = Deno.serve({
      hostname,
      port,
      // TLS reload binds a second listener on the same port before closing the first.
      ...(tls ? { cert: tls.cert, key: tls.key, reusePort: true } : {}),
      onListen: (addr) => listening.resolve(addr as Deno.NetAddr),
      onError: () => new Response(null, { status: 500 }),
    }, (request, info) => handler(request, { remoteAddress: info.remoteAddr.hostname }));
    const addr = await Promise.race([listening.promise, server.finished.then(() => null)]);
    if (!addr) throw new Error(`Cannot listen on ${hostname}:${port}`);
    return { server, addr };
  };
  let current = await serve(options.port, options.tls);
  const { port } = current.addr;
  return {
    scheme: options.tls ? "https" : "http",
    mtls: false,
    addr: { hostname: current.addr.hostname, port },
    async reload(tls) {
      if (!options.tls) throw new Error("Cannot load TLS material into a plain HTTP server");
      const next = await serve(port, tls);
      const previous = current;
      current = next;
      await previous.server.shutdown();
    },
    shutdown: () => current.server.shutdown(),
  };
}

async function startMutualTls(options: HttpServerOptions, tls: ServerTls): Promise<HttpServer> {
  const { hostname, port, handler } = options;
  const listener = getRequestListener(
    (request, env) => handler(request, callerOf(env.incoming.socket as TLSSocket)),
    { overrideGlobalObjects: false }, // Keep the process's Request/Response: Deno.serve needs them.
  );
  const headersTimeout = options.headerTimeoutMs ?? DEFAULT_HEADER_TIMEOUT_MS;
  const requestTimeout = Math.max(
    options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    headersTimeout,
  );
  const server = https.createServer({
    ...secureContext(tls),
    requestCert: true,
    rejectUnauthorized: true,
    ...(options.maxHeaderBytes ? { maxHeaderSize: options.maxHeaderBytes } : {}),
    headersTimeout,
    requestTimeout,
    // A client that never completes the TLS handshake is not yet "sending headers".
    handshakeTimeout: headersTimeout,
    // Timeouts are checked on this period (Node's default, 30 s, would let a slow client
    // hold its connection up to that long past its deadline).
    connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(headersTimeout / 4))),
  }, listener);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, hostname, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") {
    throw new Error(`Cannot listen on ${hostname}:${port}`);
  }
  return {
    scheme: "https",
    mtls: true,
    addr: { hostname: address.address, port: address.port },
    reload(next) {
      try {
        // setSecureContext accepts a key that does not match its certificate (every later
        // handshake would then fail): Deno's own TLS listener checks the pair, so try it.
        Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert: next.cert, key: next.key }).close();
        server.setSecureContext(
          secureContext({ ...next, clientCa: next.clientCa ?? tls.clientCa }),
        );
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err);
      }
    },
    shutdown: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

function secureContext(tls: ServerTls): { cert: string; key: string; ca?: string } {
  return { cert: tls.cert, key: tls.key, ...(tls.clientCa ? { ca: tls.clientCa } : {}) };
}

/** The caller of an mTLS connection: its address and verified certificate. */
function callerOf(socket: TLSSocket): Caller {
  const caller: Caller = { remoteAddress: socket.remoteAddress ?? "" };
  const cert = socket.authorized ? socket.getPeerCertificate() : undefined;
  if (cert && cert.fingerprint256) {
    const cn = cert.subject?.CN;
    caller.clientCert = {
      commonName: Array.isArray(cn) ? cn[0] : cn ?? "",
      fingerprint256: cert.fingerprint256,
    };
  }
  return caller;
}
