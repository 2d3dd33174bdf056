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
import type { ClientCertificate } from "../security/grant.ts";

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
  if (options.tls?.clientCa) return await startMutualTls(options, options.tls);
  return await startDenoServe(options);
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
  const server = https.createServer({
    ...secureContext(tls),
    requestCert: true,
    rejectUnauthorized: true,
    ...(options.maxHeaderBytes ? { maxHeaderSize: options.maxHeaderBytes } : {}),
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
