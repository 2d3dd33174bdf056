/**
 * Which of this machine's addresses the node announces on mDNS.
 *
 * @module
 */

/** One address of a network interface, as `node:os` `networkInterfaces()` lists it. */
export interface InterfaceAddress {
  /** The address literal. */
  address: string;
  /** Address family as `node:os` reports it. */
  family: "IPv4" | "IPv6" | string;
  /** Whether it is a loopback (internal) address. */
  internal: boolean;
}

/** The chosen interface and the addresses to advertise. */
export interface LocalAddresses {
  /** IPv4 address of the chosen interface (for multicast membership), or null for all. */
  multicastInterface: string | null;
  /** Addresses for A/AAAA records. */
  addresses: string[];
}

const WILDCARDS = new Set(["0.0.0.0", "::", "[::]"]);

/**
 * Picks the addresses to announce: the bound host when it is a specific address,
 * else every non-internal address (IPv6 link-local excluded) of the chosen interface,
 * or of all interfaces. `iface` is an interface name or one of its IPv4 addresses.
 *
 * @throws {RangeError} When `iface` names no interface with an IPv4 address.
 * @example
 * ```ts
 * import { localAddresses } from "./local_addresses.ts";
 * const ifs = { eth0: [{ address: "10.0.0.2", family: "IPv4", internal: false }] };
 * console.assert(localAddresses(ifs, "0.0.0.0").addresses[0] === "10.0.0.2");
 * ```
 */
export function localAddresses(
  interfaces: Record<string, InterfaceAddress[] | undefined>,
  bindHost: string,
  iface?: string,
): LocalAddresses {
  let chosen = Object.entries(interfaces);
  let multicastInterface: string | null = null;
  if (iface) {
    chosen = chosen.filter(([name, addrs]) =>
      name === iface || (addrs ?? []).some((a) => a.address === iface)
    );
    const v4 = chosen.flatMap(([, addrs]) => addrs ?? []).filter((a) => a.family === "IPv4");
    multicastInterface = (v4.find((a) => a.address === iface) ?? v4[0])?.address ?? null;
    if (!multicastInterface) {
      throw new RangeError(
        `Cannot use --mdns-interface '${iface}': no such interface with an IPv4 address`,
      );
    }
  }
  if (!WILDCARDS.has(bindHost)) return { multicastInterface, addresses: [bindHost] };
  const addresses = chosen
    .flatMap(([, addrs]) => addrs ?? [])
    .filter((a) => !a.internal && !a.address.toLowerCase().startsWith("fe80:"))
    .map((a) => a.address);
  return { multicastInterface, addresses: [...new Set(addresses)] };
}
