// test/oci/update-events.test.ts — events --stats prints runc's stats JSON from the container's cgroup; update changes live limits (flags and -r FILE|-) in the kernel's files; events streams until the container stops; refusals (tests, root)
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import { CLI } from '../helpers/paths.js';
import { OciEnv, rootMissing } from './bundle.js';

const skip = rootMissing() || busyboxMissing();
const MiB = 1024 * 1024;

interface Stats {
  type: string; id: string;
  data: { cpu: { usage: { total: number; user: number; kernel: number } }; memory: { usage: { limit: number; usage: number } }; pids: { current: number; limit?: number } };
}

/** the kernel's value for a limit: the container's pids and memory cgroup files, v1 or cgroup2 */
function kernelLimit(pid: number, what: 'pids' | 'memory'): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const v1 = lines.find((l) => new RegExp(`^\\d+:${what}:`).test(l))?.split(':')[2];
  if (v1) return readFileSync(join('/sys/fs/cgroup', what, v1, what === 'pids' ? 'pids.max' : 'memory.limit_in_bytes'), 'utf8').trim();
  const v2 = lines.find((l) => l.startsWith('0::'))!.slice(3);
  return readFileSync(join('/sys/fs/cgroup', v2, what === 'pids' ? 'pids.max' : 'memory.max'), 'utf8').trim();
}

if (skip) t.plan(0, skip);
else {
  const env = new OciEnv('update');
  t.teardown(() => env.cleanup());

  const started = async (label: string) => {
    const b = await env.bundle(label, (c) => {
      c.process.args = ['sh', '-c', 'trap "exit 0" TERM; while true; do i=$((i+1)); done'];
      c.linux.resources = { ...(c.linux.resources ?? {}), memory: { limit: 64 * MiB }, pids: { limit: 40 } };
    });
    const id = env.newId(label);
    const run = env.create(id, b, `${env.dir}/${id}.out`);
    if (await run.created !== 0) throw new Error(`create ${id} failed`);
    if (env.oci(['start', id]).code !== 0) throw new Error(`start ${id} failed`);
    const payload = (JSON.parse(env.oci(['ps', '--format', 'json', id]).stdout) as number[])[0]!;
    return { id, run, payload };
  };
  const statsOf = (id: string): Stats => {
    const r = env.oci(['events', '--stats', id]);
    if (r.code !== 0) throw new Error(`events --stats: ${r.stderr}`);
    t.equal(r.stdout.split('\n').length, 2, 'one JSON line');
    return JSON.parse(r.stdout) as Stats;
  };

  t.test('events --stats: cpu, memory and pids of the container\'s cgroup, in runc\'s shape', async (t) => {
    const { id, run } = await started('stats');
    const s = statsOf(id);
    t.equal(s.type, 'stats');
    t.equal(s.id, id);
    t.ok(s.data.cpu.usage.total > 0, `cpu usage in ns (${s.data.cpu.usage.total})`);
    t.ok(s.data.cpu.usage.user + s.data.cpu.usage.kernel > 0, 'user and kernel time');
    t.equal(s.data.memory.usage.limit, 64 * MiB, 'the bundle\'s memory limit');
    t.ok(s.data.memory.usage.usage > 0, 'memory in use');
    t.equal(s.data.pids.limit, 40, 'the bundle\'s pids limit');
    t.ok(s.data.pids.current >= 1, 'the loop is counted');
    t.equal(env.oci(['kill', id, 'TERM']).code, 0);
    t.equal((await run.exited).status, 0);
    t.match(env.oci(['events', '--stats', id]).stderr, /container is not running/, 'a stopped container has no stats');
    t.equal(env.oci(['delete', id]).code, 0);
  });

  t.test('update: flags, -r FILE and -r - land in the kernel\'s files; events sees them', async (t) => {
    const { id, run, payload } = await started('upd');
    let r = env.oci(['update', '--memory', '96m', '--pids-limit', '50', id]);
    t.equal(r.code, 0, r.stderr);
    t.equal(kernelLimit(payload, 'memory'), String(96 * MiB));
    t.equal(kernelLimit(payload, 'pids'), '50');
    const s = statsOf(id);
    t.equal(s.data.memory.usage.limit, 96 * MiB);
    t.equal(s.data.pids.limit, 50);

    const file = join(env.dir, 'res.json');
    writeFileSync(file, JSON.stringify({ pids: { limit: 30 }, memory: { limit: 80 * MiB } }));
    r = env.oci(['update', '-r', file, '--pids-limit', '99', id]);
    t.equal(r.code, 0, r.stderr);
    t.equal(kernelLimit(payload, 'pids'), '30', '-r wins over the flags, as with runc');
    t.equal(kernelLimit(payload, 'memory'), String(80 * MiB));

    const viaStdin = spawnSync(process.execPath, [CLI, '--root', env.state, 'update', '-r', '-', id], { env: env.env(), input: '{"pids":{"limit":25}}', encoding: 'utf8' });
    t.equal(viaStdin.status, 0, viaStdin.stderr);
    t.equal(kernelLimit(payload, 'pids'), '25', '-r - reads stdin');

    r = env.oci(['update', '--cpu-quota', '50000', '--cpu-period', '100000', id]);
    t.equal(r.code, 0, r.stderr);
    t.equal(env.oci(['kill', id, 'TERM']).code, 0);
    t.equal((await run.exited).status, 0);
    t.match(env.oci(['update', '--pids-limit', '10', id]).stderr, /container is stopped/);
    t.equal(env.oci(['delete', id]).code, 0);
    t.same(env.leftovers([id]), []);
  });

  t.test('update refusals: one line naming the value and the reason, nothing changed', async (t) => {
    const { id, run, payload } = await started('bad');
    const cases: [string[], RegExp][] = [
      [['--memory', 'lots'], /--memory lots.*not a size/],
      [['--pids-limit', '1.5'], /--pids-limit 1\.5.*not a whole number/],
      [['--cpu-period', '50000'], /needs --cpu-quota/],
      [['--memory-reservation', '10m'], /--memory-reservation.*not supported/],
      [['-r', join(env.dir, 'missing.json')], /-r .*missing\.json/],
      [[], /no resource to update/],
    ];
    for (const [args, re] of cases) {
      const r = env.oci(['update', ...args, id]);
      t.equal(r.code, 1, args.join(' '));
      t.match(r.stderr, re);
      t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    }
    writeFileSync(join(env.dir, 'bad.json'), '{"pids":{"limit":"many"}}');
    t.match(env.oci(['update', '-r', join(env.dir, 'bad.json'), id]).stderr, /not a LinuxResources object: pids\.limit/);
    t.equal(kernelLimit(payload, 'pids'), '40', 'the limit is the bundle\'s still');
    t.match(env.oci(['update', '--pids-limit', '5', 'no-such-ctr']).stderr, /no-such-ctr.*does not exist/);
    t.match(env.oci(['events', '--interval', 'soon', id]).stderr, /--interval soon.*not a duration/);
    t.equal(env.oci(['kill', id, 'TERM']).code, 0);
    t.equal((await run.exited).status, 0);
    t.equal(env.oci(['delete', id]).code, 0);
  });

  t.test('events: an oom event when the memory controller OOM-kills a process of the container', async (t) => {
    const b = await env.bundle('oom', (c) => {
      // pid 1 survives; its child's 64 MiB buffer is over the 32 MiB limit (no swap to spill to)
      c.process.args = ['sh', '-c', 'trap "exit 0" TERM; read go < /tmp/go-fifo 2>/dev/null; busybox dd if=/dev/zero of=/dev/null bs=64M count=1; while true; do busybox sleep 0.1; done'];
      c.linux.resources = { ...(c.linux.resources ?? {}), memory: { limit: 32 * MiB, swap: 32 * MiB } };
    });
    const id = env.newId('oom');
    spawnSync('mkfifo', [join(b, 'rootfs', 'tmp', 'go-fifo')]);
    const run = env.create(id, b, `${env.dir}/${id}.out`);
    t.equal(await run.created, 0);
    t.equal(env.oci(['start', id]).code, 0);
    const ev = spawn(process.execPath, [CLI, '--root', env.state, 'events', '--interval', '100ms', id], { env: env.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    t.teardown(() => { if (ev.exitCode === null) ev.kill('SIGKILL'); });
    const types: string[] = [];
    const rl = createInterface({ input: ev.stdout! });
    const sawOom = new Promise<boolean>((res) => {
      rl.on('line', (l) => { types.push((JSON.parse(l) as { type: string }).type); if (types.includes('oom')) res(true); });
      ev.on('exit', () => res(false));
    });
    // the first stats line means events has read the OOM count before the hog runs
    await new Promise<void>((res) => { const iv = setInterval(() => { if (types.length) { clearInterval(iv); res(); } }, 20); ev.on('exit', () => { clearInterval(iv); res(); }); });
    // a writer blocks until the reader opens: a child with a timeout, so a dead container cannot hang the test
    spawnSync('sh', ['-c', 'echo go > "$1"', 'sh', join(b, 'rootfs', 'tmp', 'go-fifo')], { timeout: 30_000 });
    const timer = setTimeout(() => ev.kill('SIGKILL'), 60_000);
    t.ok(await sawOom, `an oom event (${types.join(' ')})`);
    clearTimeout(timer);
    t.equal(env.oci(['kill', id, 'TERM']).code, 0);
    t.equal((await run.exited).status, 0, 'pid 1 survived its child\'s OOM kill');
    t.equal(env.oci(['delete', id]).code, 0);
  });

  t.test('events without --stats: a stats event per interval until the container stops, then exit 0', async (t) => {
    const { id, run } = await started('stream');
    const ev = spawn(process.execPath, [CLI, '--root', env.state, 'events', '--interval', '100ms', id], { env: env.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => ev.on('exit', (c) => r(c)));
    t.teardown(() => { if (ev.exitCode === null) ev.kill('SIGKILL'); });
    const lines: Stats[] = [];
    const rl = createInterface({ input: ev.stdout! });
    await new Promise<void>((res) => rl.on('line', (l) => { lines.push(JSON.parse(l) as Stats); if (lines.length === 2) res(); }));
    t.same(lines.map((l) => [l.type, l.id]), [['stats', id], ['stats', id]], 'two stats events');
    t.equal(env.oci(['kill', id, 'TERM']).code, 0);
    t.equal((await run.exited).status, 0);
    t.equal(await exited, 0, 'events ends by itself once the container stopped');
    t.equal(env.oci(['delete', id]).code, 0);
    t.same(env.leftovers(), [], 'no state dir, id slot or cgroup of any container here');
  });
}
