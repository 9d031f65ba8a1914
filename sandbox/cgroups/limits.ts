// sandbox/cgroups/limits.ts — CgroupLimits → the interface files to write, per cgroup version (parent, pure)
//
// Planning is pure so both backends' file names and unit conversions are tested without a kernel;
// the executor (handle.ts) only resolves which directory a controller lives in and writes.
import { fail } from '../../common/errors.js';
import type { CgroupLimits } from './types.js';

export type CgroupVersion = 'v1' | 'v2';

/** one interface-file write; `alts` are tried in order when `file` does not exist (io.bfq.weight …) */
export interface PlannedWrite {
  readonly limit: keyof CgroupLimits | 'oomGroup';
  readonly controller: string;
  readonly file: string;
  readonly value: string;
  readonly alts?: readonly { readonly file: string; readonly value: string }[];
  /** set by us, not asked for by the user: a missing file is not worth a warning */
  readonly implicit?: boolean;
}

/** the CFS period used for --cpus, as docker and runc use */
export const CFS_PERIOD_US = 100_000;
/** v1 prints "no limit" as the largest page-aligned 63-bit number; anything this big is unlimited */
export const V1_UNLIMITED_FLOOR = 2 ** 62;

/** cpuQuota converts fractional CPUs to a CFS quota over CFS_PERIOD_US (the kernel's minimum is 1 ms). */
export function cpuQuota(cpus: number): { quota: number; period: number } {
  return { quota: Math.max(1000, Math.round(cpus * CFS_PERIOD_US)), period: CFS_PERIOD_US };
}

/** sharesToWeight maps v1 cpu.shares (2..262144) onto v2 cpu.weight (1..10000), runc's integer formula. */
export function sharesToWeight(shares: number): number {
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/** blkioToIoWeight maps blkio weight (10..1000) onto v2 io.weight (1..10000), runc's integer formula. */
export function blkioToIoWeight(w: number): number {
  return 1 + Math.floor(((w - 10) * 9999) / 990);
}

/**
 * swapTotal is docker's memory+swap rule: unset with a memory limit means twice the memory; -1 means
 * unlimited swap. undefined = leave the swap limit alone.
 */
export function swapTotal(l: CgroupLimits): number | undefined {
  if (l.memorySwap !== undefined) return l.memorySwap;
  return l.memory !== undefined ? l.memory * 2 : undefined;
}

const CPU_LIST = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

/** validateLimits refuses values no kernel file would take, with the flag-like name in the message. */
export function validateLimits(l: CgroupLimits): void {
  const bad = (name: string, why: string): never => fail('TSS_EUSAGE', 'set cgroup limit', name, why);
  const posInt = (v: number | undefined, name: string) => {
    if (v !== undefined && (!Number.isSafeInteger(v) || v <= 0)) bad(name, `${v} is not a positive integer`);
  };
  posInt(l.memory, 'memory');
  if (l.memorySwap !== undefined && l.memorySwap !== -1) {
    posInt(l.memorySwap, 'memory-swap');
    if (l.memory === undefined) bad('memory-swap', 'needs a memory limit too');
    if (l.memorySwap < (l.memory ?? 0)) bad('memory-swap', `${l.memorySwap} is smaller than memory ${l.memory}`);
  }
  if (l.cpus !== undefined && !(Number.isFinite(l.cpus) && l.cpus > 0)) bad('cpus', `${l.cpus} is not a positive number`);
  if (l.cpuShares !== undefined && !(Number.isInteger(l.cpuShares) && l.cpuShares >= 2 && l.cpuShares <= 262144)) {
    bad('cpu-shares', `${l.cpuShares} is outside 2..262144`);
  }
  if (l.pids !== undefined && !Number.isSafeInteger(l.pids)) bad('pids-limit', `${l.pids} is not an integer`);
  if (l.cpusetCpus !== undefined && !CPU_LIST.test(l.cpusetCpus)) bad('cpuset-cpus', `"${l.cpusetCpus}" is not a cpu list like 0-2,4`);
  if (l.ioWeight !== undefined && !(Number.isInteger(l.ioWeight) && l.ioWeight >= 10 && l.ioWeight <= 1000)) {
    bad('io-weight', `${l.ioWeight} is outside 10..1000`);
  }
}

/**
 * planWrites lists the writes for `l`; `versionOf` says where each controller lives on this host
 * (null: nowhere usable). Order matters and is kept: period before quota, memory before memsw.
 * cpuset.mems is not here — the v1 executor copies it from the parent before anything else.
 */
export function planWrites(l: CgroupLimits, versionOf: (controller: string) => CgroupVersion | null): PlannedWrite[] {
  const out: PlannedWrite[] = [];
  const mem = versionOf('memory');
  const swap = swapTotal(l);
  if (l.memory !== undefined) {
    out.push({ limit: 'memory', controller: 'memory', file: mem === 'v2' ? 'memory.max' : 'memory.limit_in_bytes', value: String(l.memory) });
  }
  if (swap !== undefined) {
    const implicit = l.memorySwap === undefined;
    if (mem === 'v2') {
      const v = swap === -1 ? 'max' : String(swap - (l.memory ?? 0));
      out.push({ limit: 'memorySwap', controller: 'memory', file: 'memory.swap.max', value: v, implicit });
    } else {
      out.push({ limit: 'memorySwap', controller: 'memory', file: 'memory.memsw.limit_in_bytes', value: String(swap), implicit });
    }
  }
  // v2: one OOM kill takes the whole container, so no half-dead payload keeps running
  if (mem === 'v2') out.push({ limit: 'oomGroup', controller: 'memory', file: 'memory.oom.group', value: '1', implicit: true });
  const cpu = versionOf('cpu');
  if (l.cpus !== undefined) {
    const { quota, period } = cpuQuota(l.cpus);
    if (cpu === 'v2') out.push({ limit: 'cpus', controller: 'cpu', file: 'cpu.max', value: `${quota} ${period}` });
    else {
      out.push({ limit: 'cpus', controller: 'cpu', file: 'cpu.cfs_period_us', value: String(period) });
      out.push({ limit: 'cpus', controller: 'cpu', file: 'cpu.cfs_quota_us', value: String(quota) });
    }
  }
  if (l.cpuShares !== undefined) {
    if (cpu === 'v2') out.push({ limit: 'cpuShares', controller: 'cpu', file: 'cpu.weight', value: String(sharesToWeight(l.cpuShares)) });
    else out.push({ limit: 'cpuShares', controller: 'cpu', file: 'cpu.shares', value: String(l.cpuShares) });
  }
  if (l.pids !== undefined) {
    out.push({ limit: 'pids', controller: 'pids', file: 'pids.max', value: l.pids > 0 ? String(l.pids) : 'max' });
  }
  if (l.cpusetCpus !== undefined) out.push({ limit: 'cpusetCpus', controller: 'cpuset', file: 'cpuset.cpus', value: l.cpusetCpus });
  if (l.ioWeight !== undefined) {
    const w = String(l.ioWeight);
    if (versionOf('io') === 'v2') {
      out.push({ limit: 'ioWeight', controller: 'io', file: 'io.weight', value: `default ${blkioToIoWeight(l.ioWeight)}`, alts: [{ file: 'io.bfq.weight', value: w }] });
    } else {
      out.push({ limit: 'ioWeight', controller: 'blkio', file: 'blkio.weight', value: w, alts: [{ file: 'blkio.bfq.weight', value: w }] });
    }
  }
  return out;
}
