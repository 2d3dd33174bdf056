import assert from "node:assert/strict";
import { chooseAddress, formatAddress, sortAddresses } from "../../lib/discovery/address_choice.ts";
import type { NetAllowance } from "../../lib/config/net_allowance.ts";
import { parseNetAllowance } from "../../lib/config/net_allowance.ts";

const ANY: NetAllowance = { kind: "any" };
const LOOPBACK: NetAllowance = { kind: "loopback" };
const list = (...hosts: string[]): NetAllowance => ({ kind: "list", hosts });

Deno.test("sortAddresses() orders best first and canonicalises", () => {
  const cases: { name: string; input: string[]; want: string[] }[] = [
    { name: "empty", input: [], want: [] },
    { name: "IPv4 before IPv6", input: ["fd00::2", "10.0.0.2"], want: ["10.0.0.2", "fd00::2"] },
    {
      name: "global, then link-local IPv4, then loopback, then IPv6 link-local",
      input: ["fe80::1", "::1", "127.0.0.1", "169.254.3.4", "2001:db8::1", "192.168.1.2"],
      want: ["192.168.1.2", "2001:db8::1", "169.254.3.4", "127.0.0.1", "::1", "fe80::1"],
    },
    {
      name: "numeric order within a rank",
      input: ["10.0.0.10", "10.0.0.9"],
      want: ["10.0.0.9", "10.0.0.10"],
    },
    { name: "duplicates and spellings merged", input: ["FD00:0::2", "fd00::2"], want: ["fd00::2"] },
    {
      name: "non-IP text dropped",
      input: ["host.local", "10.0.0.1", "", "1.2.3"],
      want: ["10.0.0.1"],
    },
  ];
  for (const c of cases) assert.deepEqual(sortAddresses(c.input), c.want, c.name);
});

Deno.test("chooseAddress() picks the best address the allowance lets through", () => {
  const lan = ["fd00::2", "192.168.1.7", "10.1.2.3", "169.254.9.9", "127.0.0.1"];
  const cases: {
    name: string;
    addresses: string[];
    allow: NetAllowance;
    port?: number;
    want: string | null;
  }[] = [
    { name: "any: best global IPv4", addresses: lan, allow: ANY, want: "10.1.2.3" },
    {
      name: "any: IPv6 when no IPv4",
      addresses: ["fd00::2", "fe80::1"],
      allow: ANY,
      want: "fd00::2",
    },
    {
      name: "any: IPv4 link-local over loopback",
      addresses: ["127.0.0.1", "169.254.1.1"],
      allow: ANY,
      want: "169.254.1.1",
    },
    {
      name: "any: a loopback announcement is never used (it would aim the node at itself)",
      addresses: ["::1", "127.0.0.1", "fe80::1"],
      allow: ANY,
      want: null,
    },
    {
      name: "any: IPv6 link-local alone is unusable",
      addresses: ["fe80::1"],
      allow: ANY,
      want: null,
    },
    {
      name: "any: unspecified/multicast/broadcast unusable",
      addresses: ["0.0.0.0", "224.0.0.251", "255.255.255.255", "::", "ff02::fb"],
      allow: ANY,
      want: null,
    },
    { name: "any: nothing", addresses: [], allow: ANY, want: null },
    { name: "any: garbage only", addresses: ["x", "300.1.1.1"], allow: ANY, want: null },
    { name: "loopback: not even loopback", addresses: lan, allow: LOOPBACK, want: null },
    {
      name: "loopback: not IPv6 loopback",
      addresses: ["10.0.0.1", "::1"],
      allow: LOOPBACK,
      want: null,
    },
    { name: "loopback: none", addresses: ["10.0.0.1", "fd00::1"], allow: LOOPBACK, want: null },
    { name: "loopback: not 127/8", addresses: ["127.3.4.5"], allow: LOOPBACK, want: null },
    {
      name: "list: inside a CIDR",
      addresses: lan,
      allow: list("192.168.0.0/16"),
      want: "192.168.1.7",
    },
    { name: "list: CIDR /32", addresses: lan, allow: list("10.1.2.3/32"), want: "10.1.2.3" },
    {
      name: "list: CIDR /0 is everything IPv4",
      addresses: lan,
      allow: list("0.0.0.0/0"),
      want: "10.1.2.3",
    },
    {
      name: "list: CIDR /8 boundary",
      addresses: ["11.0.0.1", "10.255.255.255"],
      allow: list("10.0.0.0/8"),
      want: "10.255.255.255",
    },
    {
      name: "list: CIDR with host bits set",
      addresses: ["10.1.2.99"],
      allow: list("10.1.2.3/24"),
      want: "10.1.2.99",
    },
    {
      name: "list: /31 excludes neighbour",
      addresses: ["10.0.0.2"],
      allow: list("10.0.0.0/31"),
      want: null,
    },
    { name: "list: exact IPv4", addresses: lan, allow: list("192.168.1.7"), want: "192.168.1.7" },
    {
      name: "list: first qualifying in preference order",
      addresses: lan,
      allow: list("192.168.1.7", "10.0.0.0/8"),
      want: "10.1.2.3",
    },
    {
      name: "list: bracketed IPv6 literal",
      addresses: lan,
      allow: list("[fd00::2]"),
      want: "fd00::2",
    },
    {
      name: "list: IPv6 compared canonically",
      addresses: ["fd00::2"],
      allow: list("[FD00:0:0::2]"),
      want: "fd00::2",
    },
    { name: "list: other IPv6", addresses: ["fd00::2"], allow: list("[fd00::3]"), want: null },
    {
      name: "list: IPv6 not inside an IPv4 CIDR",
      addresses: ["fd00::2"],
      allow: list("0.0.0.0/0"),
      want: null,
    },
    {
      name: "list: host names never match an IP",
      addresses: ["10.0.0.1"],
      allow: list("peer.local", "localhost"),
      want: null,
    },
    {
      name: "list: a loopback announcement is never used, though loopback is in every list",
      addresses: ["10.0.0.1", "127.0.0.1"],
      allow: list("192.168.0.0/16"),
      want: null,
    },
    {
      name: "list: loopback skipped for a listed LAN address",
      addresses: ["127.0.0.1", "192.168.4.4"],
      allow: list("192.168.0.0/16"),
      want: "192.168.4.4",
    },
    {
      name: "list: outside every entry",
      addresses: ["172.16.0.1", "fd00::9"],
      allow: list("10.0.0.0/8", "[fd00::2]"),
      want: null,
    },
    {
      name: "list: host:port with the same port",
      addresses: ["10.0.0.5"],
      allow: list("10.0.0.5:7700"),
      port: 7700,
      want: "10.0.0.5",
    },
    {
      name: "list: host:port with another port",
      addresses: ["10.0.0.5"],
      allow: list("10.0.0.5:7700"),
      port: 7701,
      want: null,
    },
    {
      name: "list: host:port without a port given",
      addresses: ["10.0.0.5"],
      allow: list("10.0.0.5:7700"),
      want: null,
    },
    {
      name: "list: [v6]:port",
      addresses: ["fd00::2"],
      allow: list("[fd00::2]:7700"),
      port: 7700,
      want: "fd00::2",
    },
    {
      name: "list: link-local IPv4 when listed",
      addresses: ["169.254.1.1"],
      allow: list("169.254.0.0/16"),
      want: "169.254.1.1",
    },
    {
      name: "list: IPv6 link-local never",
      addresses: ["fe80::1"],
      allow: list("[fe80::1]"),
      want: null,
    },
    {
      name: "list: malformed entries match nothing",
      addresses: ["10.0.0.1"],
      allow: list("10.0.0.0/33", "10.0.0.256", "[zz]"),
      want: null,
    },
    {
      name: "list from parseNetAllowance",
      addresses: lan,
      allow: parseNetAllowance("10.0.0.0/8,192.168.1.7"),
      want: "10.1.2.3",
    },
  ];
  for (const c of cases) assert.equal(chooseAddress(c.addresses, c.allow, c.port), c.want, c.name);
});

Deno.test("formatAddress() brackets IPv6 only", () => {
  const cases: [string, number, string][] = [
    ["10.0.0.2", 7700, "10.0.0.2:7700"],
    ["fd00::2", 7700, "[fd00::2]:7700"],
    ["::1", 1, "[::1]:1"],
  ];
  for (const [ip, port, want] of cases) assert.equal(formatAddress(ip, port), want);
});
