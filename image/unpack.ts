// image/unpack.ts — unpack one layer tar into its own directory, treating it as hostile (CLI process)
//
// Rules (DESIGN §6): no member lands outside the layer dir — `..` and absolute names are refused,
// a write through a symlink is refused (every parent component is lstat'ed inside the layer dir and
// must be a real directory, so a symlink is never followed while writing; a later layer lives in its
// own dir, so its writes cannot go through an earlier layer's symlink either), hardlink targets must
// be files already unpacked in this layer, whiteouts may only name a child of their own dir. Device
// nodes and fifos are never created (skipped and counted). Setuid bits and ownership are kept as
// data: the layer is mounted nosuid and idmapped at run time. OCI whiteouts become overlayfs ones.
import { closeSync, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lstatSync, lutimesSync, chmodSync, mkdirSync, openSync, rmSync, symlinkSync, writeSync, constants, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { fail, errnoReason, SandboxError } from '../common/errors.js';
import { mknodWhiteout, setOpaque } from './native.js';

export interface UnpackStats {
  files: number;
  /** members never created: device nodes, fifos (names, for the caller to report) */
  skipped: string[];
}

type EntryStream = AsyncIterable<unknown> & { resume(): unknown };

const WH = '.wh.';
const OPAQUE = '.wh..wh..opq';
const OPEN_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** memberParts turns a member name into path components, refusing names that leave the layer. */
export function memberParts(name: string, refuse: (reason: string) => never): string[] {
  if (name.includes('\0')) refuse('name contains NUL');
  if (name.startsWith('/')) refuse('absolute name');
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) refuse('name contains `..`');
  return parts;
}

/** unpackLayer reads a tar stream into dir (which exists and is empty). Rejects on the first refusal. */
export function unpackLayer(input: Readable, dir: string, label: string): Promise<UnpackStats> {
  const u = new Unpacker(dir, label);
  const extract = tar.extract();
  return new Promise<UnpackStats>((resolve, reject) => {
    let failed = false;
    // the entry being written: a refusal waits for it to settle, so the caller's cleanup never
    // races a file still being created in the layer directory (rmSync ENOTEMPTY)
    let inFlight: Promise<void> = Promise.resolve();
    const onError = (err: unknown): void => {
      if (failed) return;
      failed = true;
      input.unpipe(extract as unknown as NodeJS.WritableStream);
      input.destroy();
      extract.destroy();
      const settled = inFlight.catch(() => {});
      const bound = new Promise<void>((r) => setTimeout(r, 2000).unref());
      void Promise.race([settled, bound]).then(() => reject(err));
    };
    extract.on('entry', (header, stream, next) => {
      inFlight = u.entry(header, stream);
      inFlight.then(() => next(), onError);
    });
    extract.on('finish', () => {
      if (failed) return;
      try { u.finish(); resolve(u.stats); } catch (err) { onError(err); }
    });
    extract.on('error', (e: Error) => onError(new Error(`malformed tar: ${e.message}`)));
    input.on('error', onError);
    input.pipe(extract as unknown as NodeJS.WritableStream);
  });
}

class Unpacker {
  readonly stats: UnpackStats = { files: 0, skipped: [] };
  /** relative paths known to be real directories we made or checked (cache for lstat) */
  private readonly dirs = new Set<string>(['']);
  private readonly dirMeta = new Map<string, tar.Header>();
  private readonly root = process.getuid?.() === 0;

  constructor(private readonly dir: string, private readonly label: string) {}

  private refuse(member: string, reason: string): never {
    fail('TSS_EARCHIVE', `unpack ${this.label}`, member, reason);
  }

  async entry(h: tar.Header, stream: EntryStream): Promise<void> {
    const name = h.name;
    const refuse = (r: string): never => this.refuse(name, r);
    const parts = memberParts(name, refuse);
    const rel = parts.join('/');
    const base = parts[parts.length - 1] ?? '';
    const parent = parts.slice(0, -1);
    try {
      if (base.startsWith(WH)) {
        if (h.type !== 'file') refuse('whiteout is not a regular file');
        this.ensureDir(parent, refuse);
        if (base === OPAQUE) setOpaque(this.abs(parent.join('/')));
        else if (!base.startsWith(`${WH}${WH}`)) {
          const victim = base.slice(WH.length);
          if (victim === '' || victim === '.' || victim === '..') refuse('whiteout names a path outside its directory');
          const vrel = [...parent, victim].join('/');
          this.clear(vrel);
          mknodWhiteout(this.abs(vrel));
          this.stats.files++;
        }
        return;
      }
      switch (h.type) {
        case 'file':
        case 'contiguous-file':
          this.ensureDir(parent, refuse);
          if (rel === '') refuse('a file cannot replace the layer root');
          this.clear(rel);
          await this.writeFile(rel, h, stream);
          break;
        case 'directory':
          this.ensureDir(parts, refuse);
          this.dirMeta.set(rel, h);
          break;
        case 'symlink':
          if (rel === '') refuse('a symlink cannot replace the layer root');
          this.ensureDir(parent, refuse);
          this.clear(rel);
          symlinkSync(h.linkname ?? '', this.abs(rel));
          if (this.root) lchownSync(this.abs(rel), h.uid ?? 0, h.gid ?? 0);
          if (h.mtime) lutimesSync(this.abs(rel), h.mtime, h.mtime);
          this.stats.files++;
          break;
        case 'link': {
          if (rel === '') refuse('a hardlink cannot replace the layer root');
          const target = memberParts(h.linkname ?? '', (r) => refuse(`hardlink target \`${h.linkname}\`: ${r}`));
          const trel = target.join('/');
          this.checkDir(target.slice(0, -1), (r) => refuse(`hardlink target \`${h.linkname}\`: ${r}`));
          const st = lstatOrNull(this.abs(trel));
          if (st === null || trel === '') return refuse(`hardlink target \`${h.linkname}\` is not a file of this layer`);
          if (!st.isFile() && !st.isSymbolicLink()) refuse(`hardlink target \`${h.linkname}\` is not a regular file`);
          this.ensureDir(parent, refuse);
          if (trel === rel) break;
          this.clear(rel);
          linkSync(this.abs(trel), this.abs(rel));
          this.stats.files++;
          break;
        }
        case 'character-device':
        case 'block-device':
        case 'fifo':
          this.stats.skipped.push(name);
          break;
        default:
          break; // pax/gnu metadata is consumed by tar-stream; unknown types carry nothing we create
      }
    } catch (err) {
      if (err instanceof SandboxError) throw err;
      refuse(errnoReason(err));
    } finally {
      stream.resume(); // drain whatever was not read (skipped members, refusals)
    }
  }

  private abs(rel: string): string { return rel === '' ? this.dir : join(this.dir, rel); }

  /** ensureDir makes every component a real directory inside the layer, refusing symlinks. */
  private ensureDir(parts: string[], refuse: (r: string) => never): void {
    let rel = '';
    for (const p of parts) {
      rel = rel === '' ? p : `${rel}/${p}`;
      if (this.dirs.has(rel)) continue;
      const st = lstatOrNull(this.abs(rel));
      if (!st) mkdirSync(this.abs(rel), 0o755);
      else if (st.isSymbolicLink()) refuse(`writes through the symlink \`${rel}\``);
      else if (!st.isDirectory()) {
        // tar semantics: a later directory member replaces an earlier non-directory of the same name
        if (rel !== parts.join('/')) refuse(`\`${rel}\` is not a directory`);
        this.clear(rel);
        mkdirSync(this.abs(rel), 0o755);
      }
      this.dirs.add(rel);
    }
  }

  /** checkDir is ensureDir without creating anything (for hardlink targets). */
  private checkDir(parts: string[], refuse: (r: string) => never): void {
    let rel = '';
    for (const p of parts) {
      rel = rel === '' ? p : `${rel}/${p}`;
      if (this.dirs.has(rel)) continue;
      const st = lstatOrNull(this.abs(rel));
      if (!st) refuse('does not exist in this layer');
      if (st.isSymbolicLink()) refuse(`goes through the symlink \`${rel}\``);
      if (!st.isDirectory()) refuse(`\`${rel}\` is not a directory`);
      this.dirs.add(rel);
    }
  }

  /** clear removes whatever a new member replaces (never following a symlink: rm lstat's). */
  private clear(rel: string): void {
    const st = lstatOrNull(this.abs(rel));
    if (!st) return;
    rmSync(this.abs(rel), { recursive: true, force: true });
    if (st.isDirectory()) {
      for (const d of this.dirs) if (d === rel || d.startsWith(`${rel}/`)) this.dirs.delete(d);
    }
  }

  private async writeFile(rel: string, h: tar.Header, stream: EntryStream): Promise<void> {
    const fd = openSync(this.abs(rel), OPEN_NEW, 0o600);
    try {
      for await (const chunk of stream) {
        const b = chunk as Buffer;
        let off = 0;
        while (off < b.length) off += writeSync(fd, b, off, b.length - off);
      }
      if (this.root) fchownSync(fd, h.uid ?? 0, h.gid ?? 0);
      // chmod after chown: chown clears setuid/setgid, which we keep as data
      fchmodSync(fd, (h.mode ?? 0o644) & 0o7777);
      if (h.mtime) futimesSync(fd, h.mtime, h.mtime);
    } finally {
      closeSync(fd);
    }
    this.stats.files++;
  }

  /** finish applies directory ownership, modes and times, deepest first (children touch mtimes). */
  finish(): void {
    const rels = [...this.dirMeta.keys()].sort((a, b) => b.split('/').length - a.split('/').length);
    for (const rel of rels) {
      const h = this.dirMeta.get(rel)!;
      const st = lstatOrNull(this.abs(rel));
      if (!st?.isDirectory()) continue;
      if (this.root) lchownSync(this.abs(rel), h.uid ?? 0, h.gid ?? 0);
      chmodSync(this.abs(rel), (h.mode ?? 0o755) & 0o7777);
      if (h.mtime) lutimesSync(this.abs(rel), h.mtime, h.mtime);
    }
  }
}

function lstatOrNull(p: string): Stats | null {
  try { return lstatSync(p); } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
