/**
 * Private file-system helpers of the skills package.
 *
 * @module
 */

/** `Deno.stat` (symlinks followed), or `null` when the path does not resolve. */
export async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return null;
    }
    throw err;
  }
}

/** Whether `path` is a regular file, symlinks followed. */
export async function isFile(path: string): Promise<boolean> {
  return (await statOrNull(path))?.isFile ?? false;
}

/** Whether `path` is a directory, symlinks followed. */
export async function isDirectory(path: string): Promise<boolean> {
  return (await statOrNull(path))?.isDirectory ?? false;
}

const encoder = new TextEncoder();

/** Orders strings by their UTF-8 bytes, as Rust's `String` ordering does. */
export function compareUtf8(a: string, b: string): number {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return x.length - y.length;
}

/** Names of the entries of a directory, sorted by {@link compareUtf8}. */
export async function sortedEntries(dir: string): Promise<Deno.DirEntry[]> {
  const entries: Deno.DirEntry[] = [];
  for await (const entry of Deno.readDir(dir)) entries.push(entry);
  return entries.sort((a, b) => compareUtf8(a.name, b.name));
}
