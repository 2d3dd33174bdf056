/**
 * Reads V8 CPU profiles (as the inspector's `Profiler.stop` returns them) and
 * summarises where the busy time went: by area (swarm's modules, npm packages,
 * Deno's runtime, GC, native) and by function.
 *
 * @example
 * ```ts
 * import { summariseProfile } from "./_profile.ts";
 * import assert from "node:assert/strict";
 *
 * const profile = {
 *   nodes: [
 *     { id: 1, callFrame: { functionName: "(root)", url: "", lineNumber: -1 } },
 *     { id: 2, callFrame: { functionName: "(idle)", url: "", lineNumber: -1 } },
 *     { id: 3, callFrame: { functionName: "route", url: "file:///r/lib/routing/router.ts", lineNumber: 9 } },
 *   ],
 *   samples: [2, 3, 3, 2],
 *   timeDeltas: [1000, 1000, 1000, 1000],
 * };
 * const s = summariseProfile(profile, "file:///r/");
 * assert.equal(s.busyMs, 2);
 * assert.equal(s.idleMs, 2);
 * assert.deepEqual(s.areas[0], { name: "lib/routing", ms: 2, share: 1 });
 * ```
 *
 * @module
 */

import type { Evidence } from "./_types.ts";

/** The parts of a `.cpuprofile` this module reads. */
export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }>;
  samples: number[];
  /** Microseconds since the previous sample. */
  timeDeltas: number[];
}

/** A share of the busy time. */
export interface ProfileEntry {
  name: string;
  /** Self time, in ms. */
  ms: number;
  /** Fraction of the busy time (0–1). */
  share: number;
}

/** Where one isolate's time went. */
export interface ProfileSummary {
  /** Sampled time spent running (not idle), in ms. */
  busyMs: number;
  /** Sampled idle time, in ms. */
  idleMs: number;
  /** Busy time by area, largest first. */
  areas: ProfileEntry[];
  /** Busy time by function, largest first. */
  functions: ProfileEntry[];
}

/** The area a script URL belongs to, relative to the checkout `rootUrl`. */
export function profileArea(url: string, functionName: string, rootUrl: string): string {
  if (url === "") {
    if (functionName === "(garbage collector)") return "V8 garbage collector";
    return "native (runtime, not JS)";
  }
  const npm = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (npm) return `npm:${npm[1]}`;
  if (url.startsWith(rootUrl)) {
    const rel = url.slice(rootUrl.length);
    const parts = rel.split("/");
    return parts.length > 2 ? `${parts[0]}/${parts[1]}` : rel;
  }
  const ext = /^(ext:[^/]+|node:[^/]+)/.exec(url);
  if (ext) return `Deno runtime JS (${ext[1]})`;
  return url;
}

/**
 * Self time per area and per function of a profile; `(idle)` and `(root)` are left out
 * of the busy time, `(program)` counts as native.
 */
export function summariseProfile(profile: CpuProfile, rootUrl: string): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  let idleUs = 0;
  let busyUs = 0;
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id);
    if (!frame) continue;
    if (frame.functionName === "(idle)" || frame.functionName === "(root)") {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const area = profileArea(frame.url, frame.functionName, rootUrl);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const where = frame.url === ""
      ? ""
      : ` ${frame.url.startsWith(rootUrl) ? frame.url.slice(rootUrl.length) : area}:${
        frame.lineNumber + 1
      }`;
    const name = `${frame.functionName || "(anonymous)"}${where}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
  }
  const entries = (map: Map<string, number>) =>
    [...map].map(([name, us]) => ({ name, ms: us / 1000, share: busyUs ? us / busyUs : 0 }))
      .sort((a, b) => b.ms - a.ms);
  return {
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    areas: entries(areas),
    functions: entries(functions),
  };
}

/** Report lines for a summary: busy/idle, then the top areas and functions. */
export function profileLines(label: string, s: ProfileSummary, top = 8): string[] {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const total = s.busyMs + s.idleMs;
  return [
    `${label}: busy ${s.busyMs.toFixed(0)} ms of ${total.toFixed(0)} ms sampled (${
      pct(total ? s.busyMs / total : 0)
    })`,
    ...s.areas.slice(0, top).map((e) =>
      `  area ${e.name}: ${e.ms.toFixed(0)} ms (${pct(e.share)})`
    ),
    ...s.functions.slice(0, top).map((e) =>
      `  fn ${e.name}: ${e.ms.toFixed(0)} ms (${pct(e.share)})`
    ),
  ];
}

/**
 * Evidence from CPU profiles keyed by label (e.g. one per isolate of a node): the
 * summary lines of each, and the raw profiles written to `dir` (openable in Chrome
 * DevTools) as the artefact.
 */
export async function profileEvidence(
  title: string,
  profiles: Record<string, CpuProfile>,
  dir: string,
  rootUrl: string,
  top = 8,
): Promise<Evidence> {
  const lines: string[] = [];
  for (const [label, profile] of Object.entries(profiles)) {
    const slug = label.replace(/\W+/g, "-").replace(/^-|-$/g, "").toLowerCase();
    await Deno.writeTextFile(`${dir}/${slug}.cpuprofile`, JSON.stringify(profile));
    lines.push(...profileLines(label, summariseProfile(profile, rootUrl), top));
  }
  return { title, lines, artefact: dir };
}
