// bench/main.ts — `npm run bench`: every benchmark, side by side with its peers, in one run (bench)
import { benchImageLoad, formatImageLoad } from './image.js';
import { benchRun } from './run.js';
import { benchSeccomp } from './seccomp.js';
import type { BenchRow } from './types.js';

function print(title: string, rows: BenchRow[]): void {
  process.stdout.write(`\n## ${title}\n`);
  for (const r of rows) process.stdout.write(`  ${r.name.padEnd(52)} ${Number.isFinite(r.value) ? r.value.toFixed(r.value < 100 ? 2 : 1) : 'n/a'} ${r.unit}${r.note ? `   (${r.note})` : ''}\n`);
}

const only = process.argv.slice(2);
const want = (k: string) => !only.length || only.includes(k);
if (want('run')) print('cold run --rm of the demo image (median of 10)', await benchRun(10));
if (want('seccomp')) print('seccomp filters', await benchSeccomp());
if (want('image')) { process.stdout.write('\n## image load\n'); process.stdout.write(`${formatImageLoad(await benchImageLoad(3))}\n`); }
for (const extra of ['scan', 'supervisor', 'notify']) {
  if (!want(extra)) continue;
  try {
    const m = await import(`./${extra}.js`) as { benchScan?: () => Promise<BenchRow[]>; benchSupervisorRss?: () => Promise<BenchRow[]>; benchNotify?: () => Promise<BenchRow[]> };
    if (m.benchScan) print('image scan', await m.benchScan());
    if (m.benchSupervisorRss) print('detached supervisor memory (target ≤ 50 MB)', await m.benchSupervisorRss());
    if (m.benchNotify) print('seccomp-notify round trips (target: within 2× the C loop, audit off)', await m.benchNotify());
  } catch { /* that benchmark is not built */ }
}
