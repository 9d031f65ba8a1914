// bench/image.ts — load throughput of a large docker save archive next to sha256sum + GNU tar (host, root)
//
// The archive: the Debian minbase from test/helpers/debian-rootfs.ts (cached), imported and saved
// by tssandbox. The baseline does the same work with GNU tools: sha256sum over the archive, then
// GNU tar unpacks the layer out of it. Runs alternate so both see the same machine load; the
// median of each is compared. Target (DESIGN §7): ratio ≥ 0.8.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../image/index.js';
import { debianRootfs } from '../test/helpers/debian-rootfs.js';

export interface ImageLoadBench {
  archive: string;
  archiveBytes: number;
  /** median seconds of `load` into an empty store */
  tssandboxSeconds: number;
  /** median seconds of sha256sum + GNU tar unpacking the same layer */
  gnuSeconds: number;
  tssandboxMBps: number;
  gnuMBps: number;
  /** tssandbox throughput / GNU throughput (≥ 0.8 is the target) */
  ratio: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** benchImageLoad measures `runs` alternating rounds (default 3). */
export async function benchImageLoad(runs = 3): Promise<ImageLoadBench> {
  const dir = mkdtempSync(join(tmpdir(), 'tss-bench-image-'));
  try {
    const src = openStore(join(dir, 'src'));
    await src.importRootfs(await debianRootfs(), 'bench/debian:minbase');
    const archive = join(dir, 'debian.tar');
    await src.save(archive, ['bench/debian:minbase']);
    const layer = src.info('bench/debian:minbase').record.layers[0]!.diffId.slice(7);
    const ours: number[] = [];
    const gnu: number[] = [];
    for (let i = 0; i < runs; i++) {
      const root = join(dir, `load-${i}`);
      let t0 = process.hrtime.bigint();
      await openStore(root).load(archive);
      ours.push(Number(process.hrtime.bigint() - t0) / 1e9);
      rmSync(root, { recursive: true, force: true });

      const out = join(dir, `gnu-${i}`);
      mkdirSync(out);
      t0 = process.hrtime.bigint();
      execFileSync('sha256sum', [archive], { stdio: 'ignore' });
      execFileSync('sh', ['-c', 'tar -xOf "$1" "blobs/sha256/$2" | tar -x -C "$3"', 'sh', archive, layer, out], { stdio: 'ignore' });
      gnu.push(Number(process.hrtime.bigint() - t0) / 1e9);
      rmSync(out, { recursive: true, force: true });
    }
    const bytes = statSync(archive).size;
    const o = median(ours);
    const g = median(gnu);
    return { archive, archiveBytes: bytes, tssandboxSeconds: o, gnuSeconds: g, tssandboxMBps: bytes / 1e6 / o, gnuMBps: bytes / 1e6 / g, ratio: g / o };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** formatImageLoad renders one line for `npm run bench`. */
export function formatImageLoad(r: ImageLoadBench): string {
  return `image load: ${(r.archiveBytes / 1e6).toFixed(0)} MB archive, tssandbox ${r.tssandboxMBps.toFixed(0)} MB/s, sha256sum+tar ${r.gnuMBps.toFixed(0)} MB/s, ratio ${r.ratio.toFixed(2)} (target >= 0.8)`;
}
