// test/sandbox/run-quotas.test.ts — limits a class's shared machine relies on: pids, memory, CPU, timeout, and cleanup after SIGKILL (tests, root)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import t from 'tap';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import { rootMissing, Sandbox } from '../helpers/sandbox.js';

// v1/hybrid (this host) or cgroup2 only (the qemu lane, test/cgroups/v2-qemu.sh, runs this file too)
const V2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
const v2Has = (c: string) => V2 && readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').split(/\s+/).includes(c);
const skip = rootMissing() || busyboxMissing() || (V2
  ? (['pids', 'memory', 'cpu'].every(v2Has) ? false : 'needs the cgroup2 pids, memory and cpu controllers')
  : (readdirSync('/sys/fs/cgroup').includes('pids') ? false : 'needs the v1 pids and cpuacct hierarchies'));
if (skip) t.plan(0, skip);
else {
  const sb = new Sandbox('quotas');
  t.teardown(() => sb.cleanup());
  await sb.importBusybox('bb', ['dd', 'sleep'].map((a) => ({ name: `./bin/${a}`, type: 'symlink' as const, linkname: 'busybox' })));
  const cg = (ctrl: string) => {
    const base = V2 ? `/sys/fs/cgroup/${sb.cgroupParent}` : `/sys/fs/cgroup/${ctrl}/${sb.cgroupParent}`;
    const id = readdirSync(base, { withFileTypes: true }).find((e) => e.isDirectory())?.name;
    return `${base}/${id}`;
  };
  const started = (child: ReturnType<Sandbox['start']>, mark = 'ready') => new Promise<void>((res, rej) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d; if (out.includes(mark)) res(); });
    child.on('close', () => rej(new Error(`exited before ${mark}: ${out}`)));
  });
  const closed = (child: ReturnType<Sandbox['start']>) => new Promise<number | null>((res) => child.on('close', (c) => res(c)));

  t.test('a fork bomb stops at the pids limit while the host stays responsive', async (t) => {
    // the bomb runs in an inner shell (which dies when it cannot fork); the outer one only uses builtins
    const child = sb.start(['--rm', '-i', '--pids-limit', '40', 'bb', 'sh', '-c',
      'sh -c \'i=0; while [ $i -lt 200 ]; do sleep 30 & i=$((i+1)); done\' 2>/dev/null; echo ready; read x']);
    await started(child);
    const events = readFileSync(`${cg('pids')}/pids.events`, 'utf8');
    const current = Number(readFileSync(`${cg('pids')}/pids.current`, 'utf8'));
    t.match(events, /max [1-9]\d*/, `the limit tripped (${events.trim()})`);
    t.ok(current <= 40, `pids.current ${current} ≤ 40`);
    t.equal(spawnSync('true').status, 0, 'a host command completes during the bomb');
    child.stdin.end('\n');
    t.equal(await closed(child), 0, 'the container then ends normally');
  });

  t.test('--memory: over the limit exits 137 with oomKilled; under it exits 0', async (t) => {
    const hog = sb.cli(['run', '--name', 'hog64', '--memory', '64m', '--memory-swap', '64m', 'bb', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=256M', 'count=1']);
    t.equal(hog.code, 137, hog.stderr);
    const dir = `${sb.root}/containers`;
    const id = readdirSync(dir).find((d) => JSON.parse(readFileSync(`${dir}/${d}/config.json`, 'utf8')).name === 'hog64')!;
    t.equal(JSON.parse(readFileSync(`${dir}/${id}/state.json`, 'utf8')).oomKilled, true, 'oomKilled: true');
    const ok = sb.cli(['run', '--rm', '--memory', '512m', 'bb', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=256M', 'count=1']);
    t.equal(ok.code, 0, `with room it completes: ${ok.stderr}`);
  });

  t.test('--cpus 0.25 keeps a busy loop near a quarter of a core', async (t) => {
    const child = sb.start(['--rm', '--cpus', '0.25', 'bb', 'sh', '-c', 'echo ready; while :; do :; done']);
    await started(child);
    const usage = () => V2
      ? Number(/^usage_usec (\d+)/m.exec(readFileSync(`${cg('cpu')}/cpu.stat`, 'utf8'))?.[1]) * 1000
      : Number(readFileSync(`${cg('cpuacct')}/cpuacct.usage`, 'utf8'));
    const u0 = usage(), t0 = process.hrtime.bigint();
    await new Promise((r) => setTimeout(r, 3000));
    const cores = (usage() - u0) / Number(process.hrtime.bigint() - t0);
    t.ok(cores > 0.05 && cores < 0.45, `used ${cores.toFixed(2)} cores (wide bounds around 0.25)`);
    child.kill('SIGTERM'); // sh as pid 1 ignores it; the launcher is told to SIGKILL below
    child.kill('SIGKILL');
    await closed(child);
  });

  t.test('--timeout ends a long sleep and says so', async (t) => {
    const r = sb.cli(['run', '--name', 'slow', '--timeout', '1', 'bb', 'sleep', '100']);
    t.equal(r.code, 137);
    const dir = `${sb.root}/containers`;
    const id = readdirSync(dir).find((d) => JSON.parse(readFileSync(`${dir}/${d}/config.json`, 'utf8')).name === 'slow')!;
    const state = JSON.parse(readFileSync(`${dir}/${id}/state.json`, 'utf8'));
    t.equal(state.timedOut, true, 'timedOut: true');
  });

  // the qemu guest has 1 GiB and emulated CPUs: 20 node CLIs at once do not fit its time budget
  const inGuest = process.env.TSS_IN_V2_GUEST ? 'not in the v2 qemu guest (20 node CLIs exceed its 1 GiB and CPU budget)' : false;
  t.test('20 concurrent runs, every tssandbox process SIGKILLed mid-way: the next command leaves nothing', { skip: inGuest }, async (t) => {
    const kids = Array.from({ length: 20 }, () => sb.start(['--rm', 'bb', 'sh', '-c', 'echo ready; sleep 4321']));
    const ready = await Promise.allSettled(kids.map((k) => started(k)));
    t.ok(ready.filter((r) => r.status === 'fulfilled').length >= 1, 'containers were running');
    // the processes killed: every `tssandbox run` CLI process (node) of this test
    for (const k of kids) k.kill('SIGKILL');
    await Promise.all(kids.map(closed));
    await new Promise((r) => setTimeout(r, 500));
    t.equal(sb.cli(['run', '--rm', 'bb', 'true']).code, 0, 'the next command');
    t.same(sb.leftovers(), [], 'no cgroup, state, id range or mount of ours remains');
    const stray = spawnSync('sh', ['-c', `ps -eo args | grep -c '[s]leep 4321'`], { encoding: 'utf8' }).stdout.trim();
    t.equal(stray, '0', 'no container process survives');
  });

  t.test('nothing is left behind', async (t) => {
    t.same(sb.leftovers(), []);
  });
}
