// image/layer.ts — take one layer stream: hash it, decompress it, hash the tar, unpack it (CLI process)
//
// One pass over the bytes: the blob digest (as stored), the diff_id (the uncompressed tar) and the
// unpacked tree come out together. The caller compares the digests with what the manifest and the
// config claim and only then renames the work dir into the store.
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SandboxError, fail, errnoReason } from '../common/errors.js';
import { decoder, mediaTypeFor, peek, sniff, type Compression } from './compress.js';
import { unpackLayer, type UnpackStats } from './unpack.js';

export interface IngestedLayer {
  /** sha256 of the bytes as received (the blob) */
  readonly digest: string;
  readonly size: number;
  /** sha256 of the uncompressed tar */
  readonly diffId: string;
  readonly diffSize: number;
  readonly compression: Compression;
  readonly mediaType: string;
  /** the unpacked tree (a work dir), when unpacking was asked for */
  readonly dir?: string;
  readonly stats?: UnpackStats;
}

export interface IngestOptions {
  /** for error messages: "layer 2 of busybox.tar" */
  readonly label: string;
  /** write the received bytes here (the future blob) */
  readonly blobOut?: string;
  /** unpack into this dir (created); omitted → only hash (the layer is already in the store) */
  readonly unpackTo?: string;
  /** called with the number of received bytes as they pass (progress) */
  readonly onBytes?: (n: number) => void;
}

function hashing(hash: Hash, count: { n: number }, onBytes?: (n: number) => void): Transform {
  return new Transform({
    highWaterMark: 256 * 1024,
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      count.n += chunk.length;
      onBytes?.(chunk.length);
      cb(null, chunk);
    },
  });
}

/** ingestLayer consumes raw fully; it rejects with a one-line SandboxError naming the layer. */
export async function ingestLayer(input: Readable, opts: IngestOptions): Promise<IngestedLayer> {
  let blobFile: WriteStream | undefined;
  try {
    const { head, rest: raw } = await peek(input, 512);
    const compression = sniff(head);
    const rawHash = createHash('sha256');
    const diffHash = createHash('sha256');
    const rawCount = { n: 0 };
    const diffCount = { n: 0 };
    const rawTap = hashing(rawHash, rawCount, opts.onBytes);
    const diffTap = hashing(diffHash, diffCount);
    const jobs: Promise<unknown>[] = [];
    let stats: UnpackStats | undefined;
    if (opts.blobOut) {
      // tee: the received bytes go to the blob file and on to the decoder
      const file = createWriteStream(opts.blobOut, { flags: 'wx', mode: 0o600 });
      blobFile = file;
      const tee = new Transform({
        highWaterMark: 256 * 1024,
        transform(chunk: Buffer, _e, cb) {
          if (!file.write(chunk)) file.once('drain', () => cb(null, chunk));
          else cb(null, chunk);
        },
        flush(cb) { file.end(() => cb()); },
      });
      file.on('error', (e) => tee.destroy(e));
      jobs.push(pipeline(raw, rawTap, tee, decoder(compression), diffTap));
    } else {
      jobs.push(pipeline(raw, rawTap, decoder(compression), diffTap));
    }
    if (opts.unpackTo) {
      mkdirSync(opts.unpackTo, { mode: 0o755 });
      jobs.push(unpackLayer(diffTap, opts.unpackTo, opts.label).then((s) => { stats = s; }));
    } else {
      jobs.push(pipeline(diffTap, new Writable({ write(_c, _e, cb) { cb(); } })));
    }
    await settleAll(jobs);
    return {
      digest: `sha256:${rawHash.digest('hex')}`,
      size: rawCount.n,
      diffId: `sha256:${diffHash.digest('hex')}`,
      diffSize: diffCount.n,
      compression,
      mediaType: mediaTypeFor(compression),
      ...(opts.unpackTo ? { dir: opts.unpackTo } : {}),
      ...(stats ? { stats } : {}),
    };
  } catch (err) {
    // the blob file may still be opening or flushing: let it close before the caller removes the
    // work directory, or the open lands after the removal listed it (rmSync ENOTEMPTY)
    const f = blobFile;
    if (f && !f.closed) { f.destroy(); await new Promise<void>((r) => { f.once('close', () => r()); setTimeout(r, 2000).unref(); }); }
    if (err instanceof SandboxError) throw err;
    return fail('TSS_EARCHIVE', 'read', opts.label, errnoReason(err), err);
  }
}

/** settleAll waits for every job and rethrows the most telling failure (a refusal beats EPIPE). */
async function settleAll(jobs: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(jobs);
  const errors = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
  if (errors.length === 0) return;
  throw errors.find((e) => e instanceof SandboxError) ?? errors.find((e) => !/premature close|EPIPE|aborted/i.test(String(e))) ?? errors[0];
}
