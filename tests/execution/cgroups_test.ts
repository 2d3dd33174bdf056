import assert from "node:assert/strict";
import { cgroupParents } from "../../lib/execution/cgroups.ts";

const v1Mounts = "30 25 0:26 / /sys/fs/cgroup/memory rw shared:9 - cgroup cgroup rw,memory\n" +
  "31 25 0:27 / /sys/fs/cgroup/pids rw shared:10 - cgroup cgroup rw,pids\n";
const v2Mount = "29 25 0:25 / /sys/fs/cgroup rw shared:4 - cgroup2 cgroup2 rw,nsdelegate\n";

Deno.test("cgroupParents() finds the node's own cgroup of each controller", () => {
  const cases: Array<[string, string, string, string | null, unknown]> = [
    [
      "v1 hierarchies (this machine's hybrid layout)",
      "4:memory:/box/1\n8:pids:/\n0::/\n",
      v1Mounts,
      null,
      {
        memory: { version: 1, dir: "/sys/fs/cgroup/memory/box/1" },
        pids: { version: 1, dir: "/sys/fs/cgroup/pids" },
      },
    ],
    [
      "v2 unified, controllers listed",
      "0::/system.slice/swarm.service\n",
      v2Mount,
      "cpu memory pids",
      {
        memory: { version: 2, dir: "/sys/fs/cgroup/system.slice/swarm.service" },
        pids: { version: 2, dir: "/sys/fs/cgroup/system.slice/swarm.service" },
      },
    ],
    ["v2 without the controllers", "0::/\n", v2Mount, "cpu hugetlb", {
      memory: null,
      pids: null,
    }],
    [
      "a container's cgroup namespace (mount root is its own path)",
      "4:memory:/docker/abc\n",
      "30 25 0:26 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n",
      null,
      {
        memory: { version: 1, dir: "/sys/fs/cgroup/memory" },
        pids: null,
      },
    ],
    ["no cgroup file system at all", "", "", null, { memory: null, pids: null }],
  ];
  for (const [why, self, mounts, controllers, expected] of cases) {
    assert.deepEqual(cgroupParents(self, mounts, () => controllers), expected, why);
  }
});
