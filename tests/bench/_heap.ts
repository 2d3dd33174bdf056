/**
 * Reads V8 heap snapshots (`.heapsnapshot` JSON) into counts and bytes per kind of
 * object, and compares two of them: which kinds of object a process kept more of.
 *
 * @example
 * ```ts
 * import { heapGrowth, summariseHeapSnapshot } from "./_heap.ts";
 * import assert from "node:assert/strict";
 *
 * const snapshot = (objects: number) => JSON.stringify({
 *   snapshot: { meta: {
 *     node_fields: ["type", "name", "id", "self_size", "edge_count"],
 *     node_types: [["hidden", "array", "string", "object", "code", "closure"]],
 *   } },
 *   nodes: Array.from({ length: objects }, (_, i) => [3, 0, i, 100, 0]).flat(),
 *   strings: ["TaskRecord"],
 * });
 * const before = summariseHeapSnapshot(snapshot(2));
 * const after = summariseHeapSnapshot(snapshot(12));
 * assert.equal(after.totalBytes, 1200);
 * assert.deepEqual(heapGrowth(before, after, 1), [{ name: "TaskRecord", count: 10, bytes: 1000 }]);
 * ```
 *
 * @module
 */

/** Count and self size of one kind of heap object. */
export interface HeapGroup {
  count: number;
  bytes: number;
}

/** A heap snapshot boiled down. */
export interface HeapSummary {
  /** Sum of every node's self size, in bytes. */
  totalBytes: number;
  /** By kind: an object's or closure's constructor/function name, else `(type)`. */
  groups: Record<string, HeapGroup>;
}

/**
 * Sums a snapshot's nodes by kind: objects and closures by name (`Object`, `Map`,
 * `TaskRecord`, …), everything else by its node type (`(string)`, `(code)`, …).
 *
 * @throws {SyntaxError} When `json` is not a heap snapshot.
 */
export function summariseHeapSnapshot(json: string): HeapSummary {
  const data = JSON.parse(json);
  const fields: string[] = data?.snapshot?.meta?.node_fields;
  const types: string[] = data?.snapshot?.meta?.node_types?.[0];
  if (!Array.isArray(fields) || !Array.isArray(types) || !Array.isArray(data.nodes)) {
    throw new SyntaxError("Cannot read heap snapshot: no snapshot.meta.node_fields or nodes");
  }
  const stride = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const nodes: number[] = data.nodes;
  const strings: string[] = data.strings;
  const groups: Record<string, HeapGroup> = {};
  let totalBytes = 0;
  for (let i = 0; i < nodes.length; i += stride) {
    const type = types[nodes[i + typeAt]];
    const size = nodes[i + sizeAt];
    const name = strings[nodes[i + nameAt]];
    const key = type === "object"
      ? name || "(anonymous object)"
      : type === "closure"
      ? name ? `${name}()` : "(anonymous function)"
      : `(${type})`;
    const group = groups[key] ??= { count: 0, bytes: 0 };
    group.count++;
    group.bytes += size;
    totalBytes += size;
  }
  return { totalBytes, groups };
}

/** The `top` kinds whose bytes grew most from `before` to `after`. */
export function heapGrowth(
  before: HeapSummary,
  after: HeapSummary,
  top: number,
): Array<{ name: string; count: number; bytes: number }> {
  return Object.entries(after.groups)
    .map(([name, g]) => ({
      name,
      count: g.count - (before.groups[name]?.count ?? 0),
      bytes: g.bytes - (before.groups[name]?.bytes ?? 0),
    }))
    .filter((g) => g.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, top);
}

/**
 * Why objects named `target` stay alive: for `samples` of them (spread over the
 * snapshot), the shortest chain of strong references from a GC root down to the
 * object, as `holder --edge-->` steps (runs of the same edge folded into `×N`).
 *
 * @throws {SyntaxError} When `json` is not a heap snapshot.
 */
export function retainerPaths(json: string, target: string, samples = 2): string[][] {
  const data = JSON.parse(json);
  const meta = data?.snapshot?.meta;
  if (!meta?.node_fields || !meta?.edge_fields || !Array.isArray(data.edges)) {
    throw new SyntaxError("Cannot read heap snapshot: no edges");
  }
  const nodeFields: string[] = meta.node_fields;
  const edgeFields: string[] = meta.edge_fields;
  const nodeTypes: string[] = meta.node_types[0];
  const edgeTypes: string[] = meta.edge_types[0];
  const stride = nodeFields.length;
  const edgeStride = edgeFields.length;
  const [typeAt, nameAt, countAt] = ["type", "name", "edge_count"].map((f) =>
    nodeFields.indexOf(f)
  );
  const [edgeTypeAt, edgeNameAt, toAt] = ["type", "name_or_index", "to_node"].map((f) =>
    edgeFields.indexOf(f)
  );
  const nodes: number[] = data.nodes;
  const edges: number[] = data.edges;
  const strings: string[] = data.strings;
  const label = (n: number) => {
    const type = nodeTypes[nodes[n + typeAt]];
    const name = String(strings[nodes[n + nameAt]]).slice(0, 60);
    return type === "object" ? name || "(object)" : `${type}:${name}`;
  };
  // Reverse edges: who points at each node (weak and shortcut edges do not retain).
  const holders = new Map<number, Array<[number, string]>>();
  let edge = 0;
  for (let n = 0; n < nodes.length; n += stride) {
    const end = edge + nodes[n + countAt] * edgeStride;
    for (; edge < end; edge += edgeStride) {
      const type = edgeTypes[edges[edge + edgeTypeAt]];
      if (type === "weak" || type === "shortcut") continue;
      const raw = edges[edge + edgeNameAt];
      const name = type === "element" || type === "hidden" ? `[${raw}]` : String(strings[raw]);
      if (name === "__proto__") continue;
      const to = edges[edge + toAt];
      const list = holders.get(to) ?? [];
      list.push([n, name]);
      holders.set(to, list);
    }
  }
  const targets: number[] = [];
  for (let n = 0; n < nodes.length; n += stride) {
    if (nodeTypes[nodes[n + typeAt]] === "object" && strings[nodes[n + nameAt]] === target) {
      targets.push(n);
    }
  }
  const paths: string[][] = [];
  for (let k = 1; k <= samples && targets.length > 0; k++) {
    const start = targets[Math.floor((k * targets.length) / (samples + 1))];
    const next = new Map<number, [number, string]>();
    const queue = [start];
    let root = -1;
    for (let i = 0; i < queue.length && root === -1; i++) {
      const n = queue[i];
      if (nodeTypes[nodes[n + typeAt]] === "synthetic") root = n;
      for (const [holder, name] of holders.get(n) ?? []) {
        if (holder !== start && !next.has(holder)) {
          next.set(holder, [n, name]);
          queue.push(holder);
        }
      }
    }
    const steps: string[] = [];
    for (let n = root; n !== -1 && n !== start;) {
      const [child, name] = next.get(n)!;
      const step = `${label(n)} --${name}-->`;
      const last = steps[steps.length - 1];
      const folded = /^(.*) ×(\d+)$/.exec(last ?? "");
      if (last === step) steps[steps.length - 1] = `${step} ×2`;
      else if (folded && folded[1] === step) {
        steps[steps.length - 1] = `${step} ×${Number(folded[2]) + 1}`;
      } else steps.push(step);
      n = child;
    }
    steps.push(label(start));
    paths.push(root === -1 ? [`${label(start)}: no path to a GC root found`] : steps);
  }
  return paths;
}
