// image/scan/walk.ts — walk unpacked layer directories, and look paths up in the stacked view (CLI process)
//
// The store unpacks layers to directories with overlayfs whiteouts (0:0 character devices); the
// scanner reads those trees directly, never extracting anything again. Modes on disk are the
// archive's (setuid/setgid kept as data), so the mode checks read what the layer ships.
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';

export interface WalkEntry {
  /** path inside the layer, no leading slash ("etc/passwd") */
  readonly rel: string;
  readonly abs: string;
  readonly st: Stats;
}

/** walkLayer yields every entry of a layer dir (depth first, sorted names), never following symlinks. */
export function* walkLayer(dir: string): Generator<WalkEntry> {
  const stack: string[] = [''];
  while (stack.length > 0) {
    const rel = stack.pop()!;
    let names: string[];
    try { names = readdirSync(rel ? join(dir, rel) : dir).sort().reverse(); } catch { continue; }
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      const abs = join(dir, r);
      let st: Stats;
      try { st = lstatSync(abs); } catch { continue; }
      yield { rel: r, abs, st };
      if (st.isDirectory()) stack.push(r);
    }
  }
}

/** isWhiteout: an overlayfs whiteout (character device 0:0). */
export function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

function lstatOrUndefined(p: string): Stats | undefined {
  try { return lstatSync(p); } catch { return undefined; }
}

/**
 * stackedPath finds rel in the stacked image (layers bottom first): the topmost layer holding it,
 * unless a layer above deleted it or one of its parents (whiteout). Symlinked parents are not
 * followed (the path is then absent); package databases sit at fixed real paths.
 */
export function stackedPath(layers: readonly string[], rel: string): { abs: string; layer: number; st: Stats } | undefined {
  const parts = rel.split('/');
  for (let i = layers.length - 1; i >= 0; i--) {
    for (let k = 1; k < parts.length; k++) {
      const st = lstatOrUndefined(join(layers[i]!, ...parts.slice(0, k)));
      if (st && isWhiteout(st)) return undefined;
      // a symlinked parent would be resolved by the HOST (an absolute target leaves the layer):
      // such a path does not exist for the scanner
      if (st?.isSymbolicLink()) return undefined;
    }
    const abs = join(layers[i]!, rel);
    const st = lstatOrUndefined(abs);
    if (!st) continue;
    if (isWhiteout(st)) return undefined;
    return { abs, layer: i, st };
  }
  return undefined;
}

/** stackedDir lists the names of a directory in the stacked image (union over layers minus whiteouts). */
export function stackedDir(layers: readonly string[], rel: string): string[] {
  const names = new Set<string>();
  for (const dir of layers) {
    let list: string[];
    try { list = readdirSync(join(dir, rel)); } catch { continue; }
    for (const n of list) names.add(n);
  }
  return [...names].filter((n) => stackedPath(layers, `${rel}/${n}`)?.st.isFile()).sort();
}
