// image/scan/walk.ts — walk unpacked layer directories, and look paths up in the stacked view (CLI process)
//
// The store unpacks layers to directories with overlayfs whiteouts (0:0 character devices); the
// scanner reads those trees directly, never extracting anything again. Modes on disk are the
// archive's (setuid/setgid kept as data), so the mode checks read what the layer ships.
import { lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
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
 * unless a layer above deleted it or one of its parents (whiteout). A symlinked parent is resolved
 * INSIDE the image, never by the host: its target is taken relative to the image root (absolute
 * targets too, `..` stops at the root) and looked up again, at most 40 hops — so Fedora's
 * var/lib/rpm → ../../usr/lib/sysimage/rpm works and `var → /var` cannot reach the host's /var.
 * The final component is not followed (lstat): callers want regular files.
 */
export function stackedPath(layers: readonly string[], rel: string, hops = 0): { abs: string; layer: number; st: Stats } | undefined {
  const parts = rel.split('/').filter((p) => p && p !== '.');
  if (!parts.length || parts.includes('..')) return undefined;
  const path = parts.join('/');
  for (let i = layers.length - 1; i >= 0; i--) {
    for (let k = 1; k < parts.length; k++) {
      const st = lstatOrUndefined(join(layers[i]!, ...parts.slice(0, k)));
      if (st && isWhiteout(st)) return undefined;
      if (st?.isSymbolicLink()) {
        if (hops >= 40) return undefined;
        let target: string;
        try { target = readlinkSync(join(layers[i]!, ...parts.slice(0, k))); } catch { return undefined; }
        const out = target.startsWith('/') ? [] : parts.slice(0, k - 1);
        for (const seg of [...target.split('/'), ...parts.slice(k)]) {
          if (seg === '..') out.pop();
          else if (seg && seg !== '.') out.push(seg);
        }
        return stackedPath(layers, out.join('/'), hops + 1);
      }
    }
    const abs = join(layers[i]!, path);
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
