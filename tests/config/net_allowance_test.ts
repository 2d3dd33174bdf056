import assert from "node:assert/strict";
import {
  describeAllowance,
  LOOPBACK_GRANT,
  type NetAllowance,
  netGrant,
  parseNetAllowance,
} from "../../lib/config/net_allowance.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

const PARSED: Array<[input: string, expected: NetAllowance]> = [
  ["", { kind: "any" }],
  [" , ", { kind: "any" }],
  ["0.0.0.0", { kind: "any" }],
  ["::", { kind: "any" }],
  ["[::]", { kind: "any" }],
  ["*", { kind: "any" }],
  // One "any" entry makes the whole allowance "any".
  ["10.0.0.0/8,0.0.0.0", { kind: "any" }],
  ["10.0.0.0/8", { kind: "list", hosts: ["10.0.0.0/8"] }],
  ["10.0.0.0/8,192.168.1.5", { kind: "list", hosts: ["10.0.0.0/8", "192.168.1.5"] }],
  [" 192.168.1.5 , ,node.lan:7700 ", { kind: "list", hosts: ["192.168.1.5", "node.lan:7700"] }],
  ["192.168.0.0/16,10.1.2.3:7701", { kind: "list", hosts: ["192.168.0.0/16", "10.1.2.3:7701"] }],
  ["[fe80::1]", { kind: "list", hosts: ["[fe80::1]"] }],
  ["[fe80::1]:7700", { kind: "list", hosts: ["[fe80::1]:7700"] }],
  ["0.0.0.0/0", { kind: "list", hosts: ["0.0.0.0/0"] }],
  ["localhost", { kind: "list", hosts: ["localhost"] }],
];

for (const [input, expected] of PARSED) {
  Deno.test(`parseNetAllowance() parses ${JSON.stringify(input)}`, () => {
    assert.deepEqual(parseNetAllowance(input), expected);
  });
}

const REJECTED: string[] = [
  "bad host!",
  "http://10.0.0.1",
  "10.0.0.1/",
  "10.0.0.0/8/8",
  "host:port",
  "fe80::1", // a bare IPv6 literal needs brackets
  "a,b c",
  "user@host",
  // Entries Deno's permission system refuses (verified with `new Worker(..., { deno:
  // { permissions: { net: [entry] } } })` and `deno run --allow-net=entry`): the
  // config must reject them at start-up instead of failing when the worker starts.
  "10.0.0.0/33",
  "fd00::/8",
  "node.lan:99999",
];

for (const input of REJECTED) {
  Deno.test(`parseNetAllowance() rejects ${JSON.stringify(input)} with a RangeError`, () => {
    assert.throws(() => parseNetAllowance(input), (err: unknown) => {
      assert.ok(err instanceof RangeError, `expected a RangeError, got ${err}`);
      assert.match(err.message, /^Cannot parse --allow-net entry '/);
      assert.match(err.message, /expected a host, host:port or CIDR range$/);
      return true;
    });
  });
}

Deno.test("parseNetAllowance() names the first bad entry in its message", () => {
  assert.throws(
    () => parseNetAllowance("10.0.0.1, bad!entry ,also bad"),
    /entry 'bad!entry'/,
  );
});

const GRANTS: Array<
  [name: string, allow: NetAllowance, host: string, port: number, expected: true | string[]]
> = [
  ["any", { kind: "any" }, "0.0.0.0", 7700, true],
  ["any on loopback", { kind: "any" }, "127.0.0.1", 7700, true],
  ["loopback on 127.0.0.1", { kind: "loopback" }, "127.0.0.1", 7700, [...LOOPBACK_GRANT]],
  ["loopback on localhost", { kind: "loopback" }, "localhost", 7700, [...LOOPBACK_GRANT]],
  ["loopback on [::1]", { kind: "loopback" }, "::1", 7700, [...LOOPBACK_GRANT]],
  [
    "a non-loopback bind adds the bind address",
    { kind: "loopback" },
    "0.0.0.0",
    7700,
    [...LOOPBACK_GRANT, "0.0.0.0:7700"],
  ],
  [
    "an IPv6 bind address is bracketed",
    { kind: "loopback" },
    "::",
    7701,
    [...LOOPBACK_GRANT, "[::]:7701"],
  ],
  [
    "a list adds its entries after the bind address",
    { kind: "list", hosts: ["10.0.0.0/8", "192.168.1.5:7700"] },
    "192.168.1.2",
    7700,
    [...LOOPBACK_GRANT, "192.168.1.2:7700", "10.0.0.0/8", "192.168.1.5:7700"],
  ],
  [
    "a list on loopback",
    { kind: "list", hosts: ["10.0.0.0/8"] },
    "127.0.0.1",
    7700,
    [...LOOPBACK_GRANT, "10.0.0.0/8"],
  ],
  [
    "duplicates are dropped",
    { kind: "list", hosts: ["localhost", "10.0.0.0/8", "10.0.0.0/8"] },
    "127.0.0.1",
    7700,
    [...LOOPBACK_GRANT, "10.0.0.0/8"],
  ],
];

for (const [name, allow, host, port, expected] of GRANTS) {
  Deno.test(`netGrant() handles ${name}`, () => {
    assert.deepEqual(netGrant(allow, host, port), expected);
  });
}

Deno.test("netGrant() never hands out the shared LOOPBACK_GRANT array itself", () => {
  const grant = netGrant({ kind: "loopback" }, "127.0.0.1", 7700);
  assert.ok(Array.isArray(grant));
  assert.notEqual(grant, LOOPBACK_GRANT);
  grant.push("10.0.0.1");
  assert.deepEqual([...LOOPBACK_GRANT], ["127.0.0.0/8", "[::1]", "localhost"]);
});

Deno.test("netGrant() accepts every allowance parseNetAllowance() returns", () => {
  for (const input of ["0.0.0.0", "10.0.0.0/8,[fe80::1]:7700"]) {
    const grant = netGrant(parseNetAllowance(input), "0.0.0.0", 7700);
    assert.ok(grant === true || grant.includes("0.0.0.0:7700"));
  }
});

const DESCRIBED: Array<[allow: NetAllowance, expected: string]> = [
  [{ kind: "loopback" }, "loopback"],
  [{ kind: "any" }, "any"],
  [{ kind: "list", hosts: ["10.0.0.0/8", "h:1"] }, "10.0.0.0/8,h:1"],
];

for (const [allow, expected] of DESCRIBED) {
  Deno.test(`describeAllowance() describes ${allow.kind} as ${expected}`, () => {
    assert.equal(describeAllowance(allow), expected);
  });
}

/** Starts a worker with `net` as its grant; resolves "started" or the refusal message. */
async function startWorkerWith(net: true | string[]): Promise<string> {
  const url = new URL("./_grant_worker.ts", import.meta.url);
  let worker: Worker;
  try {
    worker = new Worker(url, {
      type: "module",
      deno: { permissions: { net, read: [new URL(".", import.meta.url).pathname] } },
    });
  } catch (err) {
    return `refused: ${(err as Error).message}`;
  }
  try {
    return await withTimeout(
      new Promise<string>((resolve) => {
        worker.onmessage = (e) => resolve(String(e.data));
        worker.onerror = (e) => {
          e.preventDefault();
          resolve(`error: ${e.message}`);
        };
      }),
      { ms: 30_000, waitingFor: `the report of a worker granted ${net}` },
    );
  } finally {
    worker.terminate();
  }
}

Deno.test("netGrant() of every accepted --allow-net value is a grant Deno accepts", async () => {
  for (
    const input of [
      "10.0.0.0/8",
      "10.0.0.0/8,192.168.1.5",
      "192.168.0.0/16,10.1.2.3:7701,node.lan:7700",
      "[fe80::1]",
      "[fe80::1]:7700",
      "0.0.0.0/0",
      "0.0.0.0",
    ]
  ) {
    const grant = netGrant(parseNetAllowance(input), "0.0.0.0", 7700);
    assert.equal(await startWorkerWith(grant), "started", `grant of ${input}`);
  }
});

Deno.test("new Worker() refuses the net entries parseNetAllowance() must reject", async () => {
  // Grounds the rejection cases above: these pass the config's syntax check today but
  // make the network worker fail to start.
  for (const entry of ["10.0.0.0/33", "fd00::/8", "node.lan:99999"]) {
    assert.match(await startWorkerWith([entry]), /^refused: /, entry);
  }
});
