// image/compress.ts — recognise and undo gzip / zstd on a stream (CLI process)
//
// Node 20's zlib has no zstd, so zstd goes through the `zstd` command (Debian package zstd).
import { spawn } from 'node:child_process';
import { Duplex, PassThrough, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export type Compression = 'gzip' | 'zstd' | 'none';

export function sniff(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

/**
 * peek reads the first bytes of a stream and returns them with a stream of the whole content
 * (head included); a stream shorter than n gives all it has.
 */
export async function peek(stream: Readable, n = 512): Promise<{ head: Buffer; rest: Readable }> {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let len = 0;
  let ended = false;
  while (len < n) {
    const r = await it.next();
    if (r.done) { ended = true; break; }
    chunks.push(r.value);
    len += r.value.length;
  }
  const head = Buffer.concat(chunks);
  async function* all(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    if (ended) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return { head, rest: Readable.from(all(), { objectMode: false, highWaterMark: 1024 * 1024 }) };
}

/** decoder returns a transform stream that undoes the given compression. */
export function decoder(kind: Compression): Duplex {
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
  return duplex;
}

export function mediaTypeFor(kind: Compression): string {
  return kind === 'gzip' ? 'application/vnd.oci.image.layer.v1.tar+gzip'
    : kind === 'zstd' ? 'application/vnd.oci.image.layer.v1.tar+zstd'
      : 'application/vnd.oci.image.layer.v1.tar';
}
