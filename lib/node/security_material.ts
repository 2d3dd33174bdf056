/**
 * The node's security files (TLS certificate and keys, CA bundles, keyring), read by
 * the main process and handed to the network worker by message, so the worker needs
 * no file access beyond its data dir. Re-read on SIGHUP and whenever a file changes,
 * so certificates and keyrings rotate with no restart.
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import type { Config } from "../config/config.ts";
import type { ServerTls } from "../http/server.ts";
import { keyMatchesCertificate } from "../security/certificates.ts";

/** Everything the worker needs from the security files. */
export interface SecurityMaterial {
  /** What the server presents and checks clients against, when TLS is on. */
  tls?: ServerTls;
  /** CA bundle https peers are verified against, PEM; absent = system roots. */
  peerCa?: string;
  /** The keyring file's text, when `--keyring` is set. */
  keyring?: string;
}

/** The files {@link readSecurityMaterial} reads. */
export function securityFiles(config: Config): string[] {
  return [
    config.tlsCertFile,
    config.tlsKeyFile,
    config.tlsClientCaFile,
    config.tlsCaFile,
    config.keyringFile,
  ].filter((f): f is string => f !== undefined);
}

async function readPem(path: string, what: string, marker: RegExp): Promise<string> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new Error(`Cannot read ${what} '${path}': ${(err as Error).message}`);
  }
  if (!marker.test(text)) throw new Error(`${what} '${path}' holds no PEM ${marker.source}`);
  return text;
}

const CERT = /-----BEGIN CERTIFICATE-----/;
const KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/**
 * Reads the security files named by `config`.
 *
 * @throws {Error} Naming the file, when one cannot be read, holds no PEM block of the
 * expected kind, or (TLS) the key does not belong to the certificate.
 */
export async function readSecurityMaterial(config: Config): Promise<SecurityMaterial> {
  const material: SecurityMaterial = {};
  if (config.tlsCertFile && config.tlsKeyFile) {
    material.tls = {
      cert: await readPem(config.tlsCertFile, "TLS certificate", CERT),
      key: await readPem(config.tlsKeyFile, "TLS key", KEY),
    };
    // A rotation caught between writing the certificate and its key must not be served.
    if (
      /-----BEGIN PRIVATE KEY-----/.test(material.tls.key) &&
      !await keyMatchesCertificate(material.tls.cert, material.tls.key).catch(() => false)
    ) {
      throw new Error(
        `TLS key '${config.tlsKeyFile}' does not belong to certificate '${config.tlsCertFile}'`,
      );
    }
    if (config.tlsClientCaFile) {
      material.tls.clientCa = await readPem(config.tlsClientCaFile, "client CA bundle", CERT);
    }
  }
  const peerCaFile = config.tlsCaFile ?? config.tlsClientCaFile;
  if (peerCaFile) {
    material.peerCa = await readPem(peerCaFile, "peer CA bundle", CERT);
  }
  if (config.keyringFile) {
    try {
      material.keyring = await Deno.readTextFile(config.keyringFile);
    } catch (err) {
      throw new Error(`Cannot read keyring '${config.keyringFile}': ${(err as Error).message}`);
    }
  }
  return material;
}

/** Options of {@link watchSecurityMaterial}. */
export interface WatchMaterialOptions {
  /** Stops watching. */
  signal: AbortSignal;
  /** Quiet time after the last change before re-reading, in ms. @default {200} */
  debounceMs?: number;
  /** Told when re-reading fails; the previous material stays in use. */
  onError: (err: Error) => void;
}

/**
 * Calls `onChange` with fresh material after SIGHUP or a change to any of the files
 * (including replacement by rename, as `swarm token` and most deploy tools write), but
 * only when the contents really changed. Never calls it concurrently.
 */
export function watchSecurityMaterial(
  config: Config,
  current: SecurityMaterial,
  onChange: (material: SecurityMaterial) => Promise<void> | void,
  options: WatchMaterialOptions,
): void {
  const files = new Set(securityFiles(config).map((f) => resolve(f)));
  if (files.size === 0) return;
  let last = JSON.stringify(current);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let chain = Promise.resolve();
  const reread = () => {
    chain = chain.then(async () => {
      try {
        const next = await readSecurityMaterial(config);
        const text = JSON.stringify(next);
        if (text === last) return;
        last = text;
        await onChange(next);
      } catch (err) {
        options.onError(err as Error);
      }
    });
  };
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(reread, options.debounceMs ?? 200);
  };
  const dirs = [...new Set([...files].map((f) => dirname(f)))];
  const watcher = Deno.watchFs(dirs, { recursive: false });
  const onHup = () => schedule();
  Deno.addSignalListener("SIGHUP", onHup);
  options.signal.addEventListener("abort", () => {
    clearTimeout(timer);
    watcher.close();
    Deno.removeSignalListener("SIGHUP", onHup);
  }, { once: true });
  (async () => {
    try {
      for await (const event of watcher) {
        if (event.paths.some((p) => files.has(resolve(p)))) schedule();
      }
    } catch (err) {
      if (!options.signal.aborted) options.onError(err as Error);
    }
  })();
}
