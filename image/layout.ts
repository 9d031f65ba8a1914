// image/layout.ts — where the store keeps things on disk, atomic writes, temp dirs, the lock (CLI process)
//
// ROOT/blobs/sha256/<hex>   content-addressed blobs (configs, layer archives as received)
// ROOT/layers/<diffid-hex>/ each layer unpacked once, shared by every image that uses it
// ROOT/images/<id-hex>.json one record per image (its layers, blobs, sizes)
// ROOT/index.json           refs ("name:tag" → image id)
// ROOT/tmp/<pid>-<rand>/    work space of one operation; renamed into place or removed
// ROOT/lock                 flock'ed while the index, images or layers change
import { closeSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeFileSync, fsyncSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fail, errnoReason } from '../common/errors.js';
import { tryFlock } from './native.js';

export class StoreLayout {
  readonly blobs: string;
  readonly layers: string;
  readonly images: string;
  readonly tmp: string;
  readonly index: string;
  readonly lockFile: string;

  constructor(readonly root: string) {
    this.blobs = join(root, 'blobs', 'sha256');
    this.layers = join(root, 'layers');
    this.images = join(root, 'images');
    this.tmp = join(root, 'tmp');
    this.index = join(root, 'index.json');
    this.lockFile = join(root, 'lock');
  }

  /** ensure creates the store's directories (0700: layers hold other users' setuid files as data). */
  ensure(): void {
    try {
      mkdirSync(this.root, { recursive: true, mode: 0o700 });
      for (const d of [this.blobs, this.layers, this.images, this.tmp]) mkdirSync(d, { recursive: true, mode: 0o700 });
    } catch (err) {
      fail('TSS_ESTORE', 'create store', this.root, errnoReason(err), err);
    }
  }

  blobPath(digest: string): string { return join(this.blobs, hexOf(digest)); }
  layerPath(diffId: string): string { return join(this.layers, hexOf(diffId)); }
  imagePath(id: string): string { return join(this.images, `${hexOf(id)}.json`); }

  /** makeTemp creates a private work dir; sweepTemp removes those of dead processes. */
  makeTemp(kind: string): string {
    this.ensure();
    const dir = join(this.tmp, `${process.pid}-${kind}-${randomBytes(6).toString('hex')}`);
    mkdirSync(dir, { mode: 0o700 });
    return dir;
  }

  sweepTemp(): void {
    let names: string[];
    try { names = readdirSync(this.tmp); } catch { return; }
    for (const n of names) {
      const pid = Number(n.split('-')[0]);
      if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isAlive(pid)) continue;
      rmSync(join(this.tmp, n), { recursive: true, force: true });
    }
  }

  /** writeAtomic writes a file next to its destination, fsyncs it and renames it over. */
  writeAtomic(path: string, data: string | Buffer): void {
    const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      const fd = openSync(tmp, 'wx', 0o600);
      try { writeFileSync(fd, data); fsyncSync(fd); } finally { closeSync(fd); }
      renameSync(tmp, path);
    } catch (err) {
      rmSync(tmp, { force: true });
      fail('TSS_ESTORE', 'write', path, errnoReason(err), err);
    }
  }

  /**
   * withLock runs fn holding the store's exclusive flock. flock dies with its process, so a killed
   * command never leaves a stale lock behind (an O_EXCL lockfile would need pid guessing).
   */
  async withLock<T>(fn: () => Promise<T> | T): Promise<T> {
    this.ensure();
    const fd = openSync(this.lockFile, 'a', 0o600);
    try {
      let waited = 0;
      while (!tryFlock(fd)) {
        await sleep(Math.min(100, 5 + waited / 10));
        waited += 100;
      }
      return await fn();
    } finally {
      closeSync(fd); // closing the only fd releases the flock
    }
  }
}

export function hexOf(digest: string): string {
  const hex = digest.startsWith('sha256:') ? digest.slice(7) : digest;
  if (!/^[a-f0-9]{64}$/.test(hex)) fail('TSS_EIMAGE', 'use digest', digest, 'not a sha256 digest');
  return hex;
}

function isAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}
