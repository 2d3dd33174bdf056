/**
 * mDNS tools for tests, run inside a test namespace: an independent listener
 * (`_mdns_listen_script.ts`) and a sender of hostile packets (`_mdns_inject_script.ts`).
 *
 * @module
 */
import type { TestHost } from "./_testbed.ts";

/** A packet heard on the mDNS group. */
export interface HeardPacket {
  /** Source address. */
  from: string;
  type: "query" | "response";
  /** DNS message id (the listener's own queries use 4242). */
  id: number;
  /** Every record name and name-valued data in the packet. */
  names: string[];
}

/** The listener's own query id. */
export const LISTENER_QUERY_ID = 4242;

const root = new URL("../../", import.meta.url).pathname;

/** Longest a script may run before it is killed, in milliseconds. */
const SCRIPT_TIMEOUT_MS = 60_000;

/**
 * Runs one of this folder's scripts inside `host` and returns its stdout, parsed as JSON;
 * killed (and the promise rejected) after a minute.
 */
export async function runScript(
  host: TestHost,
  script: string,
  args: string[],
): Promise<unknown> {
  const out = await new Deno.Command(host.exec[0], {
    args: [
      ...host.exec.slice(1),
      Deno.execPath(),
      "run",
      "--config",
      `${root}deno.json`,
      "--allow-net",
      "--allow-sys",
      "--allow-env",
      "--allow-read",
      `${root}tests/e2e/${script}`,
      ...args,
    ],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(SCRIPT_TIMEOUT_MS),
  }).output();
  if (!out.success) {
    throw new Error(`${script} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** Listens on the mDNS group inside `host` for `durationMs` and returns what it heard. */
export async function listenForMdns(host: TestHost, durationMs: number): Promise<HeardPacket[]> {
  return await runScript(host, "_mdns_listen_script.ts", [String(durationMs)]) as HeardPacket[];
}

/**
 * Sends hostile mDNS packets from inside `host` (see `_mdns_inject_script.ts`),
 * including a well-formed service `bad-caps` at `address:port` with invalid capabilities.
 */
export async function injectHostileMdns(
  host: TestHost,
  address: string,
  port: number,
): Promise<void> {
  await runScript(host, "_mdns_inject_script.ts", [address, String(port)]);
}
