// test/cgroups/limits.test.ts — limits → interface-file plan for cgroup v1 and v2 (host, pure)
import t from 'tap';
import { SandboxError } from '../../common/errors.js';
import { blkioToIoWeight, cpuQuota, planWrites, sharesToWeight, swapTotal, validateLimits } from '../../sandbox/cgroups/limits.js';

const MiB = 1024 * 1024;
const all = (v: 'v1' | 'v2') => () => v;
const files = (p: ReturnType<typeof planWrites>) => p.map((w) => `${w.file}=${w.value}`);

t.test('v1 plan: file names, units and order', async (t) => {
  const p = planWrites({ memory: 64 * MiB, memorySwap: 128 * MiB, cpus: 0.5, cpuShares: 512, pids: 100, cpusetCpus: '0-1', ioWeight: 500 }, all('v1'));
  t.same(files(p), [
    `memory.limit_in_bytes=${64 * MiB}`,
    `memory.memsw.limit_in_bytes=${128 * MiB}`,
    'cpu.cfs_period_us=100000',
    'cpu.cfs_quota_us=50000',
    'cpu.shares=512',
    'pids.max=100',
    'cpuset.cpus=0-1',
    'blkio.weight=500',
  ]);
  t.same(p.find((w) => w.file === 'blkio.weight')?.alts, [{ file: 'blkio.bfq.weight', value: '500' }]);
  t.equal(p.find((w) => w.file === 'blkio.weight')?.controller, 'blkio');
});

t.test('v2 plan: file names, units and order', async (t) => {
  const p = planWrites({ memory: 64 * MiB, memorySwap: 128 * MiB, cpus: 1.5, cpuShares: 1024, pids: 100, cpusetCpus: '1', ioWeight: 1000 }, all('v2'));
  t.same(files(p), [
    `memory.max=${64 * MiB}`,
    `memory.swap.max=${64 * MiB}`,
    'memory.oom.group=1',
    'cpu.max=150000 100000',
    `cpu.weight=${sharesToWeight(1024)}`,
    'pids.max=100',
    'cpuset.cpus=1',
    'io.weight=default 10000',
  ]);
  t.ok(p.find((w) => w.file === 'memory.oom.group')?.implicit, 'oom.group is ours, not the user\'s');
});

t.test('swap rules follow docker', async (t) => {
  t.equal(swapTotal({ memory: 10 }), 20, 'unset swap = twice the memory');
  t.equal(swapTotal({}), undefined);
  t.equal(swapTotal({ memory: 10, memorySwap: -1 }), -1);
  const v2 = planWrites({ memory: 10 * MiB, memorySwap: -1 }, all('v2'));
  t.equal(v2.find((w) => w.file === 'memory.swap.max')?.value, 'max');
  const v2eq = planWrites({ memory: 10 * MiB, memorySwap: 10 * MiB }, all('v2'));
  t.equal(v2eq.find((w) => w.file === 'memory.swap.max')?.value, '0', 'equal totals = no swap');
  const implicit = planWrites({ memory: 10 * MiB }, all('v1'));
  t.ok(implicit.find((w) => w.file === 'memory.memsw.limit_in_bytes')?.implicit, 'the default swap limit warns nobody when absent');
});

t.test('pids ≤ 0 means unlimited', async (t) => {
  t.equal(planWrites({ pids: 0 }, all('v2')).find((w) => w.file === 'pids.max')?.value, 'max');
  t.equal(planWrites({ pids: -1 }, all('v1'))[0]?.value, 'max');
});

t.test('hybrid: each controller planned for its own version', async (t) => {
  const p = planWrites({ memory: MiB, cpus: 1 }, (c) => (c === 'memory' ? 'v2' : 'v1'));
  t.same(files(p).slice(0, 1), [`memory.max=${MiB}`]);
  t.ok(files(p).includes('cpu.cfs_quota_us=100000'));
});

t.test('conversions', async (t) => {
  t.same(cpuQuota(0.25), { quota: 25000, period: 100000 });
  t.equal(cpuQuota(0.001).quota, 1000, 'kernel minimum 1 ms');
  t.equal(sharesToWeight(2), 1);
  t.equal(sharesToWeight(262144), 10000);
  t.equal(sharesToWeight(1024), 39, 'docker default shares → runc weight 39');
  t.equal(blkioToIoWeight(10), 1);
  t.equal(blkioToIoWeight(1000), 10000);
});

t.test('validation refuses nonsense with the flag named', async (t) => {
  const bad = (l: Parameters<typeof validateLimits>[0], re: RegExp) => {
    try {
      validateLimits(l);
      t.fail(`accepted ${JSON.stringify(l)}`);
    } catch (e) {
      t.ok(e instanceof SandboxError && e.code === 'TSS_EUSAGE' && re.test(e.message), `${JSON.stringify(l)} → ${(e as Error).message}`);
    }
  };
  bad({ memory: -5 }, /`memory`: -5 is not a positive integer/);
  bad({ memory: 1.5 }, /memory/);
  bad({ memory: 100, memorySwap: 50 }, /`memory-swap`: 50 is smaller than memory 100/);
  bad({ memorySwap: 50 }, /needs a memory limit/);
  bad({ cpus: 0 }, /`cpus`/);
  bad({ cpus: Number.NaN }, /`cpus`/);
  bad({ cpuShares: 1 }, /cpu-shares/);
  bad({ cpusetCpus: '0;1' }, /cpuset-cpus/);
  bad({ cpusetCpus: '../x' }, /cpuset-cpus/);
  bad({ ioWeight: 5 }, /io-weight/);
  t.doesNotThrow(() => validateLimits({ memory: 1, memorySwap: -1, cpus: 0.1, cpuShares: 2, pids: 0, cpusetCpus: '0-3,5', ioWeight: 10 }));
});
