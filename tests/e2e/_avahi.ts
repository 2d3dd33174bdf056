/**
 * A real avahi-daemon (Debian's `avahi-daemon`/`avahi-utils`, an independent mDNS/DNS-SD
 * implementation) inside one test-bed namespace, for interoperability tests:
 * `browse()` runs `avahi-browse -rp`, `publish()` runs `avahi-publish-service`.
 *
 * Each daemon gets a private D-Bus system bus (a `dbus-daemon` with a config written to a
 * temp dir, socket `<tmp>/bus`) and a private tmpfs on `/run` in its own mount namespace,
 * so its pid file `/run/avahi-daemon/pid` clashes neither with a system avahi-daemon nor
 * with another test's daemon: several can run at once, one per namespace. It only uses
 * the namespace's interface, IPv4 only, host name = the namespace name. Processes run
 * inside the namespace, so removing the bed kills them too; `stop()` ends them cleanly
 * and removes the temp dir (an `unload` handler and the next run's sweep do it otherwise).
 *
 * @example
 * ```ts
 * import { avahiUnavailable, startAvahi } from "./_avahi.ts";
 * import { createTestbed, testbedUnavailable } from "./_testbed.ts";
 * import assert from "node:assert/strict";
 *
 * if (await testbedUnavailable() === null && await avahiUnavailable() === null) {
 *   const bed = await createTestbed({ nodes: 1 });
 *   try {
 *     const avahi = await startAvahi(bed.hosts[0]);
 *     await avahi.publish("doc peer", "_doc-example._tcp", 7000, ["k=v"]);
 *     const found = await avahi.browse("_doc-example._tcp", {
 *       until: (services) => services.length > 0,
 *     });
 *     assert.equal(found[0].port, 7000);
 *     assert.deepEqual(found[0].txt, ["k=v"]);
 *   } finally {
 *     await bed.remove(); // stops avahi too
 *   }
 * }
 * ```
 *
 * @module
 */
import { pidAlive } from "./_netns.ts";
import type { TestHost } from "./_testbed.ts";
import { killOnExit } from "../_helpers/child_processes.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

/** One service as `avahi-browse -rp` resolved it. */
export interface AvahiService {
  /** Instance name, unescaped (e.g. a node id). */
  name: string;
  /** Service type, e.g. `_skilllite-swarm._udp`. */
  type: string;
  /** Domain, normally `local`. */
  domain: string;
  /** Interface it was seen on, inside the namespace. */
  iface: string;
  /** Target host name from the SRV record, e.g. `swtb-123-0.local`. */
  host: string;
  /** Resolved IPv4 address of `host`. */
  address: string;
  /** SRV port. */
  port: number;
  /** TXT strings (`key=value`), unescaped, in the order avahi-browse prints them. */
  txt: string[];
}

/** Options of {@linkcode Avahi.browse}. */
export interface BrowseOptions {
  /** Upper bound on the browse. @default 5000 */
  timeoutMs?: number;
  /**
   * Keep browsing (no `-t`) until this returns true for the services currently
   * present (services removed by a goodbye drop out), or until `timeoutMs`. Without
   * it, `avahi-browse -rpt` runs once and its list is returned.
   */
  until?: (services: AvahiService[]) => boolean;
}

/** A service kept published by `avahi-publish-service`. */
export interface AvahiPublication {
  /** The name avahi established (differs from the one asked for after a collision). */
  name: string;
  /** Ends `avahi-publish-service`; the daemon withdraws the service (goodbye). */
  stop(): Promise<void>;
}

/** A running avahi-daemon with its private bus. */
export interface Avahi {
  /** The host it runs in. */
  host: TestHost;
  /** `DBUS_SYSTEM_BUS_ADDRESS` of its private bus. */
  busAddress: string;
  /** Lines the daemon wrote to stderr so far (useful in assertion messages). */
  logs: string[];
  /** Browses `serviceType` (e.g. `_skilllite-swarm._udp`) with resolution. */
  browse(serviceType: string, options?: BrowseOptions): Promise<AvahiService[]>;
  /** Publishes a service from this daemon until `stop()` of the result (or of the daemon). */
  publish(name: string, type: string, port: number, txt?: string[]): Promise<AvahiPublication>;
  /** Ends publications, the daemon (goodbyes sent) and its bus; removes the temp dir. */
  stop(): Promise<void>;
}

const BINARIES = ["avahi-daemon", "avahi-browse", "avahi-publish-service", "dbus-daemon"];
const TMP_PREFIX = `swtb-${Deno.pid}-avahi-`;

function findBinary(name: string): string | null {
  const dirs = [...(Deno.env.get("PATH") ?? "").split(":"), "/usr/sbin", "/sbin"];
  for (const dir of dirs.filter(Boolean)) {
    try {
      if (Deno.statSync(`${dir}/${name}`).isFile) return `${dir}/${name}`;
    } catch { /* not here */ }
  }
  return null;
}

/**
 * Why avahi cannot run in a test bed here (not root, or a binary of `avahi-daemon`,
 * `avahi-utils` or `dbus-daemon` missing), or null when it can.
 */
export function avahiUnavailable(): Promise<string | null> {
  if (Deno.uid() !== 0) return Promise.resolve("avahi in a namespace needs root");
  const missing = BINARIES.filter((b) => findBinary(b) === null);
  return Promise.resolve(
    missing.length
      ? `missing ${missing.join(", ")} (Debian packages avahi-daemon, avahi-utils, dbus)`
      : null,
  );
}

/** Namespaces where this process runs an avahi-daemon (one each). */
const running = new Set<string>();
const liveDirs = new Set<string>();
globalThis.addEventListener("unload", () => {
  for (const dir of liveDirs) {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch { /* gone */ }
  }
});

let swept: Promise<void> | undefined;

/** Removes temp dirs of avahi harnesses whose test process is dead (once per process). */
function sweepTempDirs(): Promise<void> {
  swept ??= (async () => {
    const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
    for await (const entry of Deno.readDir(tmp)) {
      const match = /^swtb-(\d+)-avahi-/.exec(entry.name);
      if (match && !await pidAlive(Number(match[1]))) {
        await Deno.remove(`${tmp}/${entry.name}`, { recursive: true }).catch(() => {});
      }
    }
  })();
  return swept;
}

/** A child process whose output lines are collected, with a wait-for-line helper. */
interface Spawned {
  child: Deno.ChildProcess;
  lines: string[];
  exited: Promise<Deno.CommandStatus>;
  /** Resolves with the first line matching `pattern`, or rejects on exit or timeout. */
  waitLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it exited. */
  end(graceMs?: number): Promise<void>;
}

/** Longest wait for a killed process to be gone and its output to end. */
const KILLED_EXIT_MS = 10_000;

function spawn(argv: string[], env: Record<string, string>): Spawned {
  const [program, ...args] = argv;
  const child = new Deno.Command(program, {
    args,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  killOnExit(child);
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const exited = child.status;
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    let buffer = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      const parts = buffer.split("\n");
      buffer = parts.pop() ?? "";
      lines.push(...parts.filter((p) => p.trim()));
      waiters.forEach((w) => w());
    }
    if (buffer.trim()) lines.push(buffer);
  };
  const drained = Promise.all([collect(child.stdout), collect(child.stderr)]).catch(() => {});
  const waitLine = (pattern: RegExp, timeoutMs: number) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = lines.find((l) => pattern.test(l));
        if (line === undefined) return;
        done();
        resolve(line);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      exited.then((s) =>
        drained.then(() => {
          check();
          done();
          reject(new Error(`exited with code ${s.code}`));
        })
      );
      check();
    });
  const end = async (graceMs = 2_000) => {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }, graceMs);
    const what = `${argv.join(" ")} (PID ${child.pid})`;
    try {
      await withTimeout(exited, {
        ms: graceMs + KILLED_EXIT_MS,
        waitingFor: `${what} to exit after SIGTERM, then SIGKILL`,
      });
    } finally {
      clearTimeout(timer);
    }
    await withTimeout(drained, { ms: KILLED_EXIT_MS, waitingFor: `the output of ${what} to end` });
  };
  return { child, lines, exited, waitLine, end };
}

function busConfig(socket: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="root"/>
  </policy>
  <policy user="root">
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
  <includedir>/usr/share/dbus-1/system.d</includedir>
  <includedir>/etc/dbus-1/system.d</includedir>
</busconfig>
`;
}

function avahiConfig(host: TestHost): string {
  return `[server]
host-name=${host.name}
use-ipv4=yes
use-ipv6=no
allow-interfaces=${host.ifname}
enable-dbus=yes
ratelimit-interval-usec=0

[publish]
publish-workstation=no
publish-hinfo=no

[wide-area]
enable-wide-area=no
`;
}

/**
 * Undoes avahi's escaping in `-p` output: `\DDD` (a decimal byte) and `\X` (X itself);
 * the bytes are then read as UTF-8.
 */
export function unescapeAvahi(text: string): string {
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === "\\" && /^\d{3}$/.test(text.slice(i + 1, i + 4))) {
      bytes.push(Number(text.slice(i + 1, i + 4)));
      i += 3;
    } else if (char === "\\" && i + 1 < text.length) {
      bytes.push(...encoder.encode(text[++i]));
    } else {
      bytes.push(...encoder.encode(char));
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** Splits avahi-browse's TXT field (`"a=b" "c=\"d\""`) into unescaped strings. */
function parseTxt(field: string): string[] {
  const out: string[] = [];
  for (const match of field.matchAll(/"((?:[^"\\]|\\.)*)"/g)) out.push(unescapeAvahi(match[1]));
  return out;
}

/**
 * Parses one line of `avahi-browse -rp` output: a resolved service (`=;…`), a removed
 * one (`-;…`), or null for anything else.
 */
export function parseBrowseLine(
  line: string,
): { event: "resolved"; key: string; service: AvahiService } | {
  event: "removed";
  key: string;
} | null {
  const fields = line.split(";");
  if (fields[0] !== "=" && fields[0] !== "-") return null;
  if (fields.length < 6) return null;
  const [kind, iface, protocol, name, type, domain] = fields;
  const key = [iface, protocol, name, type, domain].join(";");
  if (kind === "-") return { event: "removed", key };
  if (fields.length < 10) return null;
  return {
    event: "resolved",
    key,
    service: {
      name: unescapeAvahi(name),
      type: unescapeAvahi(type),
      domain: unescapeAvahi(domain),
      iface,
      host: unescapeAvahi(fields[6]),
      address: fields[7],
      port: Number(fields[8]),
      txt: parseTxt(fields.slice(9).join(";")),
    },
  };
}

/**
 * Starts a private D-Bus system bus and an avahi-daemon inside `host`'s namespace and
 * waits until the daemon reports its start-up complete. Stopped by `stop()`, or when
 * the bed is removed.
 *
 * @throws {Error} When an avahi-daemon of this process already runs in `host`, or, with
 *   the daemon's output, when the bus or the daemon does not start within 10 s.
 */
export async function startAvahi(host: TestHost): Promise<Avahi> {
  const reason = await avahiUnavailable();
  if (reason) throw new Error(`Cannot start avahi: ${reason}`);
  await sweepTempDirs();
  if (running.has(host.name)) {
    throw new Error(`Cannot start avahi in ${host.name}: an avahi-daemon already runs there`);
  }
  running.add(host.name);
  const dir = await Deno.makeTempDir({ prefix: TMP_PREFIX }).catch((err) => {
    running.delete(host.name);
    throw err;
  });
  liveDirs.add(dir);
  // Absolute paths: `ip netns exec` searches the PATH, which may lack /usr/sbin.
  const bin = (name: string) => findBinary(name) ?? name;
  const busAddress = `unix:path=${dir}/bus`;
  const env = { DBUS_SYSTEM_BUS_ADDRESS: busAddress };
  const publications = new Set<Spawned>();
  let bus: Spawned | undefined;
  let daemon: Spawned | undefined;
  let stopped = false;

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all([...publications].map((p) => p.end()));
    await daemon?.end();
    await bus?.end();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    liveDirs.delete(dir);
    running.delete(host.name);
  };
  host.defer(stop);

  try {
    await Deno.writeTextFile(`${dir}/bus.conf`, busConfig(`${dir}/bus`));
    await Deno.writeTextFile(`${dir}/avahi-daemon.conf`, avahiConfig(host));
    bus = spawn([
      ...host.exec,
      bin("dbus-daemon"),
      `--config-file=${dir}/bus.conf`,
      "--nofork",
      "--nopidfile",
      "--print-address=1",
    ], {});
    await bus.waitLine(/^unix:path=/, 10_000).catch((err) => {
      throw new Error(`dbus-daemon in ${host.name} ${err.message}:\n${bus?.lines.join("\n")}`);
    });
    // `ip netns exec` gives the command its own mount namespace: a tmpfs on /run there
    // hides the pid file and socket paths of any other avahi-daemon.
    daemon = spawn([
      ...host.exec,
      "sh",
      "-c",
      'mount -t tmpfs -o mode=0755,size=1m swtb-avahi /run && exec "$0" "$@"',
      bin("avahi-daemon"),
      "--no-drop-root",
      "--no-chroot",
      "--no-rlimits",
      "--no-proc-title",
      "-f",
      `${dir}/avahi-daemon.conf`,
    ], env);
    await daemon.waitLine(/^Server startup complete/, 10_000).catch((err) => {
      throw new Error(`avahi-daemon in ${host.name} ${err.message}:\n${daemon?.lines.join("\n")}`);
    });
  } catch (err) {
    await stop();
    throw err;
  }

  const started = daemon;
  return {
    host,
    busAddress,
    logs: started.lines,
    stop,
    async browse(serviceType, options = {}) {
      const { timeoutMs = 5_000, until } = options;
      const browser = spawn(
        [...host.exec, bin("avahi-browse"), until ? "-rp" : "-rpt", serviceType],
        env,
      );
      const present = new Map<string, AvahiService>();
      let read = 0;
      const update = () => {
        for (; read < browser.lines.length; read++) {
          const parsed = parseBrowseLine(browser.lines[read]);
          if (parsed?.event === "resolved") present.set(parsed.key, parsed.service);
          if (parsed?.event === "removed") present.delete(parsed.key);
        }
        return [...present.values()];
      };
      const deadline = Date.now() + timeoutMs;
      let status: Deno.CommandStatus | undefined;
      browser.exited.then((s) => status = s);
      while (Date.now() < deadline && status === undefined) {
        if (until?.(update())) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const ownExit = status;
      await browser.end(500);
      const services = update();
      if (ownExit && !ownExit.success) {
        throw new Error(
          `avahi-browse in ${host.name} exited with code ${ownExit.code}:\n${
            browser.lines.join("\n")
          }`,
        );
      }
      return services;
    },
    async publish(name, type, port, txt = []) {
      if (stopped) throw new Error(`Cannot publish: avahi in ${host.name} was stopped`);
      const publisher = spawn(
        [...host.exec, bin("avahi-publish-service"), name, type, String(port), ...txt],
        env,
      );
      publications.add(publisher);
      let line: string;
      try {
        line = await publisher.waitLine(/^Established under name '/, 10_000);
      } catch (err) {
        await publisher.end();
        publications.delete(publisher);
        throw new Error(
          `avahi-publish-service in ${host.name} ${(err as Error).message}:\n${
            publisher.lines.join("\n")
          }`,
        );
      }
      return {
        name: line.replace(/^Established under name '/, "").replace(/'$/, ""),
        stop: async () => {
          await publisher.end();
          publications.delete(publisher);
        },
      };
    },
  };
}
