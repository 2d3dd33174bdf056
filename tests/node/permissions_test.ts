import assert from "node:assert/strict";
import type { Config } from "../../lib/config/config.ts";
import { LOOPBACK_GRANT } from "../../lib/config/net_allowance.ts";
import {
  mdnsWorkerPermissions,
  type WorkerPermissions,
  workerPermissions,
} from "../../lib/node/permissions.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

type Input = Pick<Config, "listen" | "allowNet" | "dataDir">;

const CASES: Array<[name: string, input: Input, expected: WorkerPermissions]> = [
  [
    "loopback with a data dir",
    {
      listen: { host: "127.0.0.1", port: 7700 },
      allowNet: { kind: "loopback" },
      dataDir: "/var/lib/swarm/7700",
    },
    {
      net: [...LOOPBACK_GRANT],
      read: ["/var/lib/swarm/7700"],
      write: ["/var/lib/swarm/7700"],
      env: ["LOG_STREAM", "LOG_TOKENS"],
      run: false,
      sys: false,
      ffi: false,
    },
  ],
  [
    "any host",
    { listen: { host: "0.0.0.0", port: 7700 }, allowNet: { kind: "any" }, dataDir: "/d" },
    {
      net: true,
      read: ["/d"],
      write: ["/d"],
      env: ["LOG_STREAM", "LOG_TOKENS"],
      run: false,
      sys: ["networkInterfaces"],
      ffi: false,
    },
  ],
  [
    "a host list on a 0.0.0.0 bind (the bind address is added)",
    {
      listen: { host: "0.0.0.0", port: 7711 },
      allowNet: { kind: "list", hosts: ["10.0.0.0/8"] },
      dataDir: "/d",
    },
    {
      net: [...LOOPBACK_GRANT, "0.0.0.0:7711", "10.0.0.0/8"],
      read: ["/d"],
      write: ["/d"],
      env: ["LOG_STREAM", "LOG_TOKENS"],
      run: false,
      sys: ["networkInterfaces"],
      ffi: false,
    },
  ],
  [
    "a host list on loopback",
    {
      listen: { host: "127.0.0.1", port: 7700 },
      allowNet: { kind: "list", hosts: ["192.168.1.5:7700"] },
      dataDir: "/d",
    },
    {
      net: [...LOOPBACK_GRANT, "192.168.1.5:7700"],
      read: ["/d"],
      write: ["/d"],
      env: ["LOG_STREAM", "LOG_TOKENS"],
      run: false,
      sys: false,
      ffi: false,
    },
  ],
  [
    ":memory: (no file access at all)",
    {
      listen: { host: "127.0.0.1", port: 7700 },
      allowNet: { kind: "loopback" },
      dataDir: ":memory:",
    },
    {
      net: [...LOOPBACK_GRANT],
      read: false,
      write: false,
      env: ["LOG_STREAM", "LOG_TOKENS"],
      run: false,
      sys: false,
      ffi: false,
    },
  ],
];

for (const [name, input, expected] of CASES) {
  Deno.test(`workerPermissions() grants ${name}`, () => {
    assert.deepEqual(workerPermissions(input), expected);
  });
}

Deno.test("workerPermissions() never grants run or ffi, env only the yaml debug switches; sys only lists interfaces on a wildcard bind", () => {
  for (const [, input] of CASES) {
    const p = workerPermissions(input);
    assert.deepEqual([p.run, p.ffi], [false, false]);
    assert.deepEqual(p.env, ["LOG_STREAM", "LOG_TOKENS"]);
    const wildcard = input.listen.host === "0.0.0.0";
    assert.deepEqual(p.sys, wildcard ? ["networkInterfaces"] : false);
  }
});

Deno.test("workerPermissions() gives a worker grant Deno accepts and enforces", async () => {
  const permissions = workerPermissions({
    listen: { host: "127.0.0.1", port: 7700 },
    allowNet: { kind: "loopback" },
    dataDir: ":memory:",
  });
  const source = `
    try {
      Deno.readTextFileSync("/etc/hostname");
      self.postMessage("read allowed");
    } catch (err) {
      self.postMessage(err.name);
    }`;
  const url = `data:application/javascript,${encodeURIComponent(source)}`;
  const worker = new Worker(url, { type: "module", deno: { permissions } });
  try {
    const message = await withTimeout(
      new Promise<string>((resolve, reject) => {
        worker.onmessage = (e) => resolve(String(e.data));
        worker.onerror = (e) => {
          e.preventDefault();
          reject(new Error(e.message));
        };
      }),
      { ms: 30_000, waitingFor: "the worker's report" },
    );
    assert.equal(message, "NotCapable", "the worker cannot read files");
  } finally {
    worker.terminate();
  }
});

Deno.test("mdnsWorkerPermissions() grants UDP 5353 and interface listing only, and Deno enforces it", async () => {
  const permissions = mdnsWorkerPermissions();
  assert.deepEqual(permissions.net, ["0.0.0.0:5353", "224.0.0.251:5353"]);
  assert.deepEqual(permissions.sys, ["networkInterfaces"]);
  for (const key of ["read", "write", "env", "run", "ffi"] as const) {
    assert.equal(permissions[key], false);
  }
  const source = `
    const out = [];
    try { Deno.readTextFileSync("/etc/hostname"); out.push("read"); } catch (e) { out.push(e.name); }
    try { Deno.listen({ hostname: "127.0.0.1", port: 0 }).close(); out.push("listen"); } catch (e) { out.push(e.name); }
    try { Deno.networkInterfaces(); out.push("interfaces"); } catch (e) { out.push(e.name); }
    self.postMessage(out.join(","));`;
  const worker = new Worker(`data:application/javascript,${encodeURIComponent(source)}`, {
    type: "module",
    deno: { permissions },
  });
  try {
    const message = await withTimeout(
      new Promise<string>((resolve, reject) => {
        worker.onmessage = (e) => resolve(String(e.data));
        worker.onerror = (e) => {
          e.preventDefault();
          reject(new Error(e.message));
        };
      }),
      { ms: 30_000, waitingFor: "the worker's report" },
    );
    assert.equal(message, "NotCapable,NotCapable,interfaces");
  } finally {
    worker.terminate();
  }
});
