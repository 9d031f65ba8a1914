// test/cgroups/discover.test.ts — cgroup layout discovery from mountinfo and /proc/cgroups samples (host, pure)
import t from 'tap';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  classifyCgroups, discoverCgroups, discoverCgroupTree, parseMountinfo, parseProcCgroups, parseProcSelfCgroup,
} from '../../sandbox/cgroups/discover.js';

// this machine (kernel 6.18): v1 controllers, cpu and cpuacct separate, cgroup2 with hugetlb only
const HYBRID_MOUNTINFO = `22 1 253:0 / / ro,relatime - ext4 /dev/vda rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const HYBRID_PROC_CGROUPS = `#subsys_name	hierarchy	num_cgroups	enabled
cpuset	3	1	1
cpu	1	1	1
cpuacct	2	1	1
blkio	7	1	1
memory	4	37	1
devices	5	1	1
freezer	6	1	1
net_cls	0	1	1
perf_event	0	1	1
net_prio	0	1	1
hugetlb	0	1	1
pids	8	1	1
`;

// a Debian 12 / Fedora host: cgroup2 only, mounted by systemd with nsdelegate
const V2_MOUNTINFO = `24 30 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
27 24 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;
const V2_PROC_CGROUPS = `#subsys_name	hierarchy	num_cgroups	enabled
cpuset	0	120	1
cpu	0	120	1
memory	0	120	1
pids	0	120	1
`;

// a CentOS 7 host: v1 with cpu,cpuacct and net_cls,net_prio co-mounted, systemd's named hierarchy
const V1_MOUNTINFO = `25 18 0:20 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
26 25 0:21 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd
29 25 0:24 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,cpu,cpuacct
30 25 0:25 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,net_cls,net_prio
31 25 0:26 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory
32 25 0:27 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,pids
33 25 0:28 / /sys/fs/cgroup/hugetlb rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,hugetlb
34 25 0:29 / /sys/fs/cgroup/blk\\040io rw,nosuid,nodev,noexec,relatime shared:18 - cgroup cgroup rw,blkio
`;
const V1_PROC_CGROUPS = `#subsys_name	hierarchy	num_cgroups	enabled
cpu	3	60	1
cpuacct	3	60	1
net_cls	4	1	1
net_prio	4	1	1
memory	5	60	1
pids	6	60	1
hugetlb	7	1	0
blkio	8	60	1
`;

t.test('this machine: hybrid, cpu and cpuacct separate, cgroup2 with hugetlb', async (t) => {
  const mounts = parseMountinfo(HYBRID_MOUNTINFO);
  t.equal(mounts.length, 10, 'tmpfs and ext4 are not cgroup mounts');
  t.same(mounts.find((m) => m.name === 'systemd')?.controllers, [], 'named hierarchy carries no controller');
  const d = classifyCgroups(mounts, parseProcCgroups(HYBRID_PROC_CGROUPS), ['hugetlb']);
  t.equal(d.layout, 'hybrid');
  t.equal(d.v1ByController.get('cpu')?.mountPoint, '/sys/fs/cgroup/cpu');
  t.equal(d.v1ByController.get('cpuacct')?.mountPoint, '/sys/fs/cgroup/cpuacct');
  t.not(d.v1ByController.get('cpu'), d.v1ByController.get('cpuacct'), 'separate hierarchies');
  t.equal(d.v1.length, 8, 'systemd named hierarchy is not a controller hierarchy');
  t.notOk(d.v1ByController.has('net_cls'), 'enabled but not mounted');
  t.notOk(d.v1ByController.has('hugetlb'), 'hugetlb lives on cgroup2 here');
  t.same(d.v2, { mountPoint: '/sys/fs/cgroup/unified', root: '/', controllers: ['hugetlb'] });
});

t.test('pure v2 host', async (t) => {
  const d = classifyCgroups(parseMountinfo(V2_MOUNTINFO), parseProcCgroups(V2_PROC_CGROUPS), ['cpuset', 'cpu', 'io', 'memory', 'pids']);
  t.equal(d.layout, 'v2');
  t.equal(d.v1.length, 0, 'hierarchy 0 rows are not v1 mounts');
  t.equal(d.v2?.mountPoint, '/sys/fs/cgroup');
  t.same(d.v2?.controllers, ['cpuset', 'cpu', 'io', 'memory', 'pids']);
});

t.test('v1 host with cpu,cpuacct co-mounted', async (t) => {
  const d = classifyCgroups(parseMountinfo(V1_MOUNTINFO), parseProcCgroups(V1_PROC_CGROUPS), []);
  t.equal(d.layout, 'v1');
  const cpu = d.v1ByController.get('cpu');
  t.equal(cpu?.mountPoint, '/sys/fs/cgroup/cpu,cpuacct');
  t.equal(cpu, d.v1ByController.get('cpuacct'), 'one hierarchy for both');
  t.same(cpu?.controllers, ['cpu', 'cpuacct']);
  t.notOk(d.v1ByController.has('hugetlb'), 'disabled in /proc/cgroups → not used even though mounted');
  t.equal(d.v1ByController.get('blkio')?.mountPoint, '/sys/fs/cgroup/blk io', 'octal escapes decoded');
  t.notOk(d.v1.some((h) => h.controllers.includes('xattr') || h.controllers.some((c) => c.includes('='))), 'options are not controllers');
  t.equal(d.v2, null);
});

t.test('a bind mount of an already-seen controller is ignored', async (t) => {
  const extra = HYBRID_MOUNTINFO + '90 31 0:32 /inner /mnt/mem rw - cgroup cgroup rw,memory\n';
  const d = classifyCgroups(parseMountinfo(extra), parseProcCgroups(HYBRID_PROC_CGROUPS), []);
  t.equal(d.v1ByController.get('memory')?.mountPoint, '/sys/fs/cgroup/memory');
});

t.test('no cgroup mounts at all', async (t) => {
  t.equal(classifyCgroups(parseMountinfo('22 1 253:0 / / rw - ext4 /dev/vda rw\n'), [], []).layout, 'none');
});

t.test('/proc/self/cgroup lines', async (t) => {
  const rows = parseProcSelfCgroup('4:memory:/process_api/9248\n2:cpu,cpuacct:/\n1:name=systemd:/user.slice\n0::/user.slice/user-1000.slice/session-3.scope\n');
  t.same(rows[0], { hierarchy: 4, controllers: ['memory'], path: '/process_api/9248' });
  t.same(rows[1]?.controllers, ['cpu', 'cpuacct']);
  t.same(rows[3], { hierarchy: 0, controllers: [], path: '/user.slice/user-1000.slice/session-3.scope' });
});

t.test('tree inference for fake roots', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tss-cg-disc-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const v2 = join(dir, 'v2');
  mkdirSync(v2);
  writeFileSync(join(v2, 'cgroup.controllers'), 'cpu memory pids\n');
  t.same(discoverCgroupTree(v2).v2?.controllers, ['cpu', 'memory', 'pids']);
  t.equal(discoverCgroupTree(v2).layout, 'v2');
  const v1 = join(dir, 'v1');
  for (const h of ['cpu,cpuacct', 'memory', 'unified']) {
    mkdirSync(join(v1, h), { recursive: true });
    writeFileSync(join(v1, h, 'cgroup.procs'), '');
  }
  writeFileSync(join(v1, 'unified', 'cgroup.controllers'), '\n');
  const d = discoverCgroupTree(v1);
  t.equal(d.layout, 'hybrid');
  t.same(d.v1ByController.get('cpuacct')?.controllers, ['cpu', 'cpuacct']);
  t.same(d.v2?.controllers, []);
});

t.test('this host, read for real', async (t) => {
  const d = discoverCgroups();
  t.ok(['v1', 'v2', 'hybrid', 'none'].includes(d.layout), `layout ${d.layout}`);
  for (const h of d.v1) t.ok(h.controllers.length > 0, `${h.mountPoint} carries controllers`);
});
