// test/image/fixtures.ts — shared pieces of the image tests: temp stores, canaries, overlay merge (tests)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { openStore, type ImageStore } from '../../image/index.js';
import { tarOf, type Member } from '../helpers/image-archives.js';

export type { Test };

export const isRoot = process.getuid?.() === 0;
export const ROOT_REASON = 'unpacking layers (ownership, overlay whiteouts) needs root';

/** tempDir makes a dir removed at the end of the test. */
export function tempDir(t: Test, prefix = 'tss-img-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** tempStore gives a fresh store in a temp dir, plus an "outside" dir for canaries beside it. */
export function tempStore(t: Test): { store: ImageStore; root: string; dir: string; outside: string } {
  const dir = tempDir(t);
  const root = join(dir, 'root');
  const outside = join(dir, 'outside');
  execFileSync('mkdir', ['-p', outside]);
  writeFileSync(join(outside, 'host-file'), 'host secret\n');
  return { store: openStore(root), root, dir, outside };
}

/** writeArchive packs members into dir/name and returns the path. */
export async function writeArchive(dir: string, name: string, members: readonly Member[]): Promise<string> {
  const p = join(dir, name);
  writeFileSync(p, await tarOf(members));
  return p;
}

/** storeIsEmpty: no image, layer, blob or leftover work dir in the store. */
export function storeContents(root: string): { images: string[]; layers: string[]; blobs: string[]; tmp: string[] } {
  const ls = (d: string): string[] => (existsSync(d) ? readdirSync(d) : []);
  return { images: ls(join(root, 'images')), layers: ls(join(root, 'layers')), blobs: ls(join(root, 'blobs', 'sha256')), tmp: ls(join(root, 'tmp')) };
}

/**
 * mergedTree mounts the layers with overlayfs in a throwaway mount namespace (nothing to unmount
 * afterwards) and lists the merged tree: "path type" lines, sorted.
 */
export function mergedTree(layers: readonly string[], mnt: string): string[] {
  const lower = [...layers].reverse().join(':');
  const out = execFileSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c',
    `mount -t overlay overlay -o ro,lowerdir=${lower} "$1" && cd "$1" && find . -mindepth 1 -printf '%p %y\\n'`, 'sh', mnt], { encoding: 'utf8' });
  return out.trim().split('\n').filter(Boolean).sort();
}

export function hasOverlay(): string | false {
  try {
    return execFileSync('grep', ['-w', 'overlay', '/proc/filesystems'], { encoding: 'utf8' }).includes('overlay') ? false : 'overlayfs not available';
  } catch { return 'overlayfs not available'; }
}
