/**
 * A child process for tests/sync/release_store_crash_test.ts: installs the release in
 * RELEASE_FILE (a SkillRelease as JSON, its blobs already in ROOT's blob store) into the
 * store at ROOT, and at the step PAUSE_AT prints `paused <step>` and waits to be killed.
 *
 * PAUSE_AT is an install step (`staging`, `staged`, `swapping`, `activated`), or
 * `writing:<path>` for the middle of that file (after its first chunk, before its last).
 * Without a pause it prints `installed <fingerprint>` and exits.
 *
 * Usage: deno run -A tests/sync/_install_child.ts ROOT RELEASE_FILE [PAUSE_AT]
 *
 * @module
 */
import {
  BlobStore,
  type InstallStep,
  ReleaseStore,
  type SkillRelease,
} from "../../lib/sync/mod.ts";

const [root, releaseFile, pauseAt = ""] = Deno.args;
const release: SkillRelease = JSON.parse(await Deno.readTextFile(releaseFile));
const encoder = new TextEncoder();

function matches(step: InstallStep): boolean {
  if (step.step === "writing") {
    const size = release.files.find((f) => f.path === step.path)?.size ?? 0;
    return pauseAt === `writing:${step.path}` && step.written < size;
  }
  return pauseAt === step.step;
}

async function onStep(step: InstallStep): Promise<void> {
  if (!matches(step)) return;
  await Deno.stdout.write(encoder.encode(`paused ${pauseAt}\n`));
  // Keep the event loop alive until the test kills this process.
  setInterval(() => {}, 1000);
  await new Promise(() => {});
}

const blobs = await BlobStore.open(root);
const store = await ReleaseStore.open(root, { onStep });
await store.install(release, blobs);
await Deno.stdout.write(encoder.encode(`installed ${release.fingerprint}\n`));
