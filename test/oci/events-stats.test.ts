// test/oci/events-stats.test.ts — `events --stats` JSON from fake cgroupfs trees: the cgroup2 files (a v2-only host) and the v1 ones, units as runc reports them, unlimited as 2^64-1 (host, no root needed)
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createCgroupManager } from '../../sandbox/cgroups/manager.js';
import { eventLine, parseInterval, stats } from '../../oci/events.js';
import { makeV1Root, makeV2Root, populateV1, populateV2 } from '../cgroups/fake-kernel.js';

const MiB = 1024 * 1024;

function temp(t: { teardown(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'tss-events-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return join(d, 'cg');
}

t.test('cgroup2: cpu.stat in µs → ns, memory.current/peak/max/events, memory.stat, pids', async (t) => {
  const root = temp(t);
  makeV2Root(root, ['cpu', 'memory', 'pids']);
  const h = createCgroupManager({ root, rootless: false, afterMkdir: (d) => populateV2(d) }).create('c1', { memory: 64 * MiB, pids: 20 });
  const dir = join(root, 'tssandbox', 'c1');
  writeFileSync(join(dir, 'cpu.stat'), 'usage_usec 5000\nuser_usec 3000\nsystem_usec 2000\nnr_periods 7\nnr_throttled 2\nthrottled_usec 40\n');
  writeFileSync(join(dir, 'memory.current'), '4096\n');
  writeFileSync(join(dir, 'memory.peak'), '8192\n');
  writeFileSync(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 3\noom 0\noom_kill 0\n');
  writeFileSync(join(dir, 'memory.stat'), 'anon 1024\nfile 2048\n');
  writeFileSync(join(dir, 'memory.swap.current'), '0\n');
  writeFileSync(join(dir, 'pids.current'), '2\n');
  const s = stats(h) as any;
  t.same(s.cpu, { usage: { total: 5_000_000, kernel: 2_000_000, user: 3_000_000 }, throttling: { periods: 7, throttled_periods: 2, throttled_time: 40_000 } });
  t.same(s.memory.usage, { limit: 64 * MiB, usage: 4096, max: 8192, failcnt: 3 });
  t.equal(s.memory.cache, 2048, 'cache is memory.stat file, as runc reports it on cgroup2');
  t.same(s.memory.raw, { anon: 1024, file: 2048 });
  t.same(s.pids, { current: 2, limit: 20 });
  writeFileSync(join(dir, 'memory.swap.max'), '1048576\n');
  writeFileSync(join(dir, 'memory.swap.current'), '100\n');
  t.same((stats(h) as any).memory.swap, { limit: 64 * MiB + 1048576, usage: 4196, failcnt: 0 }, 'swap as runc reports it on cgroup2: memory + swap, like v1\'s memsw');
  writeFileSync(join(dir, 'memory.swap.max'), 'max\n');
  const line = eventLine('stats', 'c1', stats(h));
  t.match(line, /"swap":\{"limit":18446744073709551615,"usage":4196,"failcnt":0\}/, 'an unlimited swap is 2^64-1, written exactly');
  t.equal(line.split('\n').length, 2, 'one line');
});

t.test('v1: cpuacct (USER_HZ ticks → ns), cpu.stat throttling, memory files, pids without a limit', async (t) => {
  const root = temp(t);
  for (const hier of ['cpu', 'cpuacct', 'memory', 'pids']) makeV1Root(root, hier);
  const afterMkdir = (d: string, v: 'v1' | 'v2') => (v === 'v2' ? populateV2(d) : populateV1(d, relative(root, d).split('/')[0] ?? ''));
  const h = createCgroupManager({ root, rootless: false, afterMkdir }).create('c2', { memory: 32 * MiB });
  const at = (c: string, f: string, v: string) => writeFileSync(join(root, c, 'tssandbox', 'c2', f), v);
  at('cpuacct', 'cpuacct.usage', '123456789\n');
  at('cpuacct', 'cpuacct.usage_percpu', '100000000 23456789 \n');
  at('cpuacct', 'cpuacct.stat', 'user 7\nsystem 3\n');
  at('cpu', 'cpu.stat', 'nr_periods 5\nnr_throttled 1\nthrottled_time 999\n');
  at('memory', 'memory.usage_in_bytes', '65536\n');
  at('memory', 'memory.max_usage_in_bytes', '131072\n');
  at('memory', 'memory.failcnt', '4\n');
  at('memory', 'memory.stat', 'cache 512\nrss 1024\n');
  at('pids', 'pids.current', '1\n');
  const s = stats(h) as any;
  t.same(s.cpu.usage, { total: 123456789, percpu: [100000000, 23456789], kernel: 30_000_000, user: 70_000_000 });
  t.same(s.cpu.throttling, { periods: 5, throttled_periods: 1, throttled_time: 999 });
  t.same(s.memory.usage, { limit: 32 * MiB, usage: 65536, max: 131072, failcnt: 4 });
  t.equal(s.memory.cache, 512);
  t.same(s.pids, { current: 1 }, 'no limit field when pids.max is max');
  at('memory', 'memory.limit_in_bytes', '9223372036854771712\n');
  t.match(eventLine('stats', 'c2', stats(h)), /"usage":\{"limit":18446744073709551615,/, 'v1\'s page-rounded "unlimited" is 2^64-1 too');
});

t.test('--interval takes Go durations; anything else is refused by name', async (t) => {
  t.equal(parseInterval('5s'), 5000);
  t.equal(parseInterval('250ms'), 250);
  t.equal(parseInterval('1.5s'), 1500);
  t.equal(parseInterval('1m'), 60_000);
  for (const bad of ['5', 'soon', '1ms', '-1s']) t.throws(() => parseInterval(bad), new RegExp(`--interval ${bad}`));
});
