import assert from "node:assert/strict";
import { hostAllowed, hostName, isLoopbackName } from "../../lib/security/host_check.ts";

const HOSTS: Array<
  [why: string, host: string | null, bindHost: string, allowed: string[], ok: boolean]
> = [
  ["localhost with the port", "localhost:7700", "127.0.0.1", [], true],
  ["127.0.0.1 with the port", "127.0.0.1:7700", "127.0.0.1", [], true],
  ["another 127/8 address", "127.5.6.7:80", "127.0.0.1", [], true],
  ["[::1] with the port", "[::1]:7700", "::1", [], true],
  ["a .localhost name (RFC 6761)", "app.localhost:7700", "127.0.0.1", [], true],
  ["LOCALHOST in capitals", "LOCALHOST:7700", "localhost", [], true],
  ["no Host header (HTTP/1.0 tool)", null, "127.0.0.1", [], true],
  ["a rebinding name", "evil.example:7700", "127.0.0.1", [], false],
  ["a rebinding name without port", "evil.example", "127.0.0.1", [], false],
  ["0.0.0.0 (the '0.0.0.0 day' route to loopback)", "0.0.0.0:7700", "127.0.0.1", [], false],
  ["a LAN address", "192.168.1.5:7700", "127.0.0.1", [], false],
  ["localhost.evil.example", "localhost.evil.example:7700", "127.0.0.1", [], false],
  ["127.0.0.1.nip.io", "127.0.0.1.nip.io:7700", "127.0.0.1", [], false],
  ["garbage", "a b", "127.0.0.1", [], false],
  ["userinfo smuggling", "localhost@evil.example", "127.0.0.1", [], false],
  ["empty", "", "127.0.0.1", [], false],
  ["an allowed proxy name", "swarm.internal:443", "127.0.0.1", ["swarm.internal"], true],
  ["an allowed name, other case", "Swarm.Internal", "127.0.0.1", ["swarm.internal"], true],
  ["not the allowed name", "swarm.internal.evil", "127.0.0.1", ["swarm.internal"], false],
  ["'*' turns the guard off", "evil.example", "127.0.0.1", ["*"], true],
  ["LAN bind: any host (peers use addresses)", "evil.example", "0.0.0.0", [], true],
  ["LAN bind on an address", "whatever", "192.168.1.5", [], true],
];

for (const [why, host, bindHost, allowedHosts, ok] of HOSTS) {
  Deno.test(`hostAllowed(): ${why} → ${ok}`, () => {
    assert.equal(hostAllowed(host, { bindHost, allowedHosts }), ok);
  });
}

Deno.test("isLoopbackName() and hostName() agree with the examples", () => {
  const loopback: Array<[string, boolean]> = [
    ["localhost", true],
    ["localhost.", true],
    ["127.0.0.1", true],
    ["127.255.255.255", true],
    ["[::1]", true],
    ["::ffff:127.0.0.1", true],
    ["127.0.0.256", false],
    ["128.0.0.1", false],
    ["::", false],
  ];
  for (const [name, expected] of loopback) assert.equal(isLoopbackName(name), expected, name);
  const names: Array<[string, string | undefined]> = [
    ["localhost:7700", "localhost"],
    ["[::1]:7700", "[::1]"],
    ["[::1]", "[::1]"],
    ["host:99999999", undefined],
    ["a/b", undefined],
  ];
  for (const [value, expected] of names) assert.equal(hostName(value), expected, value);
});
