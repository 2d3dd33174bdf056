import assert from "node:assert/strict";
import { addressScope, inIPv4Cidr, parseIp } from "../../lib/discovery/_ip.ts";

Deno.test("parseIp() accepts IPv4 and IPv6 literals and canonicalises them", () => {
  const cases: [string, string | null][] = [
    ["10.0.0.1", "10.0.0.1"],
    ["0.0.0.0", "0.0.0.0"],
    ["255.255.255.255", "255.255.255.255"],
    ["256.0.0.1", null],
    ["01.0.0.1", null],
    ["1.2.3", null],
    ["1.2.3.4.5", null],
    [" 1.2.3.4", null],
    ["::", "::"],
    ["::1", "::1"],
    ["FD00:0:0:0:0:0:0:2", "fd00::2"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["1:0:0:2:0:0:0:3", "1:0:0:2::3"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
    ["1:0:3:4:5:6:7:8", "1:0:3:4:5:6:7:8"],
    ["1::", "1::"],
    ["::ffff:10.0.0.1", "::ffff:a00:1"],
    ["::10.0.0.1", "::a00:1"],
    ["1:2:3:4:5:6:10.0.0.1", "1:2:3:4:5:6:a00:1"],
    ["1:2:3:4:5:6:7:8:9", null],
    ["1::2::3", null],
    [":1::", null],
    ["1:2:3:4:5:6:7", null],
    ["12345::", null],
    ["::g", null],
    ["fe80::1%eth0", null],
    ["[::1]", null],
    ["", null],
    [":::", null],
    ["::ffff:300.0.0.1", null],
  ];
  for (const [input, want] of cases) assert.equal(parseIp(input)?.text ?? null, want, input);
});

Deno.test("addressScope() classifies addresses", () => {
  const cases: [string, string][] = [
    ["10.0.0.1", "global"],
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["169.254.1.1", "link-local"],
    ["0.0.0.0", "unspecified"],
    ["255.255.255.255", "broadcast"],
    ["224.0.0.251", "multicast"],
    ["239.255.255.250", "multicast"],
    ["240.0.0.1", "global"],
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["fe80::1", "link-local"],
    ["febf::1", "link-local"],
    ["fec0::1", "global"],
    ["ff02::fb", "multicast"],
    ["fd00::1", "global"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:169.254.0.1", "link-local"],
  ];
  for (const [input, want] of cases) assert.equal(addressScope(parseIp(input)!), want, input);
});

Deno.test("inIPv4Cidr() tests prefix containment", () => {
  const o = (s: string) => s.split(".").map(Number);
  const cases: [string, string, number, boolean][] = [
    ["10.1.2.3", "10.0.0.0", 8, true],
    ["11.1.2.3", "10.0.0.0", 8, false],
    ["192.168.1.7", "192.168.0.0", 16, true],
    ["192.169.1.7", "192.168.0.0", 16, false],
    ["1.2.3.4", "0.0.0.0", 0, true],
    ["1.2.3.4", "1.2.3.4", 32, true],
    ["1.2.3.5", "1.2.3.4", 32, false],
    ["128.0.0.0", "0.0.0.0", 1, false],
    ["127.255.255.255", "0.0.0.0", 1, true],
    ["255.255.255.255", "255.255.255.254", 31, true],
  ];
  for (const [ip, base, prefix, want] of cases) {
    assert.equal(inIPv4Cidr(o(ip), o(base), prefix), want, `${ip} in ${base}/${prefix}`);
  }
});
