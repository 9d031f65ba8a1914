// image/archive.ts — the outer archive of `load`: a tar (staged to the work dir) or a directory (CLI process)
//
// An ArchiveView hides where members live. Tar members are copied once into the work dir while
// their sha256 is computed (the archive is read exactly once, from a file or from stdin); symlinks
// and hardlinks between members are resolved inside the archive's own namespace and never created.
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, lstatSync, openSync, readSync, realpathSync, writeSync } from 'node:fs';
import { join, posix } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { fail, errnoReason, SandboxError } from '../common/errors.js';
import { decoder, peek, sniff } from './compress.js';
import { memberParts } from './unpack.js';

export interface ArchiveView {
  /** what the archive is called in messages */
  readonly label: string;
  has(name: string): boolean;
  /** the member's bytes (JSON documents; refuses anything over max) */
  read(name: string, max?: number): Buffer;
  open(name: string): Readable;
  /** the member as a file in the work dir that commit may rename into the store (tar input only) */
  stagedFile(name: string): string | undefined;
  /** sha256 of the member when already known ("sha256:<hex>") */
  knownDigest(name: string): string | undefined;
}

const MAX_DOC = 16 * 1024 * 1024;

/** cleanName validates a member name or a path a manifest names; refuses `..` and absolute names. */
export function cleanName(name: string, what: string): string {
  return memberParts(name, (r) => fail('TSS_EARCHIVE', 'read', what, `${r} in \`${name}\``)).join('/');
}

interface Staged { file: string; digest: string; size: number }

class TarView implements ArchiveView {
  readonly files = new Map<string, Staged>();
  readonly links = new Map<string, string>();
  constructor(readonly label: string) {}

  private resolve(name: string): Staged | undefined {
    let n = cleanName(name, this.label);
    for (let hops = 0; hops < 16; hops++) {
      const f = this.files.get(n);
      if (f) return f;
      const l = this.links.get(n);
      if (l === undefined) return undefined;
      n = l;
    }
    return fail('TSS_EARCHIVE', 'read', this.label, `too many links resolving \`${name}\``);
  }

  has(name: string): boolean { return this.resolve(name) !== undefined; }
  stagedFile(name: string): string | undefined { return this.resolve(name)?.file; }
  knownDigest(name: string): string | undefined { return this.resolve(name)?.digest; }
  open(name: string): Readable {
    const f = this.resolve(name) ?? fail('TSS_EARCHIVE', 'read', this.label, `member \`${name}\` is missing`);
    return createReadStream(f.file, { highWaterMark: 1024 * 1024 });
  }
  read(name: string, max = MAX_DOC): Buffer {
    const f = this.resolve(name) ?? fail('TSS_EARCHIVE', 'read', this.label, `member \`${name}\` is missing`);
    if (f.size > max) fail('TSS_EARCHIVE', 'read', `${this.label}: ${name}`, `${f.size} bytes is too large for a JSON document`);
    return readFileAll(f.file, f.size);
  }
}

function readFileAll(path: string, size: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(size);
    let off = 0;
    while (off < size) { const n = readSync(fd, b, off, size - off, off); if (n === 0) break; off += n; }
    return b.subarray(0, off);
  } finally { closeSync(fd); }
}

/** stageTar reads a (possibly gzip/zstd-compressed) tar stream into work/, returning its view. */
export async function stageTar(input: Readable, work: string, label: string, onBytes?: (n: number) => void): Promise<ArchiveView> {
  const view = new TarView(label);
  const counted = new Transform({ transform(c: Buffer, _e, cb) { onBytes?.(c.length); cb(null, c); } });
  input.on('error', (e) => counted.destroy(e));
  input.pipe(counted);
  const { head, rest } = await peek(counted, 512);
  const kind = sniff(head);
  const plain = kind === 'none' ? rest : rest.pipe(decoder(kind));
  if (plain !== rest) rest.on('error', (e) => plain.destroy(e));
  const extract = tar.extract();
  let n = 0;
  await new Promise<void>((resolve, reject) => {
    let failed = false;
    const onError = (err: unknown): void => {
      if (failed) return;
      failed = true;
      plain.unpipe(extract as unknown as NodeJS.WritableStream);
      input.destroy(); counted.destroy(); rest.destroy(); plain.destroy(); extract.destroy();
      reject(err);
    };
    extract.on('entry', (h, stream, next) => {
      (async () => {
        try {
          const name = cleanName(h.name, label);
          if (h.type === 'file' || h.type === 'contiguous-file') {
            const file = join(work, `m${n++}`);
            const hash = createHash('sha256');
            const fd = openSync(file, 'wx', 0o600);
            let size = 0;
            try {
              for await (const chunk of stream) {
                const b = chunk as Buffer;
                hash.update(b);
                size += b.length;
                let off = 0;
                while (off < b.length) off += writeSync(fd, b, off, b.length - off);
              }
            } finally { closeSync(fd); }
            view.files.set(name, { file, size, digest: `sha256:${hash.digest('hex')}` });
            view.links.delete(name);
          } else if (h.type === 'symlink' || h.type === 'link') {
            // resolved in the archive's namespace: a symlink is relative to its own directory
            const target = h.type === 'symlink' && !h.linkname.startsWith('/')
              ? posix.normalize(posix.join(posix.dirname(name), h.linkname))
              : h.linkname;
            view.links.set(name, cleanName(target, `${label}: link ${h.name}`));
            view.files.delete(name);
          }
        } finally { stream.resume(); }
      })().then(() => next(), onError);
    });
    extract.on('finish', () => { if (!failed) resolve(); });
    extract.on('error', (e: Error) => onError(fail_(label, `malformed or truncated tar: ${e.message}`)));
    plain.on('error', (e) => onError(e instanceof SandboxError ? e : fail_(label, errnoReason(e))));
    plain.pipe(extract as unknown as NodeJS.WritableStream);
  });
  return view;
}

function fail_(label: string, reason: string): SandboxError {
  return new SandboxError('TSS_EARCHIVE', `load \`${label}\`: ${reason}`);
}

/** dirView reads an OCI layout directory in place; members must resolve inside it. */
export function dirView(dir: string): ArchiveView {
  let root: string;
  try { root = realpathSync(dir); } catch (err) { return fail('TSS_EUSAGE', 'load', dir, errnoReason(err), err); }
  const pathOf = (name: string): string | undefined => {
    const p = join(root, cleanName(name, dir));
    let real: string;
    try { real = realpathSync(p); } catch { return undefined; }
    if (real !== root && !real.startsWith(`${root}/`)) fail('TSS_EARCHIVE', 'read', dir, `\`${name}\` resolves outside the layout`);
    if (!lstatSync(real).isFile()) return undefined;
    return real;
  };
  return {
    label: dir,
    has: (name) => pathOf(name) !== undefined,
    stagedFile: () => undefined,
    knownDigest: () => undefined,
    open: (name) => createReadStream(pathOf(name) ?? fail('TSS_EARCHIVE', 'read', dir, `\`${name}\` is missing`), { highWaterMark: 1024 * 1024 }),
    read: (name, max = MAX_DOC) => {
      const p = pathOf(name) ?? fail('TSS_EARCHIVE', 'read', dir, `\`${name}\` is missing`);
      const fd = openSync(p, 'r');
      let size: number;
      try { size = fstatSync(fd).size; } finally { closeSync(fd); }
      if (size > max) fail('TSS_EARCHIVE', 'read', `${dir}: ${name}`, 'too large for a JSON document');
      return readFileAll(p, size);
    },
  };
}
