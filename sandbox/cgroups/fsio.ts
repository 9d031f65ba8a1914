// sandbox/cgroups/fsio.ts — cgroupfs reads, writes and removals with one-line TSS_ECGROUP errors (parent)
//
// Everything here is synchronous: the callers (create before launch, kill and remove after exit)
// sit on paths where ordering matters more than the event loop, and cgroupfs never blocks on disk.
import { closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { errnoReason, fail } from '../../common/errors.js';

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
/** sleepMs blocks the thread briefly (polling a freezer or an emptying cgroup) */
export function sleepMs(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

/** cgWrite writes one value; the error names the file, the errno and the value refused. */
export function cgWrite(file: string, value: string): void {
  // no O_CREAT: a missing interface file must fail (ENOENT), never be created in a fake tree
  let fd = -1;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_TRUNC);
    writeSync(fd, value);
  } catch (err) {
    fail('TSS_ECGROUP', 'write', file, `${errnoReason(err)} (value "${value}")`, err);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

const CGROUP_SUPER_MAGIC = 0x27e0eb;
const CGROUP2_SUPER_MAGIC = 0x63677270;

/** isCgroupFs: a real cgroup (v1 or v2) filesystem, not a test's fake tree */
export function isCgroupFs(dir: string): boolean {
  try {
    const t = statfsSync(dir).type;
    return t === CGROUP_SUPER_MAGIC || t === CGROUP2_SUPER_MAGIC;
  } catch {
    return false;
  }
}

export function cgRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    return fail('TSS_ECGROUP', 'read', file, errnoReason(err), err);
  }
}

/** cgReadOpt reads a file that may legitimately be absent (ENOENT → null) */
export function cgReadOpt(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return fail('TSS_ECGROUP', 'read', file, errnoReason(err), err);
  }
}

/** parseKeyed reads "key value" lines (memory.events, memory.oom_control, cpu.stat, pids.events) */
export function parseKeyed(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined) m.set(k, Number(v));
  }
  return m;
}

/** readPids lists the pids in a cgroup.procs file; a vanished cgroup holds none */
export function readPids(procsFile: string): number[] {
  const text = cgReadOpt(procsFile);
  if (text === null) return [];
  return text.split('\n').filter(Boolean).map(Number);
}

/** numberOrMax reads "max"/huge v1 values as null (no limit) */
export function numberOrMax(text: string | null, unlimitedFloor = Number.POSITIVE_INFINITY): number | null {
  if (text === null) return null;
  const s = text.trim();
  if (s === 'max' || s === '') return null;
  const n = Number(s);
  return Number.isFinite(n) && n < unlimitedFloor ? n : null;
}

/** mkdirCg creates one cgroup directory; returns false when it already existed */
export function mkdirCg(dir: string): boolean {
  try {
    mkdirSync(dir);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    return fail('TSS_ECGROUP', 'create', dir, errnoReason(err), err);
  }
}

/** mkdirChain creates every missing component of `rel` under `base`, top down; returns the dirs walked */
export function mkdirChain(base: string, rel: readonly string[], onDir?: (dir: string, created: boolean) => void): string[] {
  const dirs: string[] = [];
  let cur = base;
  for (const part of rel) {
    cur = join(cur, part);
    const created = mkdirCg(cur);
    onDir?.(cur, created);
    dirs.push(cur);
  }
  return dirs;
}

/**
 * rmCgroupTree removes a cgroup and any child cgroups, leaves first. Idempotent (ENOENT is fine);
 * EBUSY is retried briefly because the kernel frees a cgroup a moment after its last task is reaped.
 */
export function rmCgroupTree(dir: string, busyRetries = 100): void {
  if (!existsSync(dir)) return;
  if (!isCgroupFs(dir)) {
    // a fake tree (tests): its interface files are regular files that rmdir would refuse
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    return fail('TSS_ECGROUP', 'remove', dir, errnoReason(err), err);
  }
  for (const e of entries) if (e.isDirectory()) rmCgroupTree(join(dir, e.name), busyRetries);
  for (let i = 0; ; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code === 'EBUSY' && i < busyRetries) {
        sleepMs(10);
        continue;
      }
      return fail('TSS_ECGROUP', 'remove', dir, `${errnoReason(err)}${code === 'EBUSY' ? ' (processes remain)' : ''}`, err);
    }
  }
}
