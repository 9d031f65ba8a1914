// test/scan/fixtures.ts — build small images into a temp store for the scanner tests (tests)
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { openStore, type ImageStore } from '../../image/index.js';
import { dockerSaveLegacy, tarOf, type ImageSpec, type Member } from '../helpers/image-archives.js';
import { tempDir } from '../image/fixtures.js';

export { isRoot, ROOT_REASON, tempDir } from '../image/fixtures.js';

/** dirsFor: the parent directory members a set of file members needs (tar order: parents first). */
export function withDirs(members: readonly Member[]): Member[] {
  const dirs = new Set<string>();
  for (const m of members) {
    const parts = m.name.replace(/\/$/, '').split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  const explicit = new Set(members.filter((m) => m.type === 'directory').map((m) => m.name.replace(/\/$/, '')));
  return [...[...dirs].filter((d) => !explicit.has(d)).sort().map((d): Member => ({ name: `${d}/`, type: 'directory' })), ...members];
}

/** storeWith loads images (layers given as member lists) into a fresh temp store. */
export async function storeWith(t: Test, images: Array<Omit<ImageSpec, 'layers'> & { layers: Member[][] }>): Promise<{ store: ImageStore; root: string; dir: string }> {
  const dir = tempDir(t, 'tss-scan-');
  const specs: ImageSpec[] = [];
  for (const img of images) specs.push({ ...img, layers: await Promise.all(img.layers.map((l) => tarOf(withDirs(l)))) });
  const archive = join(dir, 'images.tar');
  writeFileSync(archive, await tarOf(dockerSaveLegacy(specs)));
  const root = join(dir, 'root');
  const store = openStore(root);
  await store.load(archive);
  return { store, root, dir };
}
