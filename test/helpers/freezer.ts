// test/helpers/freezer.ts — what the kernel says about a frozen process: its cgroup's freezer state and /proc/PID/stat (tests)
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** the freezer the kernel reports for pid: cgroup2's cgroup.events `frozen`, or the v1 freezer.state */
export function freezerOf(pid: number): { kind: 'cgroup2' | 'v1'; frozen: boolean } {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' '));
  const v2mount = mounts.find((f) => f[f.indexOf('-') + 1] === 'cgroup2')?.[4];
  const v2path = lines.find((l) => l.startsWith('0::'))?.slice(3);
  if (v2mount && v2path && v2path !== '/' && existsSync(join(v2mount, v2path, 'cgroup.freeze'))) {
    return { kind: 'cgroup2', frozen: /^frozen 1$/m.test(readFileSync(join(v2mount, v2path, 'cgroup.events'), 'utf8')) };
  }
  const v1path = lines.find((l) => /^\d+:freezer:/.test(l))?.split(':')[2];
  const v1mount = mounts.find((f) => f[f.indexOf('-') + 1] === 'cgroup' && (f[f.length - 1] ?? '').split(',').includes('freezer'))?.[4];
  if (!v1path || !v1mount) throw new Error(`pid ${pid}: no freezer in ${lines.join(' ')}`);
  return { kind: 'v1', frozen: readFileSync(join(v1mount, v1path, 'freezer.state'), 'utf8').trim() === 'FROZEN' };
}

/** procState: the state letter and utime+stime (clock ticks) of /proc/PID/stat */
export function procState(pid: number): { state: string; ticks: number } {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { state: f[0]!, ticks: Number(f[11]) + Number(f[12]) };
}
