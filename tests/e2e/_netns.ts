/**
 * A small network-namespace test bed: namespaces joined to the root namespace by veth
 * pairs, each with its own /30, removed again even when a test fails. Traffic stays on
 * addresses this module assigns inside namespaces it created.
 *
 * @module
 */

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

async function ip(...args: string[]): Promise<void> {
  const out = await new Deno.Command("ip", { args, stderr: "piped", stdout: "null" }).output();
  if (!out.success) {
    throw new Error(`ip ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
}

/**
 * Why namespaces cannot be made here, or null when they can (root and `ip` present,
 * and a probe namespace can be created).
 */
export async function netnsUnavailable(): Promise<string | null> {
  if (Deno.uid() !== 0) return "network namespaces need root";
  try {
    const name = `swarm-probe-${crypto.randomUUID().slice(0, 6)}`;
    await ip("netns", "add", name);
    await ip("netns", "del", name);
    return null;
  } catch (err) {
    return `cannot create network namespaces: ${(err as Error).message}`;
  }
}

let counter = 0;

/**
 * Creates a namespace linked to the root namespace by a veth pair with addresses in
 * 10.213.N.0/30 (N picked per call), loopback up in the namespace.
 */
export async function createNamespace(): Promise<TestNamespace> {
  const tag = `${Deno.pid % 1000}${counter++}`;
  const name = `swarm-e2e-${tag}`;
  const subnet = (Deno.pid + counter * 7) % 250 + 1;
  const hostIf = `sw${tag}h`.slice(0, 15);
  const nsIf = `sw${tag}n`.slice(0, 15);
  const hostAddress = `10.213.${subnet}.1`;
  const nsAddress = `10.213.${subnet}.2`;
  const remove = async () => {
    await ip("netns", "del", name).catch(() => {});
    await ip("link", "del", hostIf).catch(() => {});
  };
  try {
    await ip("netns", "add", name);
    await ip("link", "add", hostIf, "type", "veth", "peer", "name", nsIf);
    await ip("link", "set", nsIf, "netns", name);
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
