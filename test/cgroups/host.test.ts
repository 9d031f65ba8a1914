// test/cgroups/host.test.ts — the cgroup manager on this host's real kernel: limits, a real process, OOM, fork limit (host, root)
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { SandboxError } from '../../common/errors.js';
import { Cgroup } from '../../sandbox/cgroups/handle.js';
import { hostCgroups } from './host-cgroups.js';

const MiB = 1024 * 1024;
const PARENT = `tss-test-${process.pid}`;
let seq = 0;
const nextId = () => `tss-test-${process.pid}-${++seq}`;
const read = (f: string) => readFileSync(f, 'utf8').trim();

const { m, skip } = hostCgroups(PARENT);

/** made: a cgroup this test owns; teardown kills and removes it on every path */
function made(t: { teardown(fn: () => void): void }, limits: Parameters<NonNullable<typeof m>['create']>[1]): Cgroup {
  const h = m!.create(nextId(), limits, PARENT);
  t.teardown(() => {
    h.killAll();
    h.remove();
  });
  return h;
}

/** payload spawns `sh -c 'read go; SCRIPT'`: it waits on stdin so it can be moved into the cgroup before it acts */
function payload(t: { teardown(fn: () => void): void }, script: string): { child: ChildProcess; go(): void; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  const child = spawn('sh', ['-c', `read go; ${script}`], { stdio: ['pipe', 'ignore', 'ignore'] });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (code, signal) => res({ code, signal })));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, go: () => child.stdin?.end('go\n'), exit };
}

/** until polls a condition (bounded; the assertion after it is what the test checks) */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await delay(20);
}

t.test('limits land in the kernel\'s files', { skip }, async (t) => {
  const h = made(t, { memory: 48 * MiB, memorySwap: 64 * MiB, cpus: 0.5, cpuShares: 512, pids: 30 });
  const mem = h.nodeFor('memory');
  const cpu = h.nodeFor('cpu');
  const pids = h.nodeFor('pids');
  t.ok(mem && cpu && pids, `memory, cpu and pids controllers usable (${m!.layout})`);
  if (mem?.version === 'v1') {
    t.equal(read(join(mem.dir, 'memory.limit_in_bytes')), String(48 * MiB));
    if (existsSync(join(mem.dir, 'memory.memsw.limit_in_bytes'))) t.equal(read(join(mem.dir, 'memory.memsw.limit_in_bytes')), String(64 * MiB));
    else t.ok(h.missing.includes('memorySwap'), 'no memsw: reported missing');
  } else if (mem) {
    t.equal(read(join(mem.dir, 'memory.max')), String(48 * MiB));
    t.equal(read(join(mem.dir, 'memory.swap.max')), String(16 * MiB));
  }
  if (cpu?.version === 'v1') {
    t.equal(read(join(cpu.dir, 'cpu.cfs_quota_us')), '50000');
    t.equal(read(join(cpu.dir, 'cpu.cfs_period_us')), '100000');
    t.equal(read(join(cpu.dir, 'cpu.shares')), '512');
  } else if (cpu) {
    t.equal(read(join(cpu.dir, 'cpu.max')), '50000 100000');
  }
  if (pids) t.equal(read(join(pids.dir, 'pids.max')), '30');
  const cs = h.nodeFor('cpuset');
  if (cs?.version === 'v1') {
    t.not(read(join(cs.dir, 'cpuset.mems')), '', 'v1 cpuset.mems copied from the parent (tasks would be refused otherwise)');
    t.equal(read(join(cs.dir, 'cpuset.cpus')), read(join(cs.dir, '..', 'cpuset.cpus')));
  }
  t.same(h.stats().pids, 0);
  t.equal(h.oomKilled(), false);
});

t.test('a real process: join, stats, freeze, killAll, remove', { skip }, async (t) => {
  const h = made(t, { pids: 20, memory: 64 * MiB });
  const p = payload(t, 'sleep 5 & sleep 5 & wait');
  h.addProcess(p.child.pid!);
  p.go();
  await until(() => h.stats().pids >= 3);
  const s = h.stats();
  t.ok(s.pids >= 3, `stats see sh and its two sleeps (${s.pids})`);
  t.equal(s.pidsLimit, 20);
  t.equal(s.memoryLimit, 64 * MiB);
  t.ok(h.pids().includes(p.child.pid!), 'cgroup.procs lists the child');
  for (const f of h.procsFiles) t.match(read(f), new RegExp(`\\b${p.child.pid}\\b`), `${f} holds it`);
  h.freeze();
  h.thaw();
  h.killAll();
  t.same(h.pids(), [], 'empty after killAll');
  t.same(await p.exit, { code: null, signal: 'SIGKILL' }, 'the child died of SIGKILL');
  h.remove();
  for (const d of h.dirs) t.notOk(existsSync(d), `${d} removed`);
  t.doesNotThrow(() => h.remove(), 'remove twice is fine');
});

t.test('v1 sweep (no cgroup.kill): freeze, SIGKILL, thaw until empty', { skip: skip || (!m?.discovery.v1.length && 'no v1 hierarchies here') }, async (t) => {
  const full = made(t, { pids: 20 });
  const h = new Cgroup(full.id, full.nodes.filter((n) => n.version === 'v1'));
  const p = payload(t, 'for i in 1 2 3 4; do sleep 30 & done; wait');
  h.addProcess(p.child.pid!);
  // the unified node must hold it too, or the full handle's teardown could not see it there
  full.addProcess(p.child.pid!);
  p.go();
  await until(() => h.pids().length >= 5);
  t.ok(h.pids().length >= 5, 'sh and four sleeps');
  if (h.nodeFor('freezer')) {
    h.freeze();
    t.equal(read(join(h.nodeFor('freezer')!.dir, 'freezer.state')), 'FROZEN');
    h.thaw();
  }
  h.killAll();
  t.same(h.pids(), []);
  t.equal((await p.exit).signal, 'SIGKILL');
});

t.test('a memory hog is OOM-killed and oomKilled() says so', { skip }, async (t) => {
  const h = made(t, { memory: 32 * MiB, memorySwap: 32 * MiB });
  t.ok(h.nodeFor('memory'), 'memory controller usable');
  // dash keeps a command substitution's output in memory: 64 MiB against a 32 MiB limit
  const p = payload(t, 'x=$(head -c 67108864 /dev/zero | tr "\\0" a); echo survived');
  h.addProcess(p.child.pid!);
  t.equal(h.oomKilled(), false, 'not before');
  p.go();
  const r = await p.exit;
  t.equal(r.signal, 'SIGKILL', 'killed by the kernel');
  t.equal(h.oomKilled(), true, 'the OOM kill is recorded');
  t.ok(h.stats().oomKills >= 1);
});

t.test('the pids limit stops a bounded fork loop', { skip }, async (t) => {
  const h = made(t, { pids: 8 });
  // 20 background sleeps against a limit of 8: forks past the limit fail (EAGAIN)
  const p = payload(t, 'i=0; while [ $i -lt 20 ]; do sleep 30 & i=$((i+1)); done; wait');
  h.addProcess(p.child.pid!);
  p.go();
  await until(() => h.stats().pidsMaxEvents > 0);
  const s = h.stats();
  t.ok(s.pidsMaxEvents > 0, `the limit tripped (pids.events max ${s.pidsMaxEvents})`);
  t.ok(s.pids <= 8, `never more than the limit (${s.pids})`);
  h.killAll();
  t.same(h.pids(), []);
});

t.test('a create refused by the kernel halfway leaves nothing', { skip: skip || (!m?.discovery.v1ByController.has('cpuset') && !m?.discovery.v2?.controllers.includes('cpuset') && 'no cpuset controller') }, async (t) => {
  const id = nextId();
  try {
    m!.create(id, { memory: 16 * MiB, cpusetCpus: '1023' }, PARENT);
    t.fail('cpu 1023 accepted');
  } catch (e) {
    t.ok(e instanceof SandboxError && e.code === 'TSS_ECGROUP', (e as Error).message);
    t.match((e as Error).message, /^write `[^`]*cpuset\.cpus`: E[A-Z]+ \(value "1023"\)$/);
  }
  t.equal(m!.attach(id, PARENT), null, 'no directory of it remains in any hierarchy');
});

t.test('pruneStale kills and removes a cgroup whose container is gone', { skip }, async (t) => {
  const h = made(t, {});
  const keep = made(t, {});
  const p = payload(t, 'sleep 30');
  h.addProcess(p.child.pid!);
  p.go();
  const removed = m!.pruneStale((id) => id !== h.id, PARENT);
  t.same(removed, [h.id]);
  t.equal((await p.exit).signal, 'SIGKILL', 'its process was killed');
  for (const d of h.dirs) t.notOk(existsSync(d), `${d} removed`);
  for (const d of keep.dirs) t.ok(existsSync(d), 'the live one stays');
});
