// image/compress.ts — recognise and undo gzip / zstd on a stream (CLI process)
//
// Node 20's zlib has no zstd, so zstd goes through the `zstd` command (Debian package zstd).
import { spawn } from 'node:child_process';
import { Duplex, PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { fail } from '../common/errors.js';

export type Compression = 'gzip' | 'zstd' | 'none';

export function sniff(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

/** peek reads the first bytes of a stream and puts them back; a stream that ends early gives less. */
export function peek(stream: Readable, n = 512): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let len = 0;
    const done = (): void => {
      stream.off('readable', onReadable); stream.off('end', done); stream.off('error', onErr);
      const b = Buffer.concat(chunks);
      if (b.length) stream.unshift(b);
      resolve(b);
    };
    const onErr = (e: Error): void => { stream.off('readable', onReadable); stream.off('end', done); reject(e); };
    const onReadable = (): void => {
      let c: Buffer | null;
      while (len < n && (c = stream.read() as Buffer | null) !== null) { chunks.push(c); len += c.length; }
      if (len >= n) done();
    };
    stream.on('readable', onReadable);
    stream.on('end', done);
    stream.on('error', onErr);
  });
}

/** decoder returns a transform stream that undoes the given compression. */
export function decoder(kind: Compression, what: string): Duplex {
  if (kind === 'gzip') return createGunzip({ chunkSize: 256 * 1024 });
  if (kind === 'none') return new PassThrough({ highWaterMark: 256 * 1024 });
  const child = spawn('zstd', ['-dcq'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const duplex = Duplex.from({ writable: child.stdin, readable: child.stdout });
  child.on('error', (err) => duplex.destroy(new Error(`zstd: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'the zstd command is not installed' : err.message}`)));
  child.on('close', (code) => {
    if (code !== 0 && code !== null) duplex.destroy(new Error(`zstd: ${stderr.trim().split('\n').pop() || `exit ${code}`}`));
  });
  // a consumer that stops early must not leave zstd running
  duplex.on('close', () => { if (child.exitCode === null) child.kill(); });
  child.stdin.on('error', () => { /* EPIPE when zstd fails first: reported by close */ });
  void what;
  return duplex;
}

export function mediaTypeFor(kind: Compression): string {
  return kind === 'gzip' ? 'application/vnd.oci.image.layer.v1.tar+gzip'
    : kind === 'zstd' ? 'application/vnd.oci.image.layer.v1.tar+zstd'
      : 'application/vnd.oci.image.layer.v1.tar';
}

export function assertKnown(kind: string, what: string): Compression {
  if (kind === 'gzip' || kind === 'zstd' || kind === 'none') return kind;
  return fail('TSS_EARCHIVE', 'decompress', what, `unknown compression ${kind}`);
}
