// test/lifecycle/stats.test.ts — `stats` of running detached containers: memory, its limit, CPU, pids; once and streamed (tests, root)
import { spawn } from 'node:child_process';
import t from 'tap';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import type { Member } from '../helpers/image-archives.js';
import { CLI } from '../helpers/paths.js';
import { rootMissing, Sandbox } from '../helpers/sandbox.js';

const skip = rootMissing() || busyboxMissing();
const applets: Member[] = ['sleep'].map((a) => ({ name: `./bin/${a}`, type: 'symlink', linkname: 'busybox' }));

interface Row { ID: string; Name: string; CPUPerc: string; MemUsage: string; PIDs: string; CpuPercent: number | null; MemoryBytes: number | null; MemoryLimit: number | null; Pids: number | null }
const parse = (s: string): Row[] => s.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row);

t.test('stats of running containers', { skip }, async (t) => {
  const sb = new Sandbox('lc-stats');
  t.teardown(() => { for (const n of ['busy', 'idle']) sb.cli(['rm', '-f', n]); sb.cleanup(); });
  await sb.importBusybox('busybox', applets);
  // --cpus 0.2: the loop only has to show CPU use; unlimited it took a whole core from the other test job for this file's 30 s
  const busy = sb.cli(['run', '-d', '--name', 'busy', '--memory', '64m', '--cpus', '0.2', 'busybox', 'sh', '-c', 'while :; do :; done']);
  t.equal(busy.code, 0, busy.stderr);
  const idle = sb.cli(['run', '-d', '--name', 'idle', 'busybox', 'sh', '-c', 'sleep 1000 & sleep 1000 & wait']);
  t.equal(idle.code, 0, idle.stderr);

  const one = sb.cli(['stats', '--no-stream', '--format', 'json', 'busy']);
  t.equal(one.code, 0, one.stderr);
  const [r] = parse(one.stdout);
  t.equal(r?.Name, 'busy');
  t.equal(r?.ID, busy.stdout.trim().slice(0, 12));
  t.ok((r?.MemoryBytes ?? 0) > 0, 'memory in use is above zero');
  t.equal(r?.MemoryLimit, 64 * 1024 * 1024, 'the limit is --memory');
  t.match(r?.MemUsage, / \/ 64MiB$/);
  t.ok((r?.Pids ?? 0) >= 1, 'at least its pid 1');
  t.ok((r?.CpuPercent ?? 0) > 0, 'a busy loop uses CPU');

  const both = parse(sb.cli(['stats', '--no-stream', '--format', 'json']).stdout);
  t.same(both.map((x) => x.Name).sort(), ['busy', 'idle'], 'without names: every running container');
  t.ok((both.find((x) => x.Name === 'idle')?.Pids ?? 0) >= 3, 'pids counts every process of the container');

  const tbl = sb.cli(['stats', '--no-stream', 'idle']);
  t.match(tbl.stdout, /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+PIDS\n[0-9a-f]{12}\s+idle\s+[\d.]+%\s+\S+ \/ \S+\s+[\d.]+%\s+\d+\n$/);

  t.test('streaming: a sample per interval until interrupted', async (t) => {
    const child = spawn(process.execPath, [CLI, 'stats', '--format', 'json', '--interval', '200', 'busy'], { env: sb.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d: string) => {
        out += d;
        if (out.split('\n').filter(Boolean).length >= 3) child.kill('SIGINT');
      });
      child.on('close', (c) => resolve(c));
    });
    t.equal(code, 0, 'SIGINT ends the stream cleanly');
    const rows = parse(out);
    t.ok(rows.length >= 3);
    t.ok(rows.every((x) => x.Name === 'busy' && (x.MemoryLimit ?? 0) === 64 << 20));
  });

  t.test('a stopped container shows no numbers', async (t) => {
    t.equal(sb.cli(['stop', '-t', '1', 'idle']).code, 0);
    const [x] = parse(sb.cli(['stats', '--no-stream', '--format', 'json', 'idle']).stdout);
    t.equal(x?.Pids, null);
    t.equal(x?.CPUPerc, '--');
    const none = sb.cli(['stats', '--no-stream', 'nosuch']);
    t.not(none.code, 0, 'an unknown name fails');
    t.match(none.stderr, /stats `nosuch`/);
  });

  t.test('cleanup', async (t) => {
    for (const n of ['busy', 'idle']) t.equal(sb.cli(['rm', '-f', n]).code, 0);
    t.same(sb.leftovers(), []);
  });
});
