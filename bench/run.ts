// bench/run.ts — cold `run --rm` of the demo image next to node's own start and the peers, measured in one run (bench)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from './types.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'bin', 'tssandbox.js');
const HELLO = join(ROOT, 'build', 'demo', 'rootfs');

function median(xs: number[]): number { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; }

/** timeIt runs argv N times (after one warm-up) and returns the median wall time in ms, or null when it fails. */
function timeIt(argv: string[], n: number, env: NodeJS.ProcessEnv = process.env): number | null {
  const once = () => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    return r.status === 0 ? ms : null;
  };
  if (once() === null) return null;
  const xs: number[] = [];
  for (let i = 0; i < n; i++) { const ms = once(); if (ms === null) return null; xs.push(ms); }
  return median(xs);
}

function which(cmd: string): boolean { return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0; }

function ociBundle(dir: string): string {
  const bundle = join(dir, 'bundle');
  mkdirSync(bundle, { recursive: true });
  spawnSync('cp', ['-a', HELLO, join(bundle, 'rootfs')]);
  const config = {
    ociVersion: '1.0.2', process: { terminal: false, user: { uid: 0, gid: 0 }, args: ['/hello'], env: ['PATH=/'], cwd: '/', noNewPrivileges: true,
      capabilities: { bounding: [], effective: [], permitted: [] } },
    root: { path: 'rootfs', readonly: true }, hostname: 'bench',
    mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
    linux: { namespaces: ['pid', 'network', 'ipc', 'uts', 'mount'].map((type) => ({ type })), maskedPaths: [], readonlyPaths: [] },
  };
  mkdirSync(join(bundle, 'rootfs', 'proc'), { recursive: true });
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(config));
  return bundle;
}

export async function benchRun(n = 10): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tss-bench-run-'));
  const env = { ...process.env, TSSANDBOX_ROOT: join(dir, 'root'), TSSANDBOX_RUN_ROOT: join(dir, 'run') };
  const rows: BenchRow[] = [];
  try {
    const node = timeIt([process.execPath, '-e', '0'], n);
    const ours = timeIt([process.execPath, CLI, 'run', '--rm', '--profile', 'strict', 'tssandbox/demo'], n, env);
    rows.push({ name: 'node -e 0', value: node ?? NaN, unit: 'ms' });
    rows.push({ name: 'tssandbox run --rm --profile strict (demo)', value: ours ?? NaN, unit: 'ms', note: ours && node ? `${(ours / node).toFixed(2)}× node; ${(ours - node).toFixed(1)} ms above node` : 'failed' });
    const bundle = ociBundle(dir);
    if (which('bwrap')) {
      const b = timeIt(['bwrap', '--unshare-all', '--die-with-parent', '--ro-bind', join(bundle, 'rootfs'), '/', '--proc', '/proc', '/hello'], n);
      rows.push({ name: 'bwrap (same rootfs)', value: b ?? NaN, unit: 'ms', note: b && ours ? `tssandbox/bwrap ${(ours / b).toFixed(2)}×` : 'failed' });
    }
    for (const rt of ['runc', 'crun']) {
      if (!which(rt)) continue;
      // crun refuses this machine's hybrid cgroups unless cgroup2's mount is hidden from it
      const cmd = rt === 'crun'
        ? ['unshare', '-m', 'sh', '-c', `umount /sys/fs/cgroup/unified 2>/dev/null; exec crun --root ${join(dir, 'crun')} run --bundle ${bundle} bench-$$`]
        : ['sh', '-c', `exec runc --root ${join(dir, 'runc')} run --bundle ${bundle} bench-$$`];
      const v = timeIt(cmd, n);
      rows.push({ name: `${rt} run (same rootfs)`, value: v ?? NaN, unit: 'ms', note: v && ours && node ? `tssandbox/${rt} ${(ours / v).toFixed(2)}×; tssandbox above node vs ${rt} whole: ${(ours - node).toFixed(1)} vs ${v.toFixed(1)} ms` : 'failed' });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (!existsSync(HELLO)) throw new Error('build/demo missing: npm run build');
