/**
 * A plain Deno process that spawns the no-op child as a node runs a task (stdin written
 * and closed, stdout and stderr piped and read) and prints its RSS after each count: the
 * runtime's own memory cost of child processes, beside a node's. It does not ask for a
 * new session (`detached`) as a node does: a detached spawn costs about ten times the
 * CPU (scenario 1 measures both) and grows memory alike, and 10 000 of them would not
 * fit the run's time budget. Run as its own process:
 * `_spawn_reference.ts COMMAND N1 N2 …`; prints one JSON line
 * `{"start": KiB, "after": {"N1": KiB, …}}`.
 *
 * @module
 */

const [command, ...counts] = Deno.args;

function rssKiB(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
}

if (import.meta.main) {
  const start = rssKiB();
  const after: Record<string, number> = {};
  let done = 0;
  for (const count of counts.map(Number)) {
    let next = done;
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (next < count) {
        next++;
        const child = new Deno.Command("/bin/sh", {
          args: ["-c", command],
          stdin: "piped",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const writer = child.stdin.getWriter();
        await writer.write(new TextEncoder().encode("{}")).catch(() => {});
        await writer.close().catch(() => {});
        await child.output();
      }
    }));
    done = count;
    await new Promise((resolve) => setTimeout(resolve, 200));
    after[count] = rssKiB();
  }
  console.log(JSON.stringify({ start, after }));
}
