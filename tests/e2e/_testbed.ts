/**
 * The multi-node test bed: N network namespaces on one Linux bridge in the root
 * namespace, each with its own address and a multicast route, so nodes started inside
 * discover each other over real mDNS and the test process reaches all of them over
 * HTTP. Nodes can be stopped, killed with -9, paused (SIGSTOP) or cut off (link down).
 *
 * Traffic stays inside the bed: addresses come from 10.214.X.0/24 with X picked per
 * bed so that concurrent runs do not clash, IPv6 is off on every bed link unless asked
 * for, the bridge does no multicast snooping, does not pass bridged frames to the host
 * firewall, and has the MULTICAST flag off so that mDNS responders of the root
 * namespace (a system avahi-daemon) ignore it. Everything is removed by `remove()`,
 * by an `unload` handler if the test process ends first, or by the next run's sweep of
 * names left by dead processes (see `_netns.ts` for the naming scheme). Needs root.
 *
 * @example
 * ```ts
 * import { createTestbed, testbedUnavailable } from "./_testbed.ts";
 * import assert from "node:assert/strict";
 *
 * if (await testbedUnavailable() === null) {
 *   const bed = await createTestbed({ nodes: 2 });
 *   try {
 *     assert.equal(bed.hosts.length, 2);
 *     assert.equal(bed.hosts[1].address, bed.cidr.replace(/0\/24$/, "2"));
 *   } finally {
 *     await bed.remove();
 *   }
 * }
 * ```
 *
 * @module
 */
import {
  claimName,
  emptyNamespace,
  ip,
  LINK_PREFIX,
  netnsPids,
  netnsUnavailable,
  NS_PREFIX,
  sweepLeftoversOnce,
  trackCleanup,
  untrackCleanup,
} from "./_netns.ts";
import { freePort, startNode, type StartNodeOptions, type TestNode } from "./_node.ts";
import { outputWithin } from "../_helpers/with_timeout.ts";

/** One namespace of a {@linkcode Testbed}. */
export interface TestHost {
  /** Namespace name, `swtb-<pid>-<n>`; also the avahi host name given to it. */
  name: string;
  /** Position in {@linkcode Testbed.hosts}. */
  index: number;
  /** IPv4 address inside the namespace: 10.214.X.(index + 1). */
  address: string;
  /** Interface name inside the namespace (`eth0`). */
  ifname: string;
  /** The root-namespace end of its veth pair, enslaved to the bridge. */
  outerIfname: string;
  /** Prefix that runs a command inside the namespace: `["ip", "netns", "exec", name]`. */
  exec: string[];
  /** Takes the root-side link down: the host keeps its address but reaches no one. */
  cut(): Promise<void>;
  /** Brings the link back up after {@linkcode TestHost.cut}. */
  heal(): Promise<void>;
  /** Runs `cleanup` when the bed is removed, before its namespaces go (last in, first run). */
  defer(cleanup: () => Promise<void>): void;
}

/** Options of {@linkcode createTestbed}. */
export interface TestbedOptions {
  /** Number of namespaces, 1 to 200. */
  nodes: number;
  /** Keep IPv6 (link-local only) on the bed's links. @default false */
  ipv6?: boolean;
}

/** Signals, pid and kill of a node process, whether or not it runs in a namespace. */
export interface NodeControl {
  /** Pid of the node process (the `deno` the launcher execs). */
  pid: number;
  /** Sends `sig` to the node process. */
  signal(sig: Deno.Signal): void;
  /**
   * SIGSTOP, resolved once the process is stopped: the node stays in the peer tables
   * of others but answers nothing.
   */
  pause(): Promise<void>;
  /** SIGCONT after {@linkcode NodeControl.pause}, resolved once the process runs again. */
  resume(): Promise<void>;
}

/**
 * A node started in a host by {@linkcode Testbed.startNode}: `stop()` (SIGTERM, also
 * when paused), `kill()` (SIGKILL), `pause()`, `resume()`, `signal()`.
 */
export interface BedNode extends TestNode, NodeControl {
  /** The host it runs in. */
  host: TestHost;
}

/** N namespaces on one bridge; see the module doc. */
export interface Testbed {
  /** The namespaces, in order. */
  hosts: TestHost[];
  /** The bed's subnet, `10.214.X.0/24`; pass it to `--allow-net`. */
  cidr: string;
  /** Bridge name (root namespace); its address is 10.214.X.254. */
  bridge: string;
  /** Address of the bridge, i.e. of the test process inside the bed. */
  bridgeAddress: string;
  /**
   * Starts a node in `host` through the real launcher, listening on `host.address`
   * with `--allow-net <cidr>` prepended to `options.args`; killed by `remove()`.
   */
  startNode(host: TestHost, options?: StartNodeOptions): Promise<BedNode>;
  /** Kills what runs in the bed and deletes its namespaces, links and bridge. */
  remove(): Promise<void>;
}

const MAX_NODES = 200;
/** Subnets X this module instance took or found taken. */
const used = new Set<number>();

let probe: Promise<string | null> | undefined;

/**
 * Why a test bed cannot be built here (not root, no `ip`, no namespaces or bridges),
 * or null when it can. Checked once per process.
 */
export function testbedUnavailable(): Promise<string | null> {
  probe ??= (async () => {
    const reason = await netnsUnavailable();
    if (reason) return reason;
    const bridge = `${LINK_PREFIX}p${crypto.randomUUID().slice(0, 4)}`;
    try {
      await ip("link", "add", bridge, "type", "bridge");
      await ip("link", "del", bridge);
      return null;
    } catch (err) {
      return `cannot create a bridge: ${(err as Error).message}`;
    }
  })();
  return probe;
}

/**
 * Gives `bridge` the address 10.214.X.254/24 for an X that no other root-namespace
 * address uses (checked again after adding it, as another test process may race) and
 * returns X.
 */
async function addSubnet(bridge: string): Promise<number> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const taken = new Set(used);
    const addresses = await ip("-o", "-4", "addr", "show");
    for (const match of addresses.matchAll(/ 10\.214\.(\d+)\./g)) taken.add(Number(match[1]));
    const free = Array.from({ length: 254 }, (_, i) => (Deno.pid + i) % 254 + 1)
      .find((x) => !taken.has(x));
    if (free === undefined) break;
    used.add(free);
    await ip("addr", "add", `10.214.${free}.254/24`, "dev", bridge);
    const holders = await ip("-o", "-4", "addr", "show", "to", `10.214.${free}.0/24`);
    if (holders.trim().split("\n").length === 1) return free;
    await ip("addr", "del", `10.214.${free}.254/24`, "dev", bridge);
  }
  throw new Error("Cannot create a test bed: no free 10.214.X.0/24 subnet");
}

/** Sets `net.ipv6.conf.<ifname>.disable_ipv6` to 1, inside a namespace when `exec` is given. */
async function disableIpv6(ifname: string, exec: string[] = []): Promise<void> {
  const [program, ...args] = [
    ...exec,
    "sh",
    "-c",
    'echo 1 > "$0"',
    `/proc/sys/net/ipv6/conf/${ifname}/disable_ipv6`,
  ];
  const out = await outputWithin(program, { args, stdout: "null", stderr: "piped", ms: 30_000 });
  if (!out.success) {
    throw new Error(
      `Cannot disable IPv6 on ${ifname}: ${new TextDecoder().decode(out.stderr).trim()}`,
    );
  }
}

/**
 * Builds a bed of `options.nodes` namespaces on a fresh bridge (see the module doc),
 * after sweeping leftovers of dead test processes.
 *
 * @throws {RangeError} When `options.nodes` is not an integer from 1 to 200.
 * @throws {Error} When `ip` fails; whatever was created is removed first.
 */
export async function createTestbed(options: TestbedOptions): Promise<Testbed> {
  const { nodes, ipv6 = false } = options;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES) {
    throw new RangeError(
      `Cannot create a test bed as 'nodes' must be an integer from 1 to ${MAX_NODES}: current value is ${nodes}`,
    );
  }
  await sweepLeftoversOnce();
  const hosts: TestHost[] = [];
  const deferred: Array<() => Promise<void>> = [];
  const started: BedNode[] = [];
  let bridge = "";
  let x: number | undefined;
  let removed = false;

  const remove = async () => {
    if (removed) return;
    removed = true;
    const failures: string[] = [];
    for (const cleanup of deferred.splice(0).reverse()) {
      await cleanup().catch((err) => failures.push(`cleanup: ${(err as Error).message}`));
    }
    await Promise.all(started.map((node) => node.kill()));
    for (const host of hosts) await removeHost(host.name, host.outerIfname, failures);
    if (bridge) {
      await ip("link", "del", bridge).catch((err) => failures.push(err.message));
      untrackCleanup("link", bridge);
    }
    if (x !== undefined) used.delete(x);
    if (failures.length) {
      throw new Error(`Test bed ${bridge} not fully removed:\n${failures.join("\n")}`);
    }
  };

  try {
    const k = await claimName((k) =>
      ip(
        "link",
        "add",
        `${LINK_PREFIX}b${k}`,
        "type",
        "bridge",
        "mcast_snooping",
        "0",
        "nf_call_iptables",
        "0",
        "nf_call_ip6tables",
        "0",
        "nf_call_arptables",
        "0",
      )
    );
    bridge = `${LINK_PREFIX}b${k}`;
    trackCleanup("link", bridge);
    if (!ipv6) await disableIpv6(bridge);
    await ip("link", "set", bridge, "multicast", "off");
    x = await addSubnet(bridge);
    await ip("link", "set", bridge, "up");
    for (let index = 0; index < nodes; index++) {
      hosts.push(await createHost(index, `10.214.${x}`, bridge, ipv6, deferred));
    }
  } catch (err) {
    await remove().catch(() => {});
    throw err;
  }
  const prefix = `10.214.${x}`;

  return {
    hosts,
    cidr: `${prefix}.0/24`,
    bridge,
    bridgeAddress: `${prefix}.254`,
    async startNode(host, startOptions = {}) {
      if (removed) throw new Error(`Cannot start a node: test bed ${bridge} was removed`);
      const port = startOptions.port ?? freePort();
      const node = await startNode({
        ...startOptions,
        port,
        host: host.address,
        prefix: host.exec,
        args: ["--allow-net", `${prefix}.0/24`, ...(startOptions.args ?? [])],
      });
      let control: NodeControl;
      try {
        control = await nodeControl(node, host);
      } catch (err) {
        await node.kill();
        throw err;
      }
      const bedNode: BedNode = {
        ...node,
        ...control,
        host,
        // SIGTERM stays pending while a process is stopped: continue it after sending.
        stop: () => {
          const code = node.stop();
          try {
            control.signal("SIGCONT");
          } catch { /* gone */ }
          return code;
        },
      };
      started.push(bedNode);
      return bedNode;
    },
    remove,
  };
}

/** Deletes a host's namespace (after killing what runs in it) and its outer link. */
async function removeHost(name: string, outerIfname: string, failures: string[]) {
  await emptyNamespace(name);
  await ip("link", "del", outerIfname).catch(() => {});
  untrackCleanup("link", outerIfname);
  await ip("netns", "del", name).catch((err) => failures.push(err.message));
  untrackCleanup("namespace", name);
}

async function createHost(
  index: number,
  prefix: string,
  bridge: string,
  ipv6: boolean,
  deferred: Array<() => Promise<void>>,
): Promise<TestHost> {
  const n = await claimName((n) => ip("netns", "add", `${NS_PREFIX}${n}`));
  const name = `${NS_PREFIX}${n}`;
  const outerIfname = `${LINK_PREFIX}v${n}`;
  const ifname = "eth0";
  const exec = ["ip", "netns", "exec", name];
  trackCleanup("namespace", name);
  trackCleanup("link", outerIfname);
  try {
    await ip("link", "add", outerIfname, "type", "veth", "peer", "name", ifname, "netns", name);
    if (!ipv6) {
      await disableIpv6("all", exec);
      await disableIpv6("default", exec);
      await disableIpv6(outerIfname);
    }
    await ip("link", "set", outerIfname, "master", bridge);
    await ip("link", "set", outerIfname, "up");
    await ip("-n", name, "link", "set", "lo", "up");
    await ip("-n", name, "addr", "add", `${prefix}.${index + 1}/24`, "dev", ifname);
    await ip("-n", name, "link", "set", ifname, "up");
    await ip("-n", name, "route", "add", "224.0.0.0/4", "dev", ifname);
  } catch (err) {
    await removeHost(name, outerIfname, []);
    throw err;
  }
  return {
    name,
    index,
    address: `${prefix}.${index + 1}`,
    ifname,
    outerIfname,
    exec,
    cut: async () => void await ip("link", "set", outerIfname, "down"),
    heal: async () => void await ip("link", "set", outerIfname, "up"),
    defer: (cleanup) => void deferred.push(cleanup),
  };
}

/** Arguments of process `pid` (empty when it is gone); via `cat`, as Deno reads /proc only with -A. */
async function cmdline(pid: number): Promise<string[]> {
  const out = await outputWithin("cat", {
    args: [`/proc/${pid}/cmdline`],
    stdout: "piped",
    stderr: "null",
    ms: 30_000,
  });
  return out.success ? new TextDecoder().decode(out.stdout).split("\0") : [];
}

/** Pids whose command line contains `text` (anywhere when `among` is absent). */
async function pidsMentioning(text: string, among?: number[]): Promise<number[]> {
  if (among?.length === 0) return [];
  const files = among ? among.map((pid) => `/proc/${pid}/cmdline`) : [];
  const out = await outputWithin("sh", {
    args: [
      "-c",
      '[ $# -gt 0 ] || set -- /proc/[0-9]*/cmdline; grep -alF -e "$0" "$@" 2>/dev/null || true',
      text,
      ...files,
    ],
    stdin: "null",
    stdout: "piped",
    ms: 30_000,
  });
  return new TextDecoder().decode(out.stdout).split("\n")
    .map((line) => /^\/proc\/(\d+)\/cmdline$/.exec(line)?.[1])
    .filter((pid) => pid !== undefined).map(Number);
}

/** Pids holding a TCP socket listening on `port` (inside `host` when given), from `ss`. */
async function listeningPids(port: number, host?: TestHost): Promise<number[]> {
  const [program, ...args] = [...(host?.exec ?? []), "ss", "-Hltnp", `sport = :${port}`];
  const out = await outputWithin(program, { args, stdout: "piped", stderr: "null", ms: 30_000 })
    .catch(() => null);
  const text = out?.success ? new TextDecoder().decode(out.stdout) : "";
  return [...new Set([...text.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])))];
}

/**
 * Finds the process of a node started with `startNode` (in `host` when given): the one
 * listening on its port (per `ss`) whose command line has its `--listen` address.
 * Returns its pid and signal helpers.
 *
 * @throws {Error} When no such process runs.
 */
export async function nodeControl(node: TestNode, host?: TestHost): Promise<NodeControl> {
  const url = new URL(node.url);
  const listen = `${url.hostname}:${node.port}`;
  let exit: Deno.CommandStatus | undefined;
  node.exited.then((status) => exit = status);
  // Bounded retries: /proc is read while processes come and go.
  for (let attempt = 0; attempt < 20 && exit === undefined; attempt++) {
    const listening = await listeningPids(node.port, host);
    const candidates = await pidsMentioning(
      listen,
      listening.length ? listening : host ? await netnsPids(host.name) : undefined,
    );
    for (const pid of candidates) {
      const args = await cmdline(pid);
      const at = args.indexOf("--listen");
      if (at >= 0 && args[at + 1] === listen) return signalsOf(pid);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const where = host ? ` in ${host.name}` : "";
  throw new Error(
    exit
      ? `Cannot find the process of node ${listen}${where}: it exited with code ${exit.code}:\n${
        [...node.rawLines, ...node.logs.map((l) => JSON.stringify(l))].join("\n")
      }`
      : `Cannot find the process of node ${listen}${where}: no process has --listen ${listen}`,
  );
}

/** The state letter of process `pid` in /proc/<pid>/stat (`T` when stopped), or null. */
async function processState(pid: number): Promise<string | null> {
  const out = await outputWithin("cat", {
    args: [`/proc/${pid}/stat`],
    stdout: "piped",
    stderr: "null",
    ms: 30_000,
  });
  if (!out.success) return null;
  const stat = new TextDecoder().decode(out.stdout);
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) || null;
}

/** Sends `sig` to `pid` and waits (at most 2 s) until its state is or is not `T`. */
async function signalAndWait(pid: number, sig: Deno.Signal, stopped: boolean): Promise<void> {
  Deno.kill(pid, sig);
  const deadline = Date.now() + 2_000;
  let state = await processState(pid);
  while ((state === "T") !== stopped && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
    state = await processState(pid);
  }
  if ((state === "T") !== stopped) {
    throw new Error(`Process ${pid} did not ${stopped ? "stop" : "continue"}: state ${state}`);
  }
}

function signalsOf(pid: number): NodeControl {
  return {
    pid,
    signal: (sig) => Deno.kill(pid, sig),
    pause: () => signalAndWait(pid, "SIGSTOP", true),
    resume: () => signalAndWait(pid, "SIGCONT", false),
  };
}
