import assert from "node:assert/strict";
import {
  DEFAULT_LISTEN,
  formatHostPort,
  isLoopbackHost,
  type ListenAddress,
  parseListenAddress,
} from "../../lib/config/listen_address.ts";

const ACCEPTED: Array<[input: string, expected: ListenAddress]> = [
  ["7700", { host: "127.0.0.1", port: 7700 }],
  ["7701", { host: "127.0.0.1", port: 7701 }],
  [":7701", { host: "127.0.0.1", port: 7701 }],
  ["0.0.0.0:7700", { host: "0.0.0.0", port: 7700 }],
  ["localhost:7700", { host: "localhost", port: 7700 }],
  ["node-1.lan:8080", { host: "node-1.lan", port: 8080 }],
  ["192.168.1.5:0", { host: "192.168.1.5", port: 0 }],
  ["127.0.0.1:65535", { host: "127.0.0.1", port: 65535 }],
  ["[::1]:7700", { host: "::1", port: 7700 }],
  ["[::]:7700", { host: "::", port: 7700 }],
  // The bracket form accepts an IPv6 zone id (letters and '%' are allowed inside).
  ["[fe80::1%eth0]:7700", { host: "fe80::1%eth0", port: 7700 }],
  ["  9000  ", { host: "127.0.0.1", port: 9000 }],
  ["", { host: "127.0.0.1", port: 7700 }],
  ["   ", { host: "127.0.0.1", port: 7700 }],
];

for (const [input, expected] of ACCEPTED) {
  Deno.test(`parseListenAddress() parses ${JSON.stringify(input)}`, () => {
    assert.deepEqual(parseListenAddress(input), expected);
  });
}

const REJECTED: Array<[input: string, messagePart: RegExp]> = [
  ["[localhost]:7700", /expected \[IPv6\]:PORT/],
  ["[127.0.0.1]:7700", /expected \[IPv6\]:PORT/],
  ["70000", /port must be 0-65535/],
  ["65536", /port must be 0-65535/],
  ["127.0.0.1:70000", /port must be 0-65535/],
  ["-1", /expected HOST:PORT/],
  ["abc", /expected HOST:PORT/],
  ["host:abc", /port must be 0-65535/],
  ["host:", /port must be 0-65535/],
  ["host:-1", /port must be 0-65535/],
  ["::1:7700", /expected HOST:PORT/],
  ["::1", /expected HOST:PORT/],
  ["fe80::1:7700", /expected HOST:PORT/],
  ["[::1]", /expected \[IPv6\]:PORT/],
  ["[::1]:", /expected \[IPv6\]:PORT/],
  ["[::1]:99999", /port must be 0-65535/],
  ["[::1:7700", /expected \[IPv6\]:PORT/],
  ["bad_host:7700", /invalid host 'bad_host'/],
  ["http://h:7700", /expected HOST:PORT/],
  ["h o:7700", /invalid host/],
  ["1234567", /port must be 0-65535/],
];

for (const [input, messagePart] of REJECTED) {
  Deno.test(`parseListenAddress() rejects ${JSON.stringify(input)} with a RangeError`, () => {
    assert.throws(() => parseListenAddress(input), (err: unknown) => {
      assert.ok(err instanceof RangeError, `expected a RangeError, got ${err}`);
      assert.match(err.message, messagePart);
      assert.ok(err.message.includes(`'${input}'`), `message names the input: ${err.message}`);
      assert.match(err.message, /^Cannot parse listen address/);
      assert.doesNotMatch(err.message, /\.$/);
      return true;
    });
  });
}

Deno.test("parseListenAddress() returns a copy of the default, not the shared object", () => {
  const parsed = parseListenAddress("");
  parsed.port = 1;
  assert.deepEqual(DEFAULT_LISTEN, { host: "127.0.0.1", port: 7700 });
});

const LOOPBACK: Array<[host: string, loopback: boolean]> = [
  ["127.0.0.1", true],
  ["127.0.0.2", true],
  ["127.255.255.254", true],
  ["localhost", true],
  ["LOCALHOST", true],
  ["::1", true],
  ["[::1]", true],
  ["0.0.0.0", false],
  ["::", false],
  ["[::]", false],
  ["192.168.1.5", false],
  ["10.0.0.1", false],
  ["128.0.0.1", false],
  ["127.0.0", false],
  ["1127.0.0.1", false],
  ["localhost.example.com", false],
  ["example.com", false],
  ["", false],
  // Conservative: other spellings of loopback are treated as non-loopback (refused
  // without --allow-net), which fails safe.
  ["::ffff:127.0.0.1", false],
  ["0:0:0:0:0:0:0:1", false],
];

for (const [host, loopback] of LOOPBACK) {
  Deno.test(`isLoopbackHost() says ${loopback} for ${JSON.stringify(host)}`, () => {
    assert.equal(isLoopbackHost(host), loopback);
  });
}

const FORMATTED: Array<[host: string, port: number, expected: string]> = [
  ["127.0.0.1", 7700, "127.0.0.1:7700"],
  ["localhost", 80, "localhost:80"],
  ["::1", 7700, "[::1]:7700"],
  ["::", 0, "[::]:0"],
  ["fe80::1%eth0", 7700, "[fe80::1%eth0]:7700"],
];

for (const [host, port, expected] of FORMATTED) {
  Deno.test(`formatHostPort() formats ${host} ${port} as ${expected}`, () => {
    assert.equal(formatHostPort(host, port), expected);
  });
}

Deno.test("formatHostPort() round-trips through parseListenAddress()", () => {
  for (const input of ["127.0.0.1:7700", "[::1]:7701", "0.0.0.0:1", "[fe80::1%eth0]:7700"]) {
    const { host, port } = parseListenAddress(input);
    assert.equal(formatHostPort(host, port), input);
  }
});
