// test/cgroups/fake-kernel.ts — a fake cgroupfs tree in a temp dir that populates directories as the kernel would (test helper)
//
// Only what our backend reads or writes exists, with the kernel's initial contents, so a missing
// or misnamed file in the backend fails the test exactly as ENOENT would on a real kernel.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const V2_FILES: Record<string, Record<string, string>> = {
  memory: { 'memory.max': 'max\n', 'memory.swap.max': 'max\n', 'memory.oom.group': '0\n', 'memory.current': '0\n', 'memory.events': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n' },
  cpu: { 'cpu.max': 'max 100000\n', 'cpu.weight': '100\n' },
  pids: { 'pids.max': 'max\n', 'pids.current': '0\n', 'pids.events': 'max 0\n' },
  io: { 'io.weight': 'default 100\n' },
  cpuset: { 'cpuset.cpus': '\n', 'cpuset.mems': '\n' },
};

/** makeV2Root creates a cgroup2 root offering `controllers` */
export function makeV2Root(root: string, controllers: readonly string[]): void {
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'cgroup.controllers'), controllers.join(' ') + '\n');
  writeFileSync(join(root, 'cgroup.subtree_control'), '\n');
  writeFileSync(join(root, 'cgroup.procs'), '');
}

/** populateV2 fills a new cgroup2 directory: core files plus those of the controllers its parent enabled */
export function populateV2(dir: string): void {
  // the backend writes "+a +b" in one go; a plain file keeps that text, so strip the signs here
  const enabled = readFileSync(join(dirname(dir), 'cgroup.subtree_control'), 'utf8').trim().split(/\s+/).filter(Boolean).map((c) => c.replace(/^\+/, ''));
  const core: Record<string, string> = {
    'cgroup.controllers': enabled.join(' ') + '\n', 'cgroup.subtree_control': '\n', 'cgroup.procs': '',
    'cgroup.events': 'populated 0\nfrozen 0\n', 'cgroup.freeze': '0\n', 'cgroup.kill': '', 'cpu.stat': 'usage_usec 0\nuser_usec 0\nsystem_usec 0\n',
  };
  for (const [f, v] of Object.entries(core)) writeFileSync(join(dir, f), v);
  for (const c of enabled) for (const [f, v] of Object.entries(V2_FILES[c] ?? {})) writeFileSync(join(dir, f), v);
}

const V1_FILES: Record<string, Record<string, string>> = {
  memory: { 'memory.limit_in_bytes': '9223372036854771712\n', 'memory.usage_in_bytes': '0\n', 'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n' },
  cpu: { 'cpu.cfs_period_us': '100000\n', 'cpu.cfs_quota_us': '-1\n', 'cpu.shares': '1024\n' },
  cpuacct: { 'cpuacct.usage': '0\n' },
  pids: { 'pids.max': 'max\n', 'pids.current': '0\n', 'pids.events': 'max 0\n' },
  cpuset: { 'cpuset.cpus': '\n', 'cpuset.mems': '\n' },
  freezer: { 'freezer.state': 'THAWED\n' },
  blkio: { 'blkio.bfq.weight': '100\n' },
};

/** makeV1Root creates a v1 hierarchy dir named after its controllers (e.g. "cpu,cpuacct") */
export function makeV1Root(root: string, name: string): void {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'cgroup.procs'), '');
  if (name.split(',').includes('cpuset')) {
    writeFileSync(join(dir, 'cpuset.cpus'), '0-3\n');
    writeFileSync(join(dir, 'cpuset.mems'), '0\n');
  }
}

/** populateV1 fills a new v1 directory of hierarchy `hierarchyName` (its top directory's name) */
export function populateV1(dir: string, hierarchyName: string): void {
  writeFileSync(join(dir, 'cgroup.procs'), '');
  for (const c of hierarchyName.split(',')) for (const [f, v] of Object.entries(V1_FILES[c] ?? {})) writeFileSync(join(dir, f), v);
}
