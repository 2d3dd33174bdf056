import assert from "node:assert/strict";
import { BWRAP_NET_PATHS, BWRAP_SYSTEM_PATHS } from "../../lib/execution/bwrap_args.ts";
import { probeSandboxHost } from "../../lib/execution/sandbox_host.ts";
import { outputWithin } from "../_helpers/with_timeout.ts";

Deno.test("probeSandboxHost() finds present paths, their symlinks and the real python3", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/real`);
    await Deno.symlink("real", `${dir}/link`);
    await Deno.symlink("missing", `${dir}/dangling`);
    const host = await probeSandboxHost({
      candidates: [`${dir}/real`, `${dir}/link`, `${dir}/dangling`, `${dir}/absent`],
      sourceEnv: Deno.env.toObject(),
    });
    assert.deepEqual(host.systemPaths, [{ path: `${dir}/real` }, {
      path: `${dir}/link`,
      link: "real",
    }]);
    const hasPython = (await outputWithin("sh", { args: ["-c", "command -v python3"], ms: 30_000 }))
      .success;
    if (!hasPython) {
      console.log("python3 is not on PATH here: only its absence is checked");
      assert.equal(host.python, null);
      return;
    }
    assert.ok(host.python, "python3 found");
    assert.ok(host.python.executable.startsWith("/"));
    // The real interpreter, not a shim script: its first bytes are an ELF header.
    const head = (await Deno.readFile(await Deno.realPath(host.python.executable))).subarray(0, 4);
    assert.deepEqual([...head], [0x7f, 0x45, 0x4c, 0x46]);
    assert.ok(host.python.prefixes.length >= 1);
    assert.ok(host.python.prefixes.some((p) => host.python!.executable.startsWith(`${p}/`)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("probeSandboxHost() reports no python when python3 is not on PATH", async () => {
  const host = await probeSandboxHost({
    candidates: [...BWRAP_SYSTEM_PATHS, ...BWRAP_NET_PATHS],
    sourceEnv: { PATH: "/nonexistent" },
  });
  assert.equal(host.python, null);
  assert.ok(host.systemPaths.some((p) => p.path === "/usr"));
});
