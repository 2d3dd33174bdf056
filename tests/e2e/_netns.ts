/**
 * Network-namespace plumbing for end-to-end tests: `ip` wrappers, the naming scheme
 * that lets a later run sweep what a dead test process left behind, and a small bed of
 * one namespace joined to the root namespace by a veth pair. Traffic stays on addresses
 * these helpers assign inside namespaces they created. `_testbed.ts` builds N-node beds
 * on a bridge on top of these helpers.
 *
 * Every namespace is named `swtb-<pid>-<tag>` and every root-namespace link
 * `swtb<pid in base 36>-<tag>` (15 characters at most), `<pid>` being the test process's.
 *
 * @module
 */
import { outputWithin } from "../_helpers/with_timeout.ts";

/** Prefix of every namespace this process creates: `swtb-<pid>-`. */
export const NS_PREFIX = `swtb-${Deno.pid}-`;
/** Prefix of every root-namespace link this process creates: `swtb<pid base 36>-`. */
export const LINK_PREFIX = `swtb${Deno.pid.toString(36)}-`;

const NS_PATTERN = /^swtb-(\d+)-[0-9a-z-]+$/;
const LINK_PATTERN = /^swtb([0-9a-z]+)-[0-9a-z]+$/;

/** One namespace with a veth link to the root namespace. */
export interface TestNamespace {
  /** Namespace name, for `ip netns exec`. */
  name: string;
  /** Address of the root-namespace end of the link. */
  hostAddress: string;
  /** Address inside the namespace. */
  nsAddress: string;
  /** The /30 both ends sit in. */
  cidr: string;
  /** Prefix to run a command inside the namespace. */
  exec: string[];
  /** Deletes the namespace and its link. */
  remove(): Promise<void>;
}

/**
 * Runs `ip` with `args` and returns its stdout.
 *
 * @throws {Error} With ip's stderr when it fails.
 */
export async function ip(...args: string[]): Promise<string> {
  const out = await outputWithin("ip", { args, stdout: "piped", stderr: "piped", ms: 30_000 });
  const text = new TextDecoder();
  if (!out.success) {
    throw new Error(`ip ${args.join(" ")} failed: ${text.decode(out.stderr).trim()}`);
  }
  return text.decode(out.stdout);
}

/** Runs `ip` with `args` synchronously, ignoring failures (for `unload` handlers). */
export function ipSync(...args: string[]): void {
  try {
    new Deno.Command("ip", { args, stdout: "null", stderr: "null" }).outputSync();
  } catch { /* best effort */ }
}

/**
 * Calls `create(n)` for n = 0, 1, … until it does not fail with "File exists" (at most
 * 1000 times) and returns that n: names are claimed by creating them, so that module
 * instances of one test process never share one.
 *
 * @throws {Error} The first other failure of `create`.
 */
export async function claimName(create: (n: number) => Promise<unknown>): Promise<number> {
  for (let n = 0; n < 1000; n++) {
    try {
      await create(n);
      return n;
    } catch (err) {
      if (!/File exists/.test((err as Error).message)) throw err;
    }
  }
  throw new Error("Cannot claim a name: 1000 of them are taken");
}

/** Pids of the processes inside namespace `name` (empty when it is gone). */
export async function netnsPids(name: string): Promise<number[]> {
  const out = await ip("netns", "pids", name).catch(() => "");
  return out.split(/\s+/).filter(Boolean).map(Number);
}

function netnsPidsSync(name: string): number[] {
  try {
    const out = new Deno.Command("ip", { args: ["netns", "pids", name], stderr: "null" })
      .outputSync();
    return new TextDecoder().decode(out.stdout).split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function killQuietly(pid: number): void {
  try {
    Deno.kill(pid, "SIGKILL");
  } catch { /* gone */ }
}

/**
 * SIGKILLs every process inside namespace `name` and waits (at most `timeoutMs`) until
 * none is left, so that deleting the namespace really frees it.
 */
export async function emptyNamespace(name: string, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pids = await netnsPids(name);
  while (pids.length > 0 && Date.now() < deadline) {
    for (const pid of pids) killQuietly(pid);
    await new Promise((r) => setTimeout(r, 50));
    pids = await netnsPids(name);
  }
}

/** What the process-wide `unload` handler removes, in this order. */
const live = { namespaces: new Set<string>(), links: new Set<string>() };

/** Records namespaces and root-namespace links to delete if the process ends first. */
export function trackCleanup(kind: "namespace" | "link", name: string): void {
  (kind === "namespace" ? live.namespaces : live.links).add(name);
}

/** Forgets a namespace or link once it was deleted. */
export function untrackCleanup(kind: "namespace" | "link", name: string): void {
  (kind === "namespace" ? live.namespaces : live.links).delete(name);
}

globalThis.addEventListener("unload", () => {
  for (const name of live.namespaces) netnsPidsSync(name).forEach(killQuietly);
  for (const link of live.links) ipSync("link", "del", link);
  for (const name of live.namespaces) ipSync("netns", "del", name);
});

/**
 * Whether process `pid` exists; true when that cannot be told. Asks `test -d /proc/<pid>`
 * because Deno reads /proc only with --allow-all.
 */
export async function pidAlive(pid: number): Promise<boolean> {
  try {
    const out = await outputWithin("test", { args: ["-d", `/proc/${pid}`], ms: 30_000 });
    return out.code !== 1;
  } catch {
    return true;
  }
}

/**
 * Deletes namespaces and root-namespace links named by this scheme whose test process
 * is dead, killing what still runs inside them. Those of live processes are kept.
 */
export async function sweepLeftovers(): Promise<void> {
  const namespaces = (await ip("netns", "list").catch(() => "")).split("\n")
    .map((line) => line.split(" ")[0]);
  for (const name of namespaces) {
    const match = NS_PATTERN.exec(name);
    if (!match || await pidAlive(Number(match[1]))) continue;
    await emptyNamespace(name);
    await ip("netns", "del", name).catch(() => {});
  }
  const links = (await ip("-o", "link", "show").catch(() => "")).split("\n")
    .map((line) => (line.split(": ")[1] ?? "").split("@")[0]);
  for (const link of links) {
    const match = LINK_PATTERN.exec(link);
    if (!match || await pidAlive(parseInt(match[1], 36))) continue;
    await ip("link", "del", link).catch(() => {});
  }
}

let swept: Promise<void> | undefined;

/** {@linkcode sweepLeftovers}, once per process. */
export function sweepLeftoversOnce(): Promise<void> {
  swept ??= sweepLeftovers();
  return swept;
}

/**
 * Why namespaces cannot be made here, or null when they can (root and `ip` present,
 * and a probe namespace can be created).
 */
export async function netnsUnavailable(): Promise<string | null> {
  if (Deno.uid() !== 0) return "network namespaces need root";
  try {
    const name = `${NS_PREFIX}probe${crypto.randomUUID().slice(0, 6)}`;
    await ip("netns", "add", name);
    await ip("netns", "del", name);
    return null;
  } catch (err) {
    return `cannot create network namespaces: ${(err as Error).message}`;
  }
}

/**
 * Creates a namespace linked to the root namespace by a veth pair with addresses in
 * 10.213.N.0/30 (N picked per call), loopback up in the namespace. It is deleted by
 * `remove()`, or when the test process ends, or by a later run's sweep if the process
 * died.
 */
export async function createNamespace(): Promise<TestNamespace> {
  await sweepLeftoversOnce();
  const n = await claimName((n) => ip("netns", "add", `${NS_PREFIX}e${n}`));
  const tag = `e${n}`;
  const name = `${NS_PREFIX}${tag}`;
  const subnet = (Deno.pid + n * 7) % 250 + 1;
  const hostIf = `${LINK_PREFIX}${tag}`;
  const nsIf = "eth0";
  const hostAddress = `10.213.${subnet}.1`;
  const nsAddress = `10.213.${subnet}.2`;
  const remove = async () => {
    await emptyNamespace(name);
    await ip("link", "del", hostIf).catch(() => {});
    await ip("netns", "del", name).catch(() => {});
    untrackCleanup("link", hostIf);
    untrackCleanup("namespace", name);
  };
  try {
    trackCleanup("namespace", name);
    trackCleanup("link", hostIf);
    await ip("link", "add", hostIf, "type", "veth", "peer", "name", nsIf, "netns", name);
    await ip("addr", "add", `${hostAddress}/30`, "dev", hostIf);
    await ip("link", "set", hostIf, "up");
    await ip("-n", name, "addr", "add", `${nsAddress}/30`, "dev", nsIf);
    await ip("-n", name, "link", "set", nsIf, "up");
    await ip("-n", name, "link", "set", "lo", "up");
  } catch (err) {
    await remove();
    throw err;
  }
  return {
    name,
    hostAddress,
    nsAddress,
    cidr: `10.213.${subnet}.0/30`,
    exec: ["ip", "netns", "exec", name],
    remove,
  };
}
