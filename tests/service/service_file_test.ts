import assert from "node:assert/strict";
import { join } from "node:path";
import {
  ForeignServiceFileError,
  installServiceFile,
  removeServiceFile,
  SERVICE_MARKER,
} from "../../lib/service/mod.ts";
import { entries, withTempDir } from "../_helpers/temp_dir.ts";
import { rejectsWith } from "../_helpers/swarm_error.ts";

const OURS = `# ${SERVICE_MARKER} (swarm test)\n[Unit]\nDescription=one\n`;
const OURS_TOO = `# ${SERVICE_MARKER} (swarm test)\n[Unit]\nDescription=two\n`;
const FOREIGN = "[Unit]\nDescription=the operator's own\n";

Deno.test("installServiceFile() writes, replaces its own file, and removeServiceFile() removes it", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "nested", "swarm.service");
    assert.deepEqual(await installServiceFile(path, OURS), { path, replaced: false });
    assert.equal(await Deno.readTextFile(path), OURS);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o644);
    assert.deepEqual(await installServiceFile(path, OURS_TOO), { path, replaced: true });
    assert.equal(await Deno.readTextFile(path), OURS_TOO);
    assert.deepEqual(await entries(join(dir, "nested")), ["swarm.service"], "no temp file left");
    assert.equal(await removeServiceFile(path), OURS_TOO);
    assert.deepEqual(await entries(join(dir, "nested")), []);
  });
});

Deno.test("installServiceFile() leaves a foreign file alone", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "swarm.service");
    await Deno.writeTextFile(path, FOREIGN);
    const err = await rejectsWith(installServiceFile(path, OURS), "invalid_argument");
    assert.ok(err instanceof ForeignServiceFileError);
    assert.match(err.message, /^Refusing to replace .*swarm\.service: it was not written by/);
    assert.equal(err.details.path, path);
    assert.equal(await Deno.readTextFile(path), FOREIGN);
  });
});

Deno.test("removeServiceFile() refuses a foreign file and a missing one", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "swarm.service");
    await Deno.writeTextFile(path, FOREIGN);
    const err = await rejectsWith(removeServiceFile(path), "invalid_argument");
    assert.ok(err instanceof ForeignServiceFileError);
    assert.match(
      err.message,
      /^Refusing to remove .*: it was not written by 'swarm service install'/,
    );
    assert.equal(await Deno.readTextFile(path), FOREIGN, "kept");
    await Deno.remove(path);
    const gone = await rejectsWith(removeServiceFile(path), "invalid_argument");
    assert.match(gone.message, /^Nothing to remove: there is no .*swarm\.service$/);
  });
});

Deno.test("installServiceFile() refuses text without the marker (uninstall could never remove it)", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(installServiceFile(join(dir, "x.service"), FOREIGN), (err: unknown) => {
      assert.ok(err instanceof TypeError);
      assert.match(err.message, /lacks swarm's marker line/);
      return true;
    });
    assert.deepEqual(await entries(dir), []);
  });
});
