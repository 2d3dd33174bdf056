/**
 * Podman for end-to-end tests: the image of `deploy/container/build.sh`, a private
 * network, the compose mesh of `deploy/container/compose.yaml` through podman-compose,
 * and the removal of all of it, also when a test fails.
 *
 * Every container, volume, network and image a test process makes is named
 * `swarm-e2e-<pid>…` (`<pid>` being the test process's): whatever a process leaves
 * behind (killed before its clean-up ran) is removed by the next one that starts, once
 * that pid is gone. Podman runs with `--runtime runc` and explicit ulimits, which this
 * kind of machine needs (crun fails on hybrid cgroups; podman's default ulimits are
 * refused).
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { outputWithin, withTimeout } from "../_helpers/with_timeout.ts";

/** The checkout's root. */
export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url));
/** `deploy/container/` of the checkout. */
export const CONTAINER_DIR: string = join(ROOT, "deploy", "container");
/** The OCI runtime and limits every `podman run` and `podman build` gets here. */
export const RUNTIME_OPTIONS: readonly string[] = [
  "--runtime",
  "runc",
  "--ulimit",
  "nofile=1024:1024",
  "--ulimit",
  "nproc=1024:1024",
];
/** Prefix of every name this process gives a podman object. */
export const E2E_PREFIX = `swarm-e2e-${Deno.pid}`;
const E2E_PATTERN = /^(?:localhost\/)?swarm-e2e-(\d+)/;
/** The user the image runs as (deploy/container/build.sh's /etc/passwd). */
export const IMAGE_UID = 10001;

/** What a podman command printed. */
export interface PodmanOutput {
  code: number;
  stdout: string;
  stderr: string;
}

const text = new TextDecoder();

/**
 * Runs `podman args…` for at most `ms` (then it is killed and the call fails with a
 * `WaitTimeout` naming the command).
 */
export async function podman(args: string[], ms = 60_000): Promise<PodmanOutput> {
  const out = await outputWithin("podman", { args, ms, what: `podman ${args.join(" ")}` });
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/**
 * Runs `podman args…` and returns its stdout.
 *
 * @throws {Error} With podman's output when it exits non-zero.
 */
export async function podmanOk(args: string[], ms = 60_000): Promise<string> {
  const out = await podman(args, ms);
  if (out.code !== 0) {
    throw new Error(`podman ${args.join(" ")} exited ${out.code}:\n${out.stdout}${out.stderr}`);
  }
  return out.stdout;
}

/**
 * Why podman cannot run containers here, or null when it can: root, `podman`,
 * `podman-compose` and `runc` installed, and bubblewrap and prlimit for the image.
 */
export async function podmanUnavailable(): Promise<string | null> {
  if (Deno.uid() !== 0) return "rootful podman is needed and this test does not run as root";
  for (
    const [program, args, pkg] of [
      ["podman", ["--version"], "podman"],
      ["runc", ["--version"], "runc"],
      ["podman-compose", ["version"], "podman-compose"],
      ["bwrap", ["--version"], "bubblewrap"],
      ["prlimit", ["--version"], "util-linux"],
    ] as const
  ) {
    try {
      const out = await outputWithin(program, { args: [...args], ms: 30_000 });
      if (!out.success) return `${program} ${args.join(" ")} failed (package ${pkg})`;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        return `${program} is not installed (package ${pkg})`;
      }
      throw err;
    }
  }
  return null;
}

/** Whether process `pid` exists. */
function pidAlive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** Runs podman synchronously, output ignored (clean-up on unload, where nothing can wait). */
function podmanSync(args: string[]): string {
  try {
    const out = new Deno.Command("podman", { args, stdout: "piped", stderr: "null" }).outputSync();
    return text.decode(out.stdout);
  } catch {
    return "";
  }
}

const LISTS: Array<{ list: string[]; remove: string[] }> = [
  { list: ["ps", "-a", "--format", "{{.Names}}"], remove: ["rm", "-f", "-v", "-t", "0"] },
  { list: ["volume", "ls", "--format", "{{.Name}}"], remove: ["volume", "rm", "-f"] },
  { list: ["network", "ls", "--format", "{{.Name}}"], remove: ["network", "rm", "-f"] },
  {
    list: ["images", "--format", "{{.Repository}}:{{.Tag}}"],
    remove: ["rmi", "-f"],
  },
];

/**
 * Removes every container (with its volumes), volume, network and image whose name
 * `owned(pid)` claims, in that order, synchronously.
 *
 * @returns The names that were still there afterwards.
 */
function removeOwnedSync(owned: (pid: number) => boolean): string[] {
  const left: string[] = [];
  for (const { list, remove } of LISTS) {
    const names = () =>
      podmanSync(list).split("\n").map((n) => n.trim()).filter((n) => {
        const match = E2E_PATTERN.exec(n);
        return match !== null && owned(Number(match[1]));
      });
    const found = names();
    if (found.length === 0) continue;
    podmanSync([...remove, ...found]);
    left.push(...names());
  }
  return left;
}

let swept = false;

/** Removes what dead test processes left behind (once per process). */
export function sweepLeftovers(): void {
  if (swept) return;
  swept = true;
  removeOwnedSync((pid) => pid !== Deno.pid && !pidAlive(pid));
}

let unloadHooked = false;

/**
 * Removes every podman object of this process (containers, volumes, networks, images
 * named {@link E2E_PREFIX}…), also registered to run when the process ends.
 *
 * @throws {Error} Naming what could not be removed.
 */
export function removeAllOwned(): void {
  const left = removeOwnedSync((pid) => pid === Deno.pid);
  if (left.length > 0) throw new Error(`Cannot remove podman objects: ${left.join(", ")}`);
}

function hookUnload(): void {
  if (unloadHooked) return;
  unloadHooked = true;
  globalThis.addEventListener("unload", () => {
    removeOwnedSync((pid) => pid === Deno.pid);
  });
}

/**
 * Builds the image with `deploy/container/build.sh`, tagged `localhost/<E2E_PREFIX>:test`.
 *
 * @returns The image name.
 * @throws {Error} With the build's output when it fails.
 */
export async function buildImage(ms = 300_000): Promise<string> {
  sweepLeftovers();
  hookUnload();
  const image = `localhost/${E2E_PREFIX}:test`;
  const out = await outputWithin(join(CONTAINER_DIR, "build.sh"), {
    args: ["--tag", image, "--", ...RUNTIME_OPTIONS],
    cwd: ROOT,
    ms,
    what: "deploy/container/build.sh",
  });
  if (!out.success) {
    throw new Error(
      `deploy/container/build.sh exited ${out.code}:\n${text.decode(out.stdout)}${
        text.decode(out.stderr)
      }`,
    );
  }
  return image;
}

/** IPv4 CIDR `a.b.c.d/n` as [first address, last address] numbers. */
function range(cidr: string): [number, number] | null {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!match) return null;
  const base = match.slice(1, 5).reduce((acc, part) => acc * 256 + Number(part), 0);
  const size = 2 ** (32 - Number(match[5]));
  const first = base - (base % size);
  return [first, first + size - 1];
}

/** A private network for a test: its name and its CIDR. */
export interface TestNetwork {
  name: string;
  subnet: string;
}

/**
 * Creates a podman bridge network `<E2E_PREFIX>-net` on a 10.89.X.0/24 that no podman
 * network and no route of this host uses.
 *
 * @throws {Error} When no such subnet is left or podman refuses.
 */
export async function createNetwork(): Promise<TestNetwork> {
  sweepLeftovers();
  hookUnload();
  const name = `${E2E_PREFIX}-net`;
  const used: Array<[number, number]> = [];
  const networks = JSON.parse(await podmanOk(["network", "ls", "--format", "json"])) as Array<
    { subnets?: Array<{ subnet: string }> }
  >;
  for (const network of networks) {
    for (const { subnet } of network.subnets ?? []) {
      const r = range(subnet);
      if (r) used.push(r);
    }
  }
  const routes = await outputWithin("ip", {
    args: ["-4", "route", "show", "table", "all"],
    ms: 10_000,
  });
  for (const word of text.decode(routes.stdout).split(/\s+/)) {
    const r = range(word.includes("/") ? word : `${word}/32`);
    if (r) used.push(r);
  }
  for (let i = 0; i < 150; i++) {
    const x = 100 + (Deno.pid + i) % 150;
    const subnet = `10.89.${x}.0/24`;
    const [first, last] = range(subnet)!;
    if (used.some(([a, b]) => a <= last && first <= b)) continue;
    const out = await podman(["network", "create", "--subnet", subnet, name]);
    if (out.code === 0) return { name, subnet };
    if (!/already used|overlap/i.test(out.stderr)) {
      throw new Error(`podman network create ${subnet} ${name} failed:\n${out.stderr}`);
    }
  }
  throw new Error("Cannot create a test network: no free 10.89.X.0/24 subnet");
}

/** A compose project started by {@link composeUp}. */
export interface ComposeMesh {
  /** The project name (`-p`). */
  project: string;
  /** The container name of a service. */
  container(service: string): Promise<string>;
  /** A service's JSON log lines so far (the node logs JSON lines on stderr). */
  logs(service: string): Promise<Record<string, unknown>[]>;
  /**
   * Waits until a service logged a line matching `match`, at most `ms`; fails with the
   * service's output when the container stops or the time is up.
   */
  waitForLog(
    service: string,
    what: string,
    match: (line: Record<string, unknown>) => boolean,
    ms?: number,
  ): Promise<Record<string, unknown>>;
  /** `podman-compose down -v`, output returned (removal is checked by the caller). */
  down(): Promise<PodmanOutput>;
}

/**
 * `podman-compose -p <E2E_PREFIX>-mesh -f <file> up -d` with `env` added to the
 * environment compose interpolates, each container run with `--runtime runc`.
 *
 * @throws {Error} With podman-compose's output when it fails.
 */
export async function composeUp(
  file: string,
  env: Record<string, string>,
  ms = 180_000,
): Promise<ComposeMesh> {
  sweepLeftovers();
  hookUnload();
  const project = `${E2E_PREFIX}-mesh`;
  const compose = async (args: string[]) => {
    const out = await outputWithin("podman-compose", {
      args: ["-p", project, "-f", file, ...args],
      env,
      ms,
      what: `podman-compose ${args.join(" ")}`,
    });
    return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
  };
  const up = await compose(["--podman-run-args=--runtime runc", "up", "-d"]);
  if (up.code !== 0 || /exit code: [1-9]/.test(up.stdout)) {
    throw new Error(`podman-compose up failed (${up.code}):\n${up.stdout}${up.stderr}`);
  }
  const container = async (service: string) => {
    const names = (await podmanOk([
      "ps",
      "-a",
      "--filter",
      `label=io.podman.compose.project=${project}`,
      "--filter",
      `label=com.docker.compose.service=${service}`,
      "--format",
      "{{.Names}}",
    ])).trim().split("\n").filter(Boolean);
    if (names.length !== 1) {
      throw new Error(`Expected one container of service ${service}, found: ${names.join(", ")}`);
    }
    return names[0];
  };
  const rawLogs = async (service: string) => {
    const out = await podman(["logs", await container(service)]);
    return `${out.stdout}${out.stderr}`;
  };
  const logs = async (service: string) =>
    (await rawLogs(service)).split("\n").filter((l) => l.startsWith("{")).flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  const waitForLog = async (
    service: string,
    what: string,
    match: (line: Record<string, unknown>) => boolean,
    waitMs = 60_000,
  ) => {
    const name = await container(service);
    let stop = false;
    const poll = async () => {
      while (!stop) {
        const found = (await logs(service)).find(match);
        if (found) return found;
        const state = (await podmanOk(["inspect", "-f", "{{.State.Status}}", name])).trim();
        if (state !== "running") {
          throw new Error(
            `${service} (${name}) is ${state} before ${what}:\n${await rawLogs(service)}`,
          );
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      return {};
    };
    try {
      return await withTimeout(poll(), { ms: waitMs, waitingFor: `${service} to log ${what}` });
    } catch (err) {
      stop = true;
      if (err instanceof Error && err.name === "WaitTimeout") {
        err.message += `\n${service} output:\n${await rawLogs(service).catch(() => "")}`;
      }
      throw err;
    }
  };
  return { project, container, logs, waitForLog, down: () => compose(["down", "-v"]) };
}

/**
 * A `/proc/<pid>/status` field of a container's main process (on the host), as
 * whitespace-separated words: `Uid` gives real, effective, saved and fs uid.
 */
export async function containerProcessStatus(container: string, field: string): Promise<string[]> {
  const pid = (await podmanOk(["inspect", "-f", "{{.State.Pid}}", container])).trim();
  // Read by cat: Deno asks for --allow-all before it reads another process's /proc files.
  const out = await outputWithin("cat", { args: [`/proc/${pid}/status`], ms: 10_000 });
  if (!out.success) throw new Error(`Cannot read /proc/${pid}/status of ${container}`);
  const status = text.decode(out.stdout);
  const line = status.split("\n").find((l) => l.startsWith(`${field}:`));
  if (line === undefined) throw new Error(`No ${field} in /proc/${pid}/status`);
  return line.slice(field.length + 1).trim().split(/\s+/);
}
