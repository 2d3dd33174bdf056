/**
 * The node's security files (TLS certificate and keys, CA bundles, keyring), read by
 * the main process and handed to the network worker by message, so the worker needs
 * no file access beyond its data dir. Re-read on SIGHUP and whenever a file changes,
 * so certificates and keyrings rotate with no restart.
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import type { Config } from "../config/mod.ts";
import type { ServerTls } from "../http/mod.ts";
import { SwarmError } from "../protocol/mod.ts";
import { keyMatchesCertificate } from "../security/mod.ts";

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
    throw setupMistake(`Cannot read ${what} '${path}': ${(err as Error).message}`);
  }
  if (!marker.test(text)) throw setupMistake(`${what} '${path}' holds no PEM ${marker.source}`);
  return text;
}

/** A security file the operator named is missing or wrong: a setup mistake (exit 2). */
function setupMistake(message: string): SwarmError {
  return new SwarmError("config_invalid", message);
}

const CERT = /-----BEGIN CERTIFICATE-----/;
const KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/**
 * Reads the security files named by `config`.
 *
 * @throws {SwarmError} `config_invalid`, naming the file, when one cannot be read,
 * holds no PEM block of the expected kind, or (TLS) the key does not belong to the
 * certificate.
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
      throw setupMistake(
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
      throw setupMistake(`Cannot read keyring '${config.keyringFile}': ${(err as Error).message}`);
    }
  }
  return material;
}

/** Default of {@link WatchMaterialOptions.reloadIntervalMs}. */
export const DEFAULT_SECURITY_RELOAD_INTERVAL_MS = 5_000;

/** Options of {@link watchSecurityMaterial}. */
export interface WatchMaterialOptions {
  /** Stops watching. */
  signal: AbortSignal;
  /** Quiet time after the last change before re-reading, in ms. @default {200} */
  debounceMs?: number;
  /**
   * Period of the backstop re-read, in ms: the files are read again this often even
   * without any file event (a watcher that missed a change, on a file system or a
   * symlink layout where events do not arrive), and applied when their content hash
   * changed. 0 = events and SIGHUP only.
   *
   * @default {DEFAULT_SECURITY_RELOAD_INTERVAL_MS}
   */
  reloadIntervalMs?: number;
  /**
   * Told when re-reading fails; the previous material stays in use. Told once per
   * distinct failure, not on every backstop re-read.
   */
  onError: (err: Error) => void;
}

/** SHA-256 (hex) of the material: what decides whether anything changed. */
export async function materialHash(material: SecurityMaterial): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(JSON.stringify(material)),
  );
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Most symlink hops followed when looking for the directories to watch. */
const MAX_LINK_HOPS = 16;

/**
 * The directories whose events may mean that `file` changed: its own directory, the
 * directory of every symlink hop on the way to the real file, and the real file's
 * directory. A symlinked file (a Kubernetes Secret's `..data` swap, a keyring shared
 * from another volume) changes where its target lives, which a watch on the link's
 * directory alone never sees.
 */
export async function watchedDirsOf(file: string): Promise<string[]> {
  const dirs = new Set([dirname(resolve(file))]);
  let path = resolve(file);
  for (let hop = 0; hop < MAX_LINK_HOPS; hop++) {
    const info = await Deno.lstat(path).catch(() => null);
    if (!info?.isSymlink) break;
    path = resolve(dirname(path), await Deno.readLink(path));
    dirs.add(dirname(path));
  }
  const real = await Deno.realPath(file).catch(() => null);
  if (real) dirs.add(dirname(real));
  return [...dirs];
}

/**
 * Calls `onChange` with fresh material after SIGHUP, a file event in any directory the
 * files or their symlink targets live in (replacement by rename, as `swarm token` and
 * most deploy tools write, and retargeted links included), and every
 * `reloadIntervalMs` as a backstop — but only when the content hash really changed.
 * Symlinks are re-resolved after every re-read, so a retargeted link is watched at its
 * new place. Never calls `onChange` concurrently.
 */
export function watchSecurityMaterial(
  config: Config,
  current: SecurityMaterial,
  onChange: (material: SecurityMaterial) => Promise<void> | void,
  options: WatchMaterialOptions,
): void {
  const files = [...new Set(securityFiles(config).map((f) => resolve(f)))];
  if (files.length === 0 || options.signal.aborted) return;
  const { signal, reloadIntervalMs = DEFAULT_SECURITY_RELOAD_INTERVAL_MS } = options;
  let last: Promise<string> = materialHash(current);
  let lastError = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  let watcher: Deno.FsWatcher | undefined;
  let watchedKey = "";
  let chain = Promise.resolve();

  /** Watches exactly `dirs` (sorted, existing), replacing the previous watcher. */
  const watchDirs = (dirs: string[]) => {
    const key = dirs.join("\0");
    if (key === watchedKey || signal.aborted) return;
    const previous = watcher;
    // The new watcher starts before the old one stops: no gap in which events are lost.
    const next = dirs.length > 0 ? Deno.watchFs(dirs, { recursive: false }) : undefined;
    watcher = next;
    watchedKey = key;
    previous?.close();
    if (!next) return;
    (async () => {
      try {
        // Any event in these directories: a link may change its target without an
        // event naming the file. A needless re-read costs one hash comparison.
        for await (const _event of next) schedule();
      } catch (err) {
        if (!signal.aborted && watcher === next) options.onError(err as Error);
      }
    })();
  };
  const isDir = (dir: string) => {
    try {
      return Deno.statSync(dir).isDirectory;
    } catch {
      return false;
    }
  };
  /** Re-resolves the symlinks and watches every directory they lead through. */
  const rewatch = async () => {
    const dirs = new Set<string>();
    for (const file of files) for (const dir of await watchedDirsOf(file)) dirs.add(dir);
    watchDirs([...dirs].filter(isDir).sort());
  };
  const reread = () => {
    chain = chain.then(async () => {
      if (signal.aborted) return;
      try {
        const next = await readSecurityMaterial(config);
        const hash = await materialHash(next);
        lastError = "";
        if (hash !== await last) {
          last = Promise.resolve(hash);
          await onChange(next);
        }
      } catch (err) {
        const message = (err as Error).message;
        if (message !== lastError) options.onError(err as Error);
        lastError = message;
      }
      await rewatch().catch((err) => options.onError(err as Error));
    });
  };
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(reread, options.debounceMs ?? 200);
  };
  const interval = reloadIntervalMs > 0 ? setInterval(reread, reloadIntervalMs) : undefined;
  const onHup = () => schedule();
  Deno.addSignalListener("SIGHUP", onHup);
  signal.addEventListener("abort", () => {
    clearTimeout(timer);
    clearInterval(interval);
    watcher?.close();
    Deno.removeSignalListener("SIGHUP", onHup);
  }, { once: true });
  // The files' own directories at once, synchronously; symlink targets right after.
  watchDirs([...new Set(files.map((f) => dirname(f)))].filter(isDir).sort());
  chain = chain.then(() => rewatch()).catch((err) => options.onError(err as Error));
}
