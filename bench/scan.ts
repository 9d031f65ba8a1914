// bench/scan.ts — image scan throughput (MB/s) over a large generated image (host, root)
//
// The image: 3 layers of mixed content (config-like text with a few planted secrets, source-like
// text, binary blobs), ~150 MB uncompressed, built in a temp store. Reported: the median MB/s of
// scanImage over 3 runs (ClamAV off: its speed is not ours).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../image/index.js';
import { scanImage } from '../image/scan/index.js';
import { dockerSaveLegacy, tarOf, type Member } from '../test/helpers/image-archives.js';
import type { BenchRow } from './types.js';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function textFile(i: number, bytes: number): string {
  const lines: string[] = [];
  let n = 0;
  for (let k = 0; n < bytes; k++) {
    const l = k % 50 === 0 ? `# section ${i}.${k}\nname = service-${k}\nport = ${8000 + k}\npassword = \${SERVICE_${k}_PASSWORD}\n`
      : `  value_${k} = "${randomBytes(24).toString('base64')}" # ordinary configuration text, line ${k}\n`;
    lines.push(l);
    n += l.length;
  }
  return lines.join('');
}

/** benchScan: rows "scan throughput" (MB/s) and "scan files/s" over the generated image. */
export async function benchScan(runs = 3, layerMB = 50): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tss-bench-scan-'));
  try {
    const layers: Buffer[] = [];
    for (let l = 0; l < 3; l++) {
      const members: Member[] = [{ name: `data${l}/`, type: 'directory' }];
      let size = 0;
      for (let i = 0; size < layerMB * 1e6; i++) {
        const data = i % 4 === 3 ? randomBytes(512 * 1024) : Buffer.from(textFile(i, 64 * 1024));
        members.push({ name: `data${l}/f${i}${i % 4 === 3 ? '.bin' : '.conf'}`, data });
        size += data.length;
      }
      members.push({ name: `data${l}/leak.env`, data: `DB_PASSWORD=${randomBytes(12).toString('hex')}\n` });
      layers.push(await tarOf(members));
    }
    const archive = join(dir, 'bench.tar');
    writeFileSync(archive, await tarOf(dockerSaveLegacy([{ layers, tags: ['bench/scan:1'], config: { User: 'app' } }])));
    const store = openStore(join(dir, 'root'));
    await store.load(archive);
    const mbps: number[] = [];
    const fps: number[] = [];
    let bytes = 0;
    for (let i = 0; i < runs; i++) {
      const r = await scanImage(store, 'bench/scan:1', { clamscan: false });
      bytes = r.stats.bytes;
      mbps.push(r.stats.bytes / 1e6 / r.stats.seconds);
      fps.push(r.stats.files / r.stats.seconds);
    }
    const note = `${(bytes / 1e6).toFixed(0)} MB generated image, 3 layers, median of ${runs}`;
    return [
      { name: 'scan throughput', value: Number(median(mbps).toFixed(1)), unit: 'MB/s', note },
      { name: 'scan files', value: Math.round(median(fps)), unit: 'files/s', note },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
