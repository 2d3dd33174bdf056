import assert from "node:assert/strict";
import { localAddresses } from "../../lib/discovery/local_addresses.ts";

const IFS = {
  lo: [{ address: "127.0.0.1", family: "IPv4", internal: true }],
  eth0: [
    { address: "10.0.0.2", family: "IPv4", internal: false },
    { address: "fe80::1", family: "IPv6", internal: false },
    { address: "fd00::2", family: "IPv6", internal: false },
  ],
  eth1: [{ address: "192.168.5.9", family: "IPv4", internal: false }],
};

const CASES: Array<
  [
    name: string,
    bind: string,
    iface: string | undefined,
    multicast: string | null,
    addresses: string[],
  ]
> = [
  ["a specific bind address is the only one announced", "10.0.0.2", undefined, null, ["10.0.0.2"]],
  ["0.0.0.0 announces every non-internal, non-link-local address", "0.0.0.0", undefined, null, [
    "10.0.0.2",
    "fd00::2",
    "192.168.5.9",
  ]],
  ["[::] is a wildcard too", "::", undefined, null, ["10.0.0.2", "fd00::2", "192.168.5.9"]],
  ["an interface name limits the addresses and picks its IPv4", "0.0.0.0", "eth1", "192.168.5.9", [
    "192.168.5.9",
  ]],
  ["an interface IPv4 address selects that interface", "0.0.0.0", "10.0.0.2", "10.0.0.2", [
    "10.0.0.2",
    "fd00::2",
  ]],
];

for (const [name, bind, iface, multicast, addresses] of CASES) {
  Deno.test(`localAddresses() ${name}`, () => {
    const got = localAddresses(IFS, bind, iface);
    assert.equal(got.multicastInterface, multicast);
    assert.deepEqual(got.addresses, addresses);
  });
}

Deno.test("localAddresses() refuses an unknown interface", () => {
  assert.throws(() => localAddresses(IFS, "0.0.0.0", "wlan7"), /--mdns-interface 'wlan7'/);
  assert.throws(() => localAddresses(IFS, "0.0.0.0", "lo0"), RangeError);
});
