/**
 * Mesh membership proven by TLS: the peer's certificate must be signed by the mesh CA
 * itself. Deno's HTTP client trusts the system's roots in addition to the CA it is
 * given, so a certificate any public CA issued for an announced address would pass its
 * check; this one accepts only the mesh CA.
 *
 * @module
 */
import tls from "node:tls";

/** Options of {@link provePeerTls}. */
export interface TlsProofOptions {
  /** The mesh CA bundle, PEM: the only roots accepted. */
  ca: string;
  /** This node's certificate chain and key, presented to mTLS peers. */
  cert?: string;
  /** Private key of `cert`. */
  key?: string;
  /** Time limit of the handshake, in milliseconds. */
  timeoutMs: number;
}

/** Host and port of `host:port` (IPv6 in brackets). */
function splitAddress(address: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(address);
  if (!match) throw new TypeError(`Cannot split address '${address}': expected host:port`);
  return { host: match[1], port: Number(match[2]) };
}

/**
 * Whether the DER certificate `leaf` is signed by one of the certificates of the PEM
 * bundle `caPem` and valid at `nowMs`.
 *
 * @example
 * ```ts ignore
 * import { leafSignedBy } from "./membership_tls.ts";
 * const ok = await leafSignedBy(peerCertificateDer, Deno.readTextFileSync("pki/ca.crt"), Date.now());
 * ```
 */
export async function leafSignedBy(
  leaf: Uint8Array,
  caPem: string,
  nowMs: number,
): Promise<boolean> {
  // Loaded on first use: only nodes that prove peers by TLS pay for the X.509 code.
  const { decodePem, CERTIFICATE_TAG } = await import("./_pem.ts");
  const { x509 } = await import("./_x509.ts");
  let cert: InstanceType<typeof x509.X509Certificate>;
  try {
    cert = new x509.X509Certificate(Uint8Array.from(leaf).buffer);
  } catch {
    return false;
  }
  const now = new Date(nowMs);
  if (cert.notBefore > now || cert.notAfter < now) return false;
  for (const block of decodePem(caPem)) {
    if (block.type !== CERTIFICATE_TAG) continue;
    try {
      const ca = new x509.X509Certificate(block.rawData);
      if (await cert.verify({ publicKey: ca.publicKey, signatureOnly: true })) return true;
    } catch {
      // Not this CA (another algorithm, a malformed entry): try the next one.
    }
  }
  return false;
}

/**
 * Whether the peer at `address` serves a certificate for that address signed by the
 * mesh CA: a TLS handshake that verifies the name against the certificate and the chain
 * against `ca`, then a check that the leaf is signed by the mesh CA itself. Presents
 * this node's certificate when given (mTLS peers require one). Never throws: any
 * failure is `false`.
 */
export function provePeerTls(address: string, options: TlsProofOptions): Promise<boolean> {
  let host: string, port: number;
  try {
    ({ host, port } = splitAddress(address));
  } catch {
    return Promise.resolve(false);
  }
  const isIp = /^[\d.]+$/.test(host) || host.includes(":");
  return new Promise<boolean>((resolve) => {
    let settled = false;
    const socket = tls.connect({
      host,
      port,
      ca: [options.ca],
      rejectUnauthorized: true,
      ...(isIp ? {} : { servername: host }),
      ...(options.cert && options.key ? { cert: options.cert, key: options.key } : {}),
    });
    const finish = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), options.timeoutMs);
    socket.once("error", () => finish(false));
    socket.once("secureConnect", () => {
      const raw = socket.authorized ? socket.getPeerCertificate()?.raw : undefined;
      if (!raw) return finish(false);
      leafSignedBy(new Uint8Array(raw), options.ca, Date.now()).then(finish, () => finish(false));
    });
  });
}
