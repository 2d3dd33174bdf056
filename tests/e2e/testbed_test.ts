/**
 * The multi-node test bed itself: namespaces on a bridge that carries multicast between
 * hosts, nodes reachable from the root namespace that can be paused, cut off and killed,
 * nothing left behind (by `remove()`, the `unload` handler, or the sweep after a crash),
 * and the avahi harness with a real avahi-daemon.
 */
import { strict as assert } from "node:assert";
import { avahiUnavailable, parseBrowseLine, startAvahi, unescapeAvahi } from "./_avahi.ts";
import { ip, sweepLeftovers } from "./_netns.ts";
import { FIXTURE_SKILLS, waitFor } from "./_node.ts";
import { createTestbed, nodeControl, testbedUnavailable, type TestHost } from "./_testbed.ts";
import { exitWithin, outputWithin, withTimeout } from "../_helpers/with_timeout.ts";

const unavailable = await testbedUnavailable();
if (unavailable) console.log(`testbed_test skipped: ${unavailable}`);
const noAvahi = unavailable ?? await avahiUnavailable();
if (noAvahi && !unavailable) console.log(`testbed_test avahi tests skipped: ${noAvahi}`);
const TOKEN = "testbed-token";
const TESTBED_URL = new URL("./_testbed.ts", import.meta.url).href;

/** Namespaces and links currently present. */
async function present(): Promise<{ namespaces: string[]; links: string[] }> {
  return {
    namespaces: (await ip("netns", "list")).split("\n").map((l) => l.split(" ")[0]),
    links: (await ip("-o", "link", "show")).split("\n")
      .map((l) => (l.split(": ")[1] ?? "").split("@")[0]),
  };
}

/** Runs `code` with `deno eval` inside `host`, with `env`; stdout and stderr piped. */
function denoEvalIn(host: TestHost, code: string, env: Record<string, string>) {
  return new Deno.Command(host.exec[0], {
    args: [...host.exec.slice(1), Deno.execPath(), "eval", code],
    env: { DENO_NO_UPDATE_CHECK: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

// Neither end names an interface: the kernel picks it from the host's multicast route,
// as mDNS stacks do by default.
const RECEIVER = `
import dgram from "node:dgram";
const socket = dgram.createSocket({ type: "udp4", reuseAddr: true });
const timer = setTimeout(() => socket.close(), 5000);
socket.on("message", (msg, from) => {
  console.log(JSON.stringify({ msg: String(msg), from: from.address }));
  clearTimeout(timer);
  socket.close();
});
socket.bind(5353, () => socket.addMembership("224.0.0.251"));
`;

const SENDER = `
import dgram from "node:dgram";
const socket = dgram.createSocket("udp4");
socket.bind(() => {
  let sent = 0;
  const timer = setInterval(() => {
    socket.send("hello from " + Deno.env.get("ADDR"), 5353, "224.0.0.251");
    if (++sent >= 50) { clearInterval(timer); socket.close(); }
  }, 100);
});
`;

Deno.test({
  name: "createTestbed() builds namespaces on a bridge and remove() deletes them all",
  ignore: unavailable !== null,
  async fn() {
    const bed = await createTestbed({ nodes: 3 });
    try {
      assert.match(bed.cidr, /^10\.214\.\d+\.0\/24$/);
      const prefix = bed.cidr.replace(/\.0\/24$/, "");
      assert.deepEqual(bed.hosts.map((h) => h.address), [1, 2, 3].map((i) => `${prefix}.${i}`));
      assert.equal(bed.bridgeAddress, `${prefix}.254`);
      const now = await present();
      for (const host of bed.hosts) {
        assert.ok(host.name.startsWith(`swtb-${Deno.pid}-`), host.name);
        assert.ok(now.namespaces.includes(host.name), host.name);
        assert.match(
          await ip("-n", host.name, "route", "show", "224.0.0.0/4"),
          new RegExp(`dev ${host.ifname}`),
        );
        assert.doesNotMatch(await ip("-n", host.name, "addr"), /inet6/);
        assert.match(
          await ip("link", "show", host.outerIfname),
          new RegExp(`master ${bed.bridge}`),
        );
      }
      const details = await ip("-d", "link", "show", bed.bridge);
      assert.match(details, /mcast_snooping 0/);
      assert.doesNotMatch(details.split("\n")[0], /MULTICAST/);
    } finally {
      await bed.remove();
    }
    const after = await present();
    for (const host of bed.hosts) {
      assert.ok(!after.namespaces.includes(host.name), host.name);
      assert.ok(!after.links.includes(host.outerIfname), host.outerIfname);
    }
    assert.ok(!after.links.includes(bed.bridge));
  },
});

Deno.test({
  name: "createTestbed() carries multicast from one host to another across the bridge",
  ignore: unavailable !== null,
  async fn() {
    const bed = await createTestbed({ nodes: 2 });
    try {
      const [a, b] = bed.hosts;
      const receiver = denoEvalIn(b, RECEIVER, {}).spawn();
      // Give the receiver a moment to join; the sender repeats for 5 s anyway.
      await new Promise((r) => setTimeout(r, 300));
      const sender = denoEvalIn(a, SENDER, { ADDR: a.address }).spawn();
      const out = await withTimeout(receiver.output(), {
        ms: 30_000,
        waitingFor: "the multicast receiver to finish",
        onTimeout: () => receiver.kill("SIGKILL"),
      });
      try {
        sender.kill("SIGKILL");
      } catch { /* it sent its last datagram already */ }
      await withTimeout(sender.output(), {
        ms: 10_000,
        waitingFor: "the multicast sender to exit after SIGKILL",
      });
      const received = new TextDecoder().decode(out.stdout).trim();
      assert.ok(
        received,
        `No multicast datagram arrived within 5 s: ${new TextDecoder().decode(out.stderr)}`,
      );
      assert.deepEqual(JSON.parse(received), { msg: `hello from ${a.address}`, from: a.address });
    } finally {
      await bed.remove();
    }
  },
});

/** Whether the node at `url` answers /healthz with 200 within 500 ms (rejects otherwise). */
/** A matcher for a request that got no answer within its time limit. */
const TIMED_OUT = (err: unknown) => err instanceof DOMException && err.name === "TimeoutError";

async function healthy(url: string): Promise<boolean> {
  const res = await fetch(`${url}/healthz`, {
    headers: { authorization: `Bearer ${TOKEN}` },
    signal: AbortSignal.timeout(500),
  });
  await res.body?.cancel();
  return res.status === 200;
}

Deno.test({
  name:
    "Testbed.startNode() runs nodes reachable from the root namespace; pause, cut, stop and kill -9 work",
  ignore: unavailable !== null,
  async fn() {
    const bed = await createTestbed({ nodes: 2 });
    try {
      const options = {
        args: ["--skills-dir", `${FIXTURE_SKILLS}echo-deno`],
        env: { SKILLLITE_SWARM_TOKEN: TOKEN },
      };
      const [node, other] = await Promise.all(
        bed.hosts.map((host) => bed.startNode(host, options)),
      );
      const host = node.host;
      assert.equal(new URL(node.url).hostname, host.address);
      assert.ok(await healthy(node.url));
      assert.ok(await healthy(other.url));
      assert.ok((await ip("netns", "pids", host.name)).split(/\s+/).includes(String(node.pid)));
      assert.equal((await nodeControl(node)).pid, node.pid, "found without naming the host");

      await node.pause();
      // A paused node does not answer: the probe times out.
      await assert.rejects(healthy(node.url), TIMED_OUT);
      await node.resume();
      await waitFor(() => healthy(node.url), 5_000);

      await host.cut();
      // Nor does a cut-off one.
      await assert.rejects(healthy(node.url), TIMED_OUT);
      assert.ok(await healthy(other.url), "cutting one host cut another");
      await host.heal();
      await waitFor(() => healthy(node.url), 5_000);

      await node.kill();
      assert.equal((await node.exited).signal, "SIGKILL");

      // stop() of a paused node: the SIGTERM is not left pending.
      await other.pause();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const outcome = await Promise.race([
        other.stop().then(() => "stopped"),
        new Promise((r) => timer = setTimeout(() => r("still running after 10 s"), 10_000)),
      ]);
      clearTimeout(timer);
      assert.equal(outcome, "stopped");
      assert.notEqual((await other.exited).signal, "SIGKILL");
    } finally {
      await bed.remove();
    }
  },
});

Deno.test({
  name: "sweepLeftovers() removes a bed whose process died; unload removes one not removed",
  ignore: unavailable !== null,
  async fn() {
    const script = (end: string) => `
      import { createTestbed } from "${TESTBED_URL}";
      const bed = await createTestbed({ nodes: 1 });
      console.log(JSON.stringify([bed.hosts[0].name, bed.hosts[0].outerIfname, bed.bridge]));
      ${end}
    `;
    /** Runs `script(end)` in a child, returns the names it printed, then SIGKILLs it. */
    const runAndKill = async (end: string) => {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["eval", script(end)],
        stdin: "null",
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      await withTimeout(
        (async () => {
          while (!text.includes("\n")) {
            const { value, done } = await reader.read();
            if (done) break;
            text += value;
          }
        })(),
        {
          ms: 60_000,
          waitingFor: "the child making a test bed to print its names",
          onTimeout: () => child.kill("SIGKILL"),
        },
      );
      child.kill("SIGKILL");
      await reader.cancel();
      await exitWithin(child, { ms: 10_000, what: "the test-bed child", after: "SIGKILL" });
      return JSON.parse(text) as string[];
    };

    // Killed while it waits: nothing runs its unload handler, the sweep must clean up,
    // but leave alone the bed of a live process (this one).
    const crashed = await runAndKill("await new Promise((r) => setTimeout(r, 30_000));");
    let now = await present();
    assert.ok(now.namespaces.includes(crashed[0]), "the dead process left no bed to sweep");
    const ours = await createTestbed({ nodes: 1 });
    try {
      await sweepLeftovers();
      now = await present();
      assert.ok(now.namespaces.includes(ours.hosts[0].name), "the sweep removed a live bed");
      assert.ok(now.links.includes(ours.bridge), "the sweep removed a live bridge");
    } finally {
      await ours.remove();
    }
    assert.ok(!now.namespaces.includes(crashed[0]), crashed[0]);
    for (const link of crashed.slice(1)) assert.ok(!now.links.includes(link), link);

    // Ends without remove(): its unload handler deletes the bed.
    const child = await outputWithin(Deno.execPath(), {
      args: ["eval", script("")],
      ms: 60_000,
      what: "the child making a test bed and exiting",
    });
    assert.equal(child.code, 0, new TextDecoder().decode(child.stderr));
    const names = JSON.parse(new TextDecoder().decode(child.stdout)) as string[];
    now = await present();
    assert.ok(!now.namespaces.includes(names[0]), names[0]);
    for (const link of names.slice(1)) assert.ok(!now.links.includes(link), link);
  },
});

Deno.test("parseBrowseLine() reads avahi-browse -p lines", async (t) => {
  const cases: Array<[string, ReturnType<typeof parseBrowseLine>]> = [
    ["+;eth0;IPv4;a;_x._udp;local", null],
    ["Failed to resolve service 'a'", null],
    ["-;eth0;IPv4;a\\032b;_x._udp;local", {
      event: "removed",
      key: "eth0;IPv4;a\\032b;_x._udp;local",
    }],
    [
      '=;eth0;IPv4;fake\\032peer\\059x\\.y\\\\z;_skilllite-swarm._udp;local;h.local;10.214.9.2;7700;"bin=\\195\\169" "q=a\\"b\\\\c;d" "capabilities=[\\"echo\\",\\"py\\"]"',
      {
        event: "resolved",
        key: "eth0;IPv4;fake\\032peer\\059x\\.y\\\\z;_skilllite-swarm._udp;local",
        service: {
          name: "fake peer;x.y\\z",
          type: "_skilllite-swarm._udp",
          domain: "local",
          iface: "eth0",
          host: "h.local",
          address: "10.214.9.2",
          port: 7700,
          txt: ["bin=é", 'q=a"b\\c;d', 'capabilities=["echo","py"]'],
        },
      },
    ],
    [
      "=;eth0;IPv4;n;_x._tcp;local;h.local;10.214.9.2;80;",
      {
        event: "resolved",
        key: "eth0;IPv4;n;_x._tcp;local",
        service: {
          name: "n",
          type: "_x._tcp",
          domain: "local",
          iface: "eth0",
          host: "h.local",
          address: "10.214.9.2",
          port: 80,
          txt: [],
        },
      },
    ],
  ];
  for (const [line, expected] of cases) {
    await t.step(line.slice(0, 40), () => assert.deepEqual(parseBrowseLine(line), expected));
  }
  assert.equal(unescapeAvahi("caf\\195\\169\\032\\\\"), "café \\");
});

Deno.test({
  name: "startAvahi() publishes and browses services through real avahi-daemons in two hosts",
  ignore: noAvahi !== null,
  async fn() {
    const bed = await createTestbed({ nodes: 2 });
    try {
      const [a, b] = bed.hosts;
      const [avahiA, avahiB] = await Promise.all([startAvahi(a), startAvahi(b)]);
      await assert.rejects(startAvahi(a), /already runs there/);
      const type = "_skilllite-swarm._udp";
      const txt = ['capabilities=["echo","python"]', "scheme=http"];
      const published = await avahiA.publish("fake skilllite;1", type, 7700, txt);
      assert.equal(published.name, "fake skilllite;1");

      const expected = {
        name: "fake skilllite;1",
        type,
        domain: "local",
        iface: a.ifname,
        host: `${a.name}.local`,
        address: a.address,
        port: 7700,
      };
      const local = await avahiA.browse(type);
      assert.equal(local.length, 1, avahiA.logs.join("\n"));
      assert.deepEqual({ ...local[0], txt: undefined }, { ...expected, txt: undefined });
      assert.deepEqual([...local[0].txt].sort(), [...txt].sort());

      const remote = await avahiB.browse(type, { until: (s) => s.length > 0 });
      assert.equal(remote.length, 1, avahiB.logs.join("\n"));
      assert.equal(remote[0].address, a.address);
      assert.deepEqual([...remote[0].txt].sort(), [...txt].sort());

      // Withdrawing the service sends a goodbye that the other daemon acts on at once.
      let seen = false;
      const watching = avahiB.browse(type, {
        timeoutMs: 5_000,
        until: (s) => (seen ||= s.length > 0) && s.length === 0,
      });
      await waitFor(() => Promise.resolve(seen), 3_000);
      await published.stop();
      assert.deepEqual(await watching, []);
    } finally {
      await bed.remove();
    }
  },
});
