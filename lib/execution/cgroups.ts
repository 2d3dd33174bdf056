/**
 * Control groups that hold one skill run under its memory and process limits: where
 * this machine lets the node make them (cgroup v1 controllers or the v2 unified
 * hierarchy), one fresh group per run, what the run ran into, and removal.
 *
 * @module
 */
import { join } from "node:path";
import type { SkillLimits } from "./skill_limits.ts";

/** The controllers swarm uses. */
export type CgroupController = "memory" | "pids";

/** Where runs' cgroups of one controller are made. */
export interface CgroupParent {
  /** cgroup v1 (one hierarchy per controller) or v2 (one unified hierarchy). */
  version: 1 | 2;
  /** Directory the run's cgroups are made in: the node's own cgroup of that controller. */
  dir: string;
}

/** The cgroup controllers the node can use, each `null` when it cannot. */
export interface CgroupSupport {
  /** For the memory limit. */
  memory: CgroupParent | null;
  /** For the process-count limit. */
  pids: CgroupParent | null;
}

/** No cgroups at all. */
export const NO_CGROUPS: Readonly<CgroupSupport> = Object.freeze({ memory: null, pids: null });

/**
 * Where the node's own cgroup of each controller lives, from `/proc/self/cgroup` and
 * `/proc/self/mountinfo`: a v1 hierarchy mounted with that controller first, else the
 * v2 hierarchy when it lists the controller. Nothing is checked on disk.
 *
 * @param selfCgroup Text of `/proc/self/cgroup`.
 * @param mountinfo Text of `/proc/self/mountinfo`.
 * @param controllersOf Reads a v2 directory's `cgroup.controllers` (space-separated), or
 * `null` when unreadable.
 * @returns The candidate parents.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cgroupParents } from "./cgroups.ts";
 * const parents = cgroupParents(
 *   "4:memory:/box\n8:pids:/\n0::/\n",
 *   "30 25 0:26 / /sys/fs/cgroup/memory rw shared:9 - cgroup cgroup rw,memory\n" +
 *     "31 25 0:27 / /sys/fs/cgroup/pids rw shared:10 - cgroup cgroup rw,pids\n",
 *   () => null,
 * );
 * assert.deepEqual(parents.memory, { version: 1, dir: "/sys/fs/cgroup/memory/box" });
 * assert.deepEqual(parents.pids, { version: 1, dir: "/sys/fs/cgroup/pids" });
 * ```
 */
export function cgroupParents(
  selfCgroup: string,
  mountinfo: string,
  controllersOf: (dir: string) => string | null,
): CgroupSupport {
  const memberships = selfCgroup.split("\n").filter(Boolean).map((line) => {
    const [id, controllers, ...rest] = line.split(":");
    return { id, controllers: controllers.split(","), path: rest.join(":") };
  });
  const mounts = mountinfo.split("\n").filter(Boolean).map((line) => {
    const fields = line.split(" ");
    const dash = fields.indexOf("-");
    return {
      root: fields[3],
      point: fields[4],
      type: fields[dash + 1],
      options: (fields[dash + 3] ?? "").split(","),
    };
  });
  const inside = (point: string, root: string, path: string): string | null => {
    if (root === "/") return join(point, path).replace(/(.)\/$/, "$1");
    if (path === root || path.startsWith(`${root}/`)) return join(point, path.slice(root.length));
    return null;
  };
  const find = (controller: CgroupController): CgroupParent | null => {
    const v1 = memberships.find((m) => m.id !== "0" && m.controllers.includes(controller));
    const v1Mount = mounts.find((m) => m.type === "cgroup" && m.options.includes(controller));
    if (v1 && v1Mount) {
      const dir = inside(v1Mount.point, v1Mount.root, v1.path);
      if (dir !== null) return { version: 1, dir };
    }
    const v2 = memberships.find((m) => m.id === "0");
    const v2Mount = mounts.find((m) => m.type === "cgroup2");
    if (v2 && v2Mount) {
      const dir = inside(v2Mount.point, v2Mount.root, v2.path);
      if (dir !== null && (controllersOf(dir) ?? "").split(/\s+/).includes(controller)) {
        return { version: 2, dir };
      }
    }
    return null;
  };
  return { memory: find("memory"), pids: find("pids") };
}

/**
 * Finds the cgroup controllers the node can really use: for each candidate of
 * {@link cgroupParents} (v2: after enabling the controller for child groups), a probe
 * group is made, its limit file written and the group removed. Never throws: what
 * does not work is `null`.
 *
 * Deno lets a program touch `/sys` only with `--allow-all`, which the node does not
 * have, so every cgroup file is read and written by a short `/bin/sh` script (the node
 * may run programs).
 *
 * @returns The usable controllers.
 */
export async function probeCgroups(): Promise<CgroupSupport> {
  const self = await sh('cat /proc/self/cgroup && echo "-----" && cat /proc/self/mountinfo');
  if (!self.ok) return { ...NO_CGROUPS };
  const [selfCgroup, mountinfo] = self.out.split("-----\n");
  const candidates = cgroupParents(selfCgroup, mountinfo ?? "", () => "memory pids");
  const usable = async (controller: CgroupController, parent: CgroupParent | null) => {
    if (parent === null) return null;
    const probe = join(parent.dir, `swarm-probe-${Deno.pid}-${crypto.randomUUID()}`);
    const [file] = limitFiles(controller, parent.version);
    const enable = parent.version === 2
      ? `grep -qw "$4" "$1/cgroup.controllers" || exit 1; ` +
        `grep -qw "$4" "$1/cgroup.subtree_control" || echo "+$4" > "$1/cgroup.subtree_control" || exit 1; `
      : "";
    const { ok } = await sh(
      `${enable}mkdir "$2" || exit 1; echo "$5" > "$2/$3"; ok=$?; rmdir "$2"; exit $ok`,
      parent.dir,
      probe,
      file,
      controller,
      controller === "memory" && parent.version === 1 ? "-1" : "max",
    );
    return ok ? parent : null;
  };
  return {
    memory: await usable("memory", candidates.memory),
    pids: await usable("pids", candidates.pids),
  };
}

/** Runs a `/bin/sh` script with positional arguments; never throws. */
async function sh(script: string, ...args: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const out = await new Deno.Command("/bin/sh", {
      args: ["-c", script, "swarm-cgroup", ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
      clearEnv: true,
      env: { PATH: "/usr/bin:/bin:/usr/sbin:/sbin" },
    }).output();
    return { ok: out.success, out: new TextDecoder().decode(out.stdout) };
  } catch {
    return { ok: false, out: "" };
  }
}

/** The limit file of a controller (first) and the counters file telling that it was hit. */
function limitFiles(controller: CgroupController, version: 1 | 2): [string, string] {
  if (controller === "pids") return ["pids.max", "pids.events"];
  return version === 2
    ? ["memory.max", "memory.events"]
    : ["memory.limit_in_bytes", "memory.oom_control"];
}

/** Which limits a run ran into. */
export interface CgroupHits {
  /** The memory cgroup killed a process of the run (out of memory). */
  memory: boolean;
  /** A fork or thread creation of the run failed at the process limit. */
  processes: boolean;
}

/**
 * The cgroups of one skill run (one per v1 hierarchy, or one v2 group), with its
 * memory and process limits set. Make one per run with {@link RunCgroup.create}, start
 * the run in it (see `limitArgs`), read {@link RunCgroup.hits} after it ended, then
 * {@link RunCgroup.remove} it.
 */
export class RunCgroup {
  /** The `cgroup.procs` files a process writes its pid to, to join every group. */
  readonly procs: string[];
  /** The limits these groups enforce. */
  readonly covers: { memory: boolean; processes: boolean };
  #groups: Array<{ dir: string; version: 1 | 2; controllers: CgroupController[] }>;

  private constructor(
    groups: Array<{ dir: string; version: 1 | 2; controllers: CgroupController[] }>,
  ) {
    this.#groups = groups;
    this.procs = groups.map((g) => join(g.dir, "cgroup.procs"));
    const has = (c: CgroupController) => groups.some((g) => g.controllers.includes(c));
    this.covers = { memory: has("memory"), processes: has("pids") };
  }

  /**
   * Makes the run's groups under the node's own and sets the limits (a limit of 0 uses
   * no group). Returns `null` when no group is needed or none can be made.
   *
   * @param support The usable controllers (see {@link probeCgroups}).
   * @param limits The run's limits.
   */
  static async create(support: CgroupSupport, limits: SkillLimits): Promise<RunCgroup | null> {
    const wanted: Array<[CgroupController, CgroupParent, string]> = [];
    if (support.memory && limits.memoryBytes > 0) {
      wanted.push(["memory", support.memory, String(limits.memoryBytes)]);
    }
    if (support.pids && limits.maxProcesses > 0) {
      wanted.push(["pids", support.pids, String(limits.maxProcesses)]);
    }
    if (wanted.length === 0) return null;
    const name = `swarm-run-${crypto.randomUUID()}`;
    const groups: Array<{ dir: string; version: 1 | 2; controllers: CgroupController[] }> = [];
    for (const [controller, parent] of wanted) {
      const dir = join(parent.dir, name);
      const group = groups.find((g) => g.dir === dir);
      if (group) group.controllers.push(controller);
      else groups.push({ dir, version: parent.version, controllers: [controller] });
    }
    // mkdir each group, then write "file value" pairs; swap limits may fail (no swap
    // accounting here): nothing to limit then.
    const writes: string[] = [];
    for (const [controller, parent, value] of wanted) {
      const dir = join(parent.dir, name);
      writes.push(join(dir, limitFiles(controller, parent.version)[0]), value);
    }
    const swaps: string[] = [];
    for (const [controller, parent, value] of wanted) {
      if (controller !== "memory") continue;
      const dir = join(parent.dir, name);
      if (parent.version === 2) swaps.push(join(dir, "memory.swap.max"), "0");
      else swaps.push(join(dir, "memory.memsw.limit_in_bytes"), value);
    }
    const made = new RunCgroup(groups);
    const { ok } = await sh(
      'n=$1; shift; i=0; while [ $i -lt "$n" ]; do mkdir "$1" || exit 1; shift; i=$((i+1)); done; ' +
        'w=$1; shift; i=0; while [ $i -lt "$w" ]; do echo "$2" > "$1" || exit 1; shift 2; i=$((i+1)); done; ' +
        'while [ $# -gt 1 ]; do echo "$2" > "$1" 2>/dev/null; shift 2; done',
      String(groups.length),
      ...groups.map((g) => g.dir),
      String(writes.length / 2),
      ...writes,
      ...swaps,
    );
    if (!ok) {
      await made.remove();
      return null;
    }
    return made;
  }

  /** What the run ran into, from the groups' event counters. */
  async hits(): Promise<CgroupHits> {
    const hits: CgroupHits = { memory: false, processes: false };
    for (const { dir, version, controllers } of this.#groups) {
      for (const controller of controllers) {
        const { out } = await sh('cat "$1"', join(dir, limitFiles(controller, version)[1]));
        const count = (key: string) => Number(new RegExp(`^${key} (\\d+)`, "m").exec(out)?.[1]);
        if (controller === "memory") hits.memory = count("oom_kill") > 0;
        else hits.processes = count("max") > 0;
      }
    }
    return hits;
  }

  /** Kills whatever is left in the groups and removes them. Never throws. */
  async remove(): Promise<void> {
    if (this.#groups.length === 0) return;
    await sh(
      'for d; do [ -d "$d" ] || continue; ' +
        '[ -e "$d/cgroup.kill" ] && echo 1 > "$d/cgroup.kill"; i=0; ' +
        'while [ -n "$(cat "$d/cgroup.procs")" ] && [ $i -lt 100 ]; do ' +
        'kill -9 $(cat "$d/cgroup.procs") 2>/dev/null; sleep 0.02; i=$((i+1)); done; ' +
        'rmdir "$d"; done',
      ...this.#groups.map((g) => g.dir),
    );
  }
}
