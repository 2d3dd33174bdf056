import assert from "node:assert/strict";
import { join } from "node:path";
import { KvPeerTable, type PeerReport } from "../../lib/store/peer_table.ts";
import type { Peer } from "../../lib/routing/types.ts";

function report(id: string, extra: Partial<PeerReport> = {}): PeerReport {
  return {
    id,
    address: "127.0.0.1:7701",
    scheme: "http",
    capabilities: ["web", "calc"],
    source: "static",
    swarm: true,
    ...extra,
  };
}

/** Runs `fn` against a table over an in-memory store, closed afterwards. */
async function withTable(fn: (table: KvPeerTable, kv: Deno.Kv) => Promise<void>): Promise<void> {
  const kv = await Deno.openKv(":memory:");
  try {
    await fn(new KvPeerTable(kv), kv);
  } finally {
    kv.close();
  }
}

Deno.test("KvPeerTable.report() stores a new peer with sorted capabilities, healthy", async () => {
  await withTable(async (table) => {
    const peer = await table.report(report("n1", { load: 2 }), 1000);
    const expected: Peer = {
      id: "n1",
      address: "127.0.0.1:7701",
      scheme: "http",
      capabilities: ["calc", "web"],
      sources: ["static"],
      lastSeenMs: 1000,
      healthy: true,
      swarm: true,
      load: 2,
    };
    assert.deepEqual(peer, expected);
    assert.deepEqual(await table.list(), [expected]);
  });
});

Deno.test("KvPeerTable.report() merges sources and takes the latest address and capabilities", async () => {
  await withTable(async (table) => {
    await table.report(report("n1", { source: "static" }), 1000);
    const merged = await table.report(
      report("n1", { source: "mdns", address: "10.0.0.2:7700", capabilities: ["gpu"] }),
      2000,
    );
    assert.deepEqual(merged.sources, ["mdns", "static"]);
    assert.equal(merged.address, "10.0.0.2:7700");
    assert.deepEqual(merged.capabilities, ["gpu"]);
    assert.equal(merged.lastSeenMs, 2000);
    const again = await table.report(report("n1", { source: "static" }), 3000);
    assert.deepEqual(again.sources, ["mdns", "static"], "no duplicate source");
    assert.equal((await table.list()).length, 1);
  });
});

Deno.test("KvPeerTable.report() uses the current time when none is given", async () => {
  await withTable(async (table) => {
    const before = Date.now();
    const peer = await table.report(report("n1"));
    assert.ok(peer.lastSeenMs >= before && peer.lastSeenMs <= Date.now());
  });
});

Deno.test("KvPeerTable.report() does not modify the report's capability list", async () => {
  await withTable(async (table) => {
    const caps = ["web", "calc"];
    await table.report(report("n1", { capabilities: caps }));
    assert.deepEqual(caps, ["web", "calc"]);
  });
});

Deno.test("KvPeerTable.reportFailure() records an unknown peer as unhealthy with no capabilities", async () => {
  await withTable(async (table) => {
    await table.reportFailure(
      { id: "addr:127.0.0.1:7799", address: "127.0.0.1:7799", scheme: "http", source: "static" },
      "Connection refused",
    );
    assert.deepEqual(await table.list(), [{
      id: "addr:127.0.0.1:7799",
      address: "127.0.0.1:7799",
      scheme: "http",
      capabilities: [],
      sources: ["static"],
      lastSeenMs: 0,
      healthy: false,
      lastError: "Connection refused",
      swarm: false,
    }]);
  });
});

Deno.test("KvPeerTable.reportFailure() marks a known peer unhealthy and keeps what was known", async () => {
  await withTable(async (table) => {
    await table.report(report("n1", { source: "mdns", load: 3 }), 1000);
    await table.reportFailure(
      { id: "n1", address: "10.9.9.9:1", scheme: "https", source: "static" },
      "timeout",
    );
    const [peer] = await table.list();
    assert.deepEqual(peer, {
      id: "n1",
      address: "127.0.0.1:7701",
      scheme: "http",
      capabilities: ["calc", "web"],
      sources: ["mdns", "static"],
      lastSeenMs: 1000,
      healthy: false,
      lastError: "timeout",
      swarm: true,
      load: 3,
    });
  });
});

Deno.test("KvPeerTable.report() after a failure makes the peer healthy again and clears the error", async () => {
  await withTable(async (table) => {
    await table.reportFailure(
      { id: "n1", address: "127.0.0.1:7701", scheme: "http", source: "static" },
      "down",
    );
    const peer = await table.report(report("n1"), 5000);
    assert.equal(peer.healthy, true);
    assert.equal("lastError" in peer, false);
    assert.equal(peer.lastSeenMs, 5000);
  });
});

Deno.test("KvPeerTable.forget() drops one source and keeps the peer while another remains", async () => {
  await withTable(async (table) => {
    await table.report(report("n1", { source: "static" }));
    await table.report(report("n1", { source: "mdns" }));
    await table.forget("n1", "mdns");
    const [peer] = await table.list();
    assert.deepEqual(peer.sources, ["static"]);
    await table.forget("n1", "gossip");
    assert.deepEqual((await table.list())[0].sources, ["static"], "unknown source: no change");
    await table.forget("n1", "static");
    assert.deepEqual(await table.list(), []);
  });
});

Deno.test("KvPeerTable.forget() of an unknown peer does nothing", async () => {
  await withTable(async (table) => {
    await table.forget("ghost", "static");
    assert.deepEqual(await table.list(), []);
  });
});

Deno.test("KvPeerTable.report() with replaces removes the addr: row of the same source", async () => {
  await withTable(async (table) => {
    await table.reportFailure(
      { id: "addr:127.0.0.1:7701", address: "127.0.0.1:7701", scheme: "http", source: "static" },
      "not up yet",
    );
    await table.report(report("n1", { replaces: ["addr:127.0.0.1:7701", "n1"] }));
    const ids = (await table.list()).map((p) => p.id);
    assert.deepEqual(ids, ["n1"]);
  });
});

Deno.test("KvPeerTable.report() with replaces keeps an old row another source still reports", async () => {
  await withTable(async (table) => {
    await table.report(report("addr:127.0.0.1:7701", { source: "static", swarm: false }));
    await table.report(report("addr:127.0.0.1:7701", { source: "mdns", swarm: false }));
    await table.report(report("n1", { source: "static", replaces: ["addr:127.0.0.1:7701"] }));
    const peers = await table.list();
    assert.deepEqual(peers.map((p) => [p.id, p.sources]), [
      ["addr:127.0.0.1:7701", ["mdns"]],
      ["n1", ["static"]],
    ]);
  });
});

Deno.test("KvPeerTable.list() returns peers sorted by id", async () => {
  await withTable(async (table) => {
    for (const id of ["zeta", "alpha", "addr:10.0.0.1:7700", "Mid"]) await table.report(report(id));
    assert.deepEqual((await table.list()).map((p) => p.id), [
      "Mid",
      "addr:10.0.0.1:7700",
      "alpha",
      "zeta",
    ]);
  });
});

Deno.test("KvPeerTable.report() loses nothing under 20 concurrent reports of different peers", async () => {
  await withTable(async (table) => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => table.report(report(`n${String(i).padStart(2, "0")}`))),
    );
    assert.equal((await table.list()).length, 20);
  });
});

Deno.test("KvPeerTable.report() loses nothing under 20 concurrent reports of one peer", async () => {
  await withTable(async (table) => {
    const sources = ["static", "mdns", "gossip"] as const;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => table.report(report("n1", { source: sources[i % 3] }))),
    );
    const peers = await table.list();
    assert.equal(peers.length, 1);
    assert.deepEqual(peers[0].sources, ["gossip", "mdns", "static"]);
  });
});

Deno.test("KvPeerTable.report() loses nothing under 50 concurrent reports of one peer", async () => {
  // "Safe for concurrent use": the number of concurrent writers must not matter.
  await withTable(async (table) => {
    const sources = ["static", "mdns", "gossip"] as const;
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => table.report(report("n1", { source: sources[i % 3] }))),
    );
    const failed = results.filter((r) => r.status === "rejected");
    assert.equal(
      failed.length,
      0,
      `${failed.length} of 50 reports failed: ${
        failed.map((r) => (r as PromiseRejectedResult).reason).slice(0, 1)
      }`,
    );
    assert.deepEqual((await table.list())[0].sources, ["gossip", "mdns", "static"]);
  });
});

Deno.test("KvPeerTable survives concurrent reports and failures of one peer from several sources", async () => {
  await withTable(async (table) => {
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 10; i++) {
      work.push(table.report(report("n1", { source: i % 2 ? "mdns" : "static" })));
      work.push(
        table.reportFailure(
          { id: "n1", address: "127.0.0.1:7701", scheme: "http", source: "gossip" },
          `failure ${i}`,
        ),
      );
    }
    await Promise.all(work);
    const [peer] = await table.list();
    assert.deepEqual(peer.sources, ["gossip", "mdns", "static"]);
  });
});

Deno.test("KvPeerTable keeps its rows in a KV file across reopening", async () => {
  const dir = await Deno.makeTempDir({ prefix: "swarm-kv-test-" });
  const path = join(dir, "swarm.kv");
  try {
    const first = await Deno.openKv(path);
    try {
      const table = new KvPeerTable(first);
      await table.report(report("n1", { source: "static" }), 1000);
      await table.report(report("n1", { source: "mdns" }), 2000);
      await table.reportFailure(
        { id: "addr:127.0.0.1:7799", address: "127.0.0.1:7799", scheme: "http", source: "static" },
        "refused",
      );
    } finally {
      first.close();
    }
    const second = await Deno.openKv(path);
    try {
      const table = new KvPeerTable(second);
      const peers = await table.list();
      assert.deepEqual(peers.map((p) => [p.id, p.sources, p.healthy, p.lastSeenMs]), [
        ["addr:127.0.0.1:7799", ["static"], false, 0],
        ["n1", ["mdns", "static"], true, 2000],
      ]);
      await table.forget("n1", "mdns");
      await table.forget("addr:127.0.0.1:7799", "static");
    } finally {
      second.close();
    }
    const third = await Deno.openKv(path);
    try {
      const peers = await new KvPeerTable(third).list();
      assert.deepEqual(peers.map((p) => [p.id, p.sources]), [["n1", ["static"]]]);
    } finally {
      third.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
