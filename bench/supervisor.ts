// bench/supervisor.ts — RSS of a detached per-container supervisor, idle and after logging a flood (bench, root)
//
// The issue's target is ≤ 50 MB per supervisor (a lean entry point: no image or policy code).
// Measured from /proc/<pid>/status VmRSS of the supervisor `run -d` leaves behind, plus its watchdog's.
// Once the payload has started, the supervisor drops the clean file pages start-up touched of node's
// binary (native/addon/trim.cc): the file part is then the pages it has used since, which the flood
// row shows growing back with real work; the anon part is what each container really costs.
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, existsSync, fstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, rmdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from './types.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'bin', 'tssandbox.js');
const BUSYBOX = '/bin/busybox';

/** VmRSS with its split: RssFile is mostly the node binary's pages, shared by every supervisor through the page cache */
function rss(pid: number): { total: number; anon: number; file: number } {
  const st = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => { const m = new RegExp(`${k}:\\s+(\\d+)\\s+kB`).exec(st); return m ? Number(m[1]) / 1024 : NaN; };
  return { total: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
}

/** the supervisor's watchdog child (native/watchdog/watchdog.c), counted with it: it exists for it */
function watchdogPid(pid: number): number | undefined {
  let kids: string[] = [];
  try { kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean); } catch { return undefined; }
  return kids.map(Number).find((k) => { try { return readFileSync(`/proc/${k}/comm`, 'utf8').trim() === 'watchdog'; } catch { return false; } });
}

export async function benchSupervisorRss(): Promise<BenchRow[]> {
  if (process.getuid?.() !== 0 || !existsSync(BUSYBOX)) return [{ name: 'detached supervisor RSS', value: NaN, unit: 'MB', note: 'needs root and /bin/busybox' }];
  const dir = mkdtempSync(join(tmpdir(), 'tss-bench-sup-'));
  const parent = `tss-bench-sup-${process.pid}`;
  const env = { ...process.env, TSSANDBOX_ROOT: join(dir, 'root'), TSSANDBOX_RUN_ROOT: join(dir, 'run') };
  const cli = (...a: string[]) => spawnSync(process.execPath, [CLI, ...a], { env, encoding: 'utf8', timeout: 300_000 });
  const rows: BenchRow[] = [];
  try {
    const fs = join(dir, 'rootfs');
    mkdirSync(join(fs, 'bin'), { recursive: true });
    copyFileSync(BUSYBOX, join(fs, 'bin', 'busybox'));
    chmodSync(join(fs, 'bin', 'busybox'), 0o755);
    for (const a of ['sh', 'sleep', 'yes', 'head']) symlinkSync('busybox', join(fs, 'bin', a));
    spawnSync('tar', ['--owner=0', '--group=0', '--numeric-owner', '-C', fs, '-cf', join(dir, 'bb.tar'), '.']);
    if (cli('import', join(dir, 'bb.tar'), 'bench/busybox').status !== 0) throw new Error('import failed');
    const cases: [string, string][] = [
      ['detached supervisor RSS, idle', 'exec sleep 1000'],
      // 32 MiB is not a whole number of 17-byte lines: end the last one before the marker line
      ['detached supervisor RSS, after logging 32 MiB', 'yes 0123456789abcdef | head -c 33554432; echo; echo done; exec sleep 1000'],
    ];
    for (const [name, script] of cases) {
      const r = cli('run', '-d', '--cgroup-parent', parent, 'bench/busybox', 'sh', '-c', script);
      if (r.status !== 0) { rows.push({ name, value: NaN, unit: 'MB', note: r.stderr.trim() }); continue; }
      const id = r.stdout.trim();
      // wait until the payload's output is logged (the last line), then let the heap settle
      // (read from the log file's end: `logs --tail 1` parses all 20 MiB the cap keeps, each time)
      const log = join(env.TSSANDBOX_ROOT, 'containers', id, 'container.log');
      const logged = () => {
        try {
          const fd = openSync(log, 'r');
          try {
            const buf = Buffer.alloc(256);
            const n = readSync(fd, buf, 0, 256, Math.max(0, fstatSync(fd).size - 256));
            return buf.subarray(0, n).toString().includes('done\\n","stream":"stdout"');
          } finally { closeSync(fd); }
        } catch { return false; }
      };
      if (script.includes('echo done')) for (let i = 0; i < 1200 && !logged(); i++) await new Promise((res) => setTimeout(res, 100));
      await new Promise((res) => setTimeout(res, 1000));
      const ins = JSON.parse(cli('inspect', id).stdout) as { State: { SupervisorPid: number } }[];
      const sup = ins[0]!.State.SupervisorPid;
      const m = rss(sup);
      const w = watchdogPid(sup);
      const wd = w ? rss(w).total : 0;
      rows.push({ name, value: m.total + wd, unit: 'MB', note: `target ≤ 50 MB; supervisor anon ${m.anon.toFixed(1)} + file ${m.file.toFixed(1)} (shared page-cache pages used since start-up)${w ? ` + watchdog process ${wd.toFixed(1)}` : ', no watchdog process found'}` });
      cli('rm', '-f', id);
    }
  } catch (e) {
    rows.push({ name: 'detached supervisor RSS', value: NaN, unit: 'MB', note: (e as Error).message });
  } finally {
    for (const c of ['blkio', 'cpu', 'cpuacct', 'cpuset', 'freezer', 'memory', 'pids', 'unified', 'hugetlb', '']) {
      try { rmdirSync(join('/sys/fs/cgroup', c, parent)); } catch { /* not there */ }
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const r of await benchSupervisorRss()) process.stdout.write(`${r.name.padEnd(52)} ${r.value.toFixed(1)} ${r.unit}${r.note ? `   (${r.note})` : ''}\n`);
}
