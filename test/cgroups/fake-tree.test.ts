// test/cgroups/fake-tree.test.ts — both backends' file logic against fake cgroupfs trees in a temp dir (host, no root needed)
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { SandboxError } from '../../common/errors.js';
import { chooseDelegatedBase } from '../../sandbox/cgroups/delegate.js';
import { classifyCgroups, parseMountinfo, parseProcCgroups } from '../../sandbox/cgroups/discover.js';
import { createCgroupManager } from '../../sandbox/cgroups/manager.js';
import { makeV1Root, makeV2Root, populateV1, populateV2 } from './fake-kernel.js';

const MiB = 1024 * 1024;
const read = (f: string) => readFileSync(f, 'utf8').trim();

/** what a helper needs of a tap test: cleanup on every path */
type HasTeardown = { teardown(fn: () => void): void };

function tempRoot(t: HasTeardown): string {
  const dir = mkdtempSync(join(tmpdir(), 'tss-cg-fake-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function v2Manager(t: HasTeardown, controllers = ['cpu', 'cpuset', 'io', 'memory', 'pids']) {
  const root = join(tempRoot(t), 'cg');
  makeV2Root(root, controllers);
  const m = createCgroupManager({ root, rootless: false, afterMkdir: (d) => populateV2(d) });
  return { root, m };
}

t.test('v2: create writes every limit to the v2 file, enabling controllers on the way down', async (t) => {
  const { root, m } = v2Manager(t);
  t.equal(m.layout, 'v2');
  const h = m.create('c1', { memory: 64 * MiB, memorySwap: 96 * MiB, cpus: 0.25, cpuShares: 1024, pids: 50, cpusetCpus: '0', ioWeight: 1000 });
  const dir = join(root, 'tssandbox', 'c1');
  t.same(h.procsFiles, [join(dir, 'cgroup.procs')], 'v2: one cgroup.procs');
  t.same(h.warnings, []);
  t.match(read(join(root, 'cgroup.subtree_control')), /\+cpu \+cpuset \+io \+memory \+pids/);
  t.match(read(join(root, 'tssandbox', 'cgroup.subtree_control')), /\+memory/, 'parent passes controllers down');
  t.equal(read(join(dir, 'cgroup.subtree_control')), '', 'the leaf holds processes, so nothing is enabled below it');
  t.equal(read(join(dir, 'memory.max')), String(64 * MiB));
  t.equal(read(join(dir, 'memory.swap.max')), String(32 * MiB), 'v2 swap.max is swap alone');
  t.equal(read(join(dir, 'memory.oom.group')), '1');
  t.equal(read(join(dir, 'cpu.max')), '25000 100000');
  t.equal(read(join(dir, 'cpu.weight')), '39');
  t.equal(read(join(dir, 'pids.max')), '50');
  t.equal(read(join(dir, 'cpuset.cpus')), '0');
  t.equal(read(join(dir, 'io.weight')), 'default 10000');
});

t.test('v2: stats, oomKilled, freeze, killAll, remove read and write the right files', async (t) => {
  const { root, m } = v2Manager(t);
  const h = m.create('c2', { memory: 32 * MiB, pids: 10 });
  const dir = join(root, 'tssandbox', 'c2');
  writeFileSync(join(dir, 'memory.current'), '1234\n');
  writeFileSync(join(dir, 'cpu.stat'), 'usage_usec 5000\nuser_usec 1\n');
  writeFileSync(join(dir, 'pids.current'), '3\n');
  writeFileSync(join(dir, 'pids.events'), 'max 7\n');
  t.same(h.stats(), { memoryBytes: 1234, memoryLimit: 32 * MiB, cpuUsageNs: 5_000_000, pids: 3, pidsLimit: 10, pidsMaxEvents: 7, oomKills: 0 });
  t.equal(h.oomKilled(), false);
  writeFileSync(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\noom_group_kill 1\n');
  t.equal(h.oomKilled(), true, 'memory.events oom_kill');
  writeFileSync(join(dir, 'cgroup.events'), 'populated 1\nfrozen 1\n');
  h.freeze();
  t.equal(read(join(dir, 'cgroup.freeze')), '1');
  writeFileSync(join(dir, 'cgroup.events'), 'populated 1\nfrozen 0\n');
  h.thaw();
  t.equal(read(join(dir, 'cgroup.freeze')), '0');
  h.killAll();
  t.equal(read(join(dir, 'cgroup.kill')), '1', 'cgroup.kill used');
  h.remove();
  t.notOk(existsSync(dir), 'leaf removed');
  t.ok(existsSync(join(root, 'tssandbox')), 'shared parent stays');
  t.doesNotThrow(() => h.remove(), 'remove is idempotent');
});

t.test('v2: a controller the host lacks becomes a warning and a missing entry, never a silent pass', async (t) => {
  const { m } = v2Manager(t, ['cpu', 'memory', 'pids']);
  const h = m.create('c3', { memory: 64 * MiB, cpusetCpus: '0', ioWeight: 100 });
  t.same([...h.missing].sort(), ['cpusetCpus', 'ioWeight']);
  t.match(h.warnings.join('\n'), /--cpuset-cpus is not enforced: no usable cpuset cgroup controller/);
  t.match(h.warnings.join('\n'), /io weight is not enforced/);
});

t.test('a create that fails halfway removes what it made and names the file', async (t) => {
  const { root } = v2Manager(t);
  const m = createCgroupManager({
    root, rootless: false,
    afterMkdir: (d) => {
      populateV2(d);
      if (d.endsWith('c4')) {
        rmSync(join(d, 'pids.max'));
        mkdirSync(join(d, 'pids.max')); // writing it now fails EISDIR
      }
    },
  });
  try {
    m.create('c4', { memory: MiB, pids: 5 });
    t.fail('create succeeded');
  } catch (e) {
    t.ok(e instanceof SandboxError && e.code === 'TSS_ECGROUP', (e as Error).message);
    t.match((e as Error).message, /^write `.*\/tssandbox\/c4\/pids\.max`: EISDIR \(value "5"\)$/);
  }
  t.notOk(existsSync(join(root, 'tssandbox', 'c4')), 'half-made cgroup removed');
});

t.test('leftover leaf: reused when empty, refused when it holds processes', async (t) => {
  const { root, m } = v2Manager(t);
  m.create('c5', {});
  writeFileSync(join(root, 'tssandbox', 'c5', 'memory.max'), '77\n');
  m.create('c5', {}); // a crash left it behind; it is empty
  t.equal(read(join(root, 'tssandbox', 'c5', 'memory.max')), 'max', 'recreated fresh');
  writeFileSync(join(root, 'tssandbox', 'c5', 'cgroup.procs'), '4242\n');
  t.throws(() => m.create('c5', {}), { message: /exists and holds processes/ });
});

t.test('ids and parents are validated; --cgroup-parent nests', async (t) => {
  const { root, m } = v2Manager(t);
  t.throws(() => m.create('../x', {}), { message: /create cgroup `..\/x`/ });
  t.throws(() => m.create('ok', {}, 'a/../../etc'), { message: /cgroup parent/ });
  const h = m.create('c6', { pids: 3 }, '/lab/class1');
  t.equal(h.procsFiles[0], join(root, 'lab', 'class1', 'c6', 'cgroup.procs'));
  t.equal(read(join(root, 'lab', 'class1', 'c6', 'pids.max')), '3');
});

t.test('attach and pruneStale', async (t) => {
  const { root, m } = v2Manager(t);
  m.create('live', {});
  m.create('dead', {});
  t.equal(m.attach('nope'), null);
  t.same(m.attach('live')?.procsFiles, [join(root, 'tssandbox', 'live', 'cgroup.procs')]);
  t.same(m.pruneStale((id) => id === 'live'), ['dead']);
  t.notOk(existsSync(join(root, 'tssandbox', 'dead')));
  t.ok(existsSync(join(root, 'tssandbox', 'live')));
  t.same(m.pruneStale(() => true), [], 'nothing stale');
});

function hybridRoot(t: HasTeardown, hierarchies: string[]) {
  const root = join(tempRoot(t), 'cg');
  for (const h of hierarchies) makeV1Root(root, h);
  makeV2Root(join(root, 'unified'), []);
  const afterMkdir = (d: string, v: 'v1' | 'v2') => (v === 'v2' ? populateV2(d) : populateV1(d, relative(root, d).split('/')[0] ?? ''));
  return { root, m: createCgroupManager({ root, rootless: false, afterMkdir }) };
}

t.test('hybrid (this machine\'s shape): v1 files, cpuset copied down, unified node for kill/freeze', async (t) => {
  const { root, m } = hybridRoot(t, ['cpu', 'cpuacct', 'cpuset', 'memory', 'freezer', 'blkio', 'pids']);
  t.equal(m.layout, 'hybrid');
  const h = m.create('h1', { memory: 32 * MiB, memorySwap: 64 * MiB, cpus: 1.5, cpuShares: 256, pids: 9, cpusetCpus: '1', ioWeight: 300 });
  t.equal(h.procsFiles.length, 8, 'seven v1 hierarchies and the unified one');
  t.equal(h.procsFiles.at(-1), join(root, 'unified', 'tssandbox', 'h1', 'cgroup.procs'));
  const at = (ctrl: string, f: string) => read(join(root, ctrl, 'tssandbox', 'h1', f));
  t.equal(at('memory', 'memory.limit_in_bytes'), String(32 * MiB));
  t.equal(at('cpu', 'cpu.cfs_quota_us'), '150000');
  t.equal(at('cpu', 'cpu.cfs_period_us'), '100000');
  t.equal(at('cpu', 'cpu.shares'), '256');
  t.equal(at('pids', 'pids.max'), '9');
  t.equal(at('cpuset', 'cpuset.cpus'), '1');
  t.equal(at('cpuset', 'cpuset.mems'), '0', 'mems copied from the parent');
  t.equal(read(join(root, 'cpuset', 'tssandbox', 'cpuset.cpus')), '0-3', 'parent filled from the root first');
  t.equal(at('blkio', 'blkio.bfq.weight'), '300', 'bfq weight when blkio.weight is absent');
  t.same(h.missing, ['memorySwap'], 'this fake kernel lacks memsw (swap accounting off)');
  t.match(h.warnings[0], /^--memory-swap is not enforced: .*memory\.memsw\.limit_in_bytes does not exist/);
  writeFileSync(join(root, 'memory', 'tssandbox', 'h1', 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n');
  t.equal(h.oomKilled(), true, 'v1 memory.oom_control oom_kill');
  writeFileSync(join(root, 'cpuacct', 'tssandbox', 'h1', 'cpuacct.usage'), '999\n');
  t.equal(h.stats().cpuUsageNs, 999, 'cpu usage from cpuacct');
  h.remove();
  for (const f of h.procsFiles) t.notOk(existsSync(f), `${relative(root, f)} gone`);
});

t.test('v1 with cpu,cpuacct co-mounted: one node serves both', async (t) => {
  const { root, m } = hybridRoot(t, ['cpu,cpuacct', 'memory', 'pids']);
  const h = m.create('h2', { cpus: 2 });
  t.equal(h.procsFiles.filter((f) => f.includes('cpu,cpuacct')).length, 1);
  t.equal(read(join(root, 'cpu,cpuacct', 'tssandbox', 'h2', 'cpu.cfs_quota_us')), '200000');
  writeFileSync(join(root, 'cpu,cpuacct', 'tssandbox', 'h2', 'cpuacct.usage'), '42\n');
  t.equal(h.stats().cpuUsageNs, 42);
});

t.test('rootless on a v1/hybrid host: no cgroup, every limit named as not enforced', async (t) => {
  const mi = '32 31 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n33 31 0:30 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n';
  const discovery = classifyCgroups(parseMountinfo(mi), parseProcCgroups('memory 4 1 1\npids 8 1 1\n'), []);
  const m = createCgroupManager({ discovery, rootless: true, selfCgroup: '0::/\n' });
  t.equal(m.layout, 'hybrid');
  const h = m.create('r1', { memory: 64 * MiB, pids: 10 });
  t.same(h.procsFiles, [], 'nothing to join');
  const w = h.warnings.join('\n');
  t.match(w, /--memory is not enforced: the memory controller is on cgroup v1, which only root may configure/);
  t.match(w, /--pids-limit is not enforced/);
  t.match(w, /rootless/);
  t.same([...h.missing].sort(), ['memory', 'pids']);
});

t.test('rootless v2: the highest writable ancestor of our own cgroup is the base', async (t) => {
  const user = '/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service';
  const writable = (d: string) => d.startsWith(user);
  t.equal(chooseDelegatedBase('/sys/fs/cgroup', '/', '/user.slice/user-1000.slice/user@1000.service/app.slice/a.scope', writable), user);
  t.equal(chooseDelegatedBase('/sys/fs/cgroup', '/', '/user.slice/user-1000.slice/session-2.scope', writable), null, 'session scope not delegated');
  t.equal(chooseDelegatedBase('/sys/fs/cgroup', '/', '/', () => true), null, 'never the host root');
  t.equal(chooseDelegatedBase('/mnt', '/user.slice', '/user.slice/u/a', () => true), '/mnt/u', 'mount showing a subtree');
  t.equal(chooseDelegatedBase('/mnt', '/other', '/user.slice/u', () => true), null, 'our cgroup outside the mount');

  const root = join(tempRoot(t), 'cg');
  makeV2Root(root, ['cpu', 'memory', 'pids']);
  const svc = join(root, 'svc');
  mkdirSync(svc);
  writeFileSync(join(root, 'cgroup.subtree_control'), '+memory +pids\n');
  populateV2(svc);
  const m = createCgroupManager({ root, rootless: true, selfCgroup: '0::/svc\n', afterMkdir: (d) => populateV2(d) });
  const h = m.create('r2', { memory: 8 * MiB, cpus: 1 });
  t.equal(h.procsFiles[0], join(svc, 'tssandbox', 'r2', 'cgroup.procs'), 'under the delegated subtree');
  t.equal(read(join(svc, 'tssandbox', 'r2', 'memory.max')), String(8 * MiB));
  t.same(h.missing, ['cpus'], 'cpu was not delegated to the subtree');
  t.match(h.warnings.join('\n'), /--cpus is not enforced/);
});
