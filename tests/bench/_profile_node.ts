/**
 * CPU profiles of a node's two isolates under load: a node started with the inspector,
 * wrk driving one path for a while, both isolates sampled meanwhile (evidence for a
 * missed goal).
 *
 * @module
 */
import { sendTask } from "./_fixtures.ts";
import { Inspector } from "./_inspector.ts";
import { type BenchNode, startBenchNode } from "./_node.ts";
import { type CpuProfile, profileEvidence, summariseProfile } from "./_profile.ts";
import type { BenchContext, Evidence } from "./_types.ts";
import { runWrk } from "./_wrk.ts";

const ROOT_URL = new URL("../../", import.meta.url).href;

/** Options of {@linkcode profileUnderLoad}. */
export interface ProfileUnderLoadOptions {
  /** Title of the evidence; the measured rate is appended. */
  title: string;
  /** Prefix of the artefact directory. */
  name: string;
  /** Path of the wrk binary. */
  wrk: string;
  /** Flags of the profiled node. */
  args: string[];
  /** Bearer token of the node. */
  token: string;
  /** A task body for one warm-up task (a fresh id). */
  warmupBody: string;
  /** The request wrk sends to `/task`, and its headers. */
  body: string;
  headers: Record<string, string>;
  connections: number;
  durationS: number;
}

/**
 * Starts a node with `--inspect` on loopback, profiles both isolates while wrk sends
 * `body` to its `/task`, and returns the summary (raw profiles kept in the artefacts).
 */
export async function profileUnderLoad(
  ctx: BenchContext,
  options: ProfileUnderLoadOptions,
): Promise<Evidence> {
  const dir = await Deno.makeTempDir({ dir: ctx.artefacts, prefix: `${options.name}-profile-` });
  let node: BenchNode | undefined;
  let inspector: Inspector | undefined;
  try {
    node = await startBenchNode({
      tmp: ctx.tmp,
      token: options.token,
      args: options.args,
      inspect: true,
    });
    inspector = await Inspector.connect(node.inspectPort!);
    await sendTask(node.url, options.warmupBody, options.token);
    await inspector.startProfiling();
    const run = await runWrk({
      wrk: options.wrk,
      url: `${node.url}/task`,
      connections: options.connections,
      durationS: options.durationS,
      method: "POST",
      body: options.body,
      headers: options.headers,
      tmp: ctx.tmp,
    });
    const profiles = await inspector.stopProfiling();
    const perTask = (profile: CpuProfile) =>
      (summariseProfile(profile, ROOT_URL).busyMs / Math.max(1, run.requests)).toFixed(2);
    const evidence = await profileEvidence(
      `${options.title} (inspector; ${run.okRps.toFixed(0)} tasks/s, p50 ${
        run.p50Ms.toFixed(2)
      } ms while profiled)`,
      {
        "main isolate (skills, executions)": profiles.main,
        "network worker (HTTP, routing, KV calls)": profiles.worker,
      },
      dir,
      ROOT_URL,
    );
    evidence.lines.unshift(
      `JS busy time per task answered: main isolate ${perTask(profiles.main)} ms, network worker ${
        perTask(profiles.worker)
      } ms (${run.requests} tasks)`,
    );
    return evidence;
  } catch (err) {
    return { title: `${options.title}: profiling failed`, lines: [String(err)], failed: true };
  } finally {
    inspector?.close();
    await node?.stop();
  }
}
