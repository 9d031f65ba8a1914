// sandbox/stats.ts — `stats`: live memory, CPU and pids of containers from their cgroups (CLI process)
//
// Docker's numbers: CPU % is the cgroup's CPU time over wall time between two samples, in percent
// of one CPU (so two busy cores show 200%, as `docker stats` does); the memory limit is the
// cgroup's, or the host's memory when it has none; MEM % is usage over that limit. Usage is the
// cgroup's own counter (memory.current / memory.usage_in_bytes, page cache included — docker's CLI
// subtracts inactive file pages, which the CgroupManager does not expose).
import { totalmem } from 'node:os';
import { createCgroupManager, type CgroupStats } from './cgroups/index.js';
import type { Container } from './containers.js';
import type { Ctx } from './lifecycle.js';
import { all, find } from './lifecycle.js';

export interface StatsRow {
  readonly ID: string;
  readonly Name: string;
  /** docker's display strings */
  readonly CPUPerc: string;
  readonly MemUsage: string;
  readonly MemPerc: string;
  readonly PIDs: string;
  /** the same as numbers (null: not running) */
  readonly CpuPercent: number | null;
  readonly MemoryBytes: number | null;
  readonly MemoryLimit: number | null;
  readonly Pids: number | null;
  readonly PidsLimit: number | null;
}

interface Sample { readonly at: bigint; readonly s: CgroupStats | null }

/** statsTargets: the named containers (any state), or every running one */
export function statsTargets(ctx: Ctx, refs: readonly string[]): Container[] {
  if (refs.length) return refs.map((r) => find(ctx, r, 'stats'));
  return all(ctx).filter((c) => c.state.status === 'running');
}

/** the binary units docker stats prints (go-units BytesSize: 4 significant digits, "64MiB", "1.234GiB") */
export function binarySize(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${Number(v.toPrecision(4))}${units[i]}`;
}

/**
 * StatsSampler keeps the previous sample of each container so that a stream of calls gives the CPU
 * rate over the interval between them; the first call compares against a sample taken now.
 */
export class StatsSampler {
  private readonly mgr = createCgroupManager();
  private readonly prev = new Map<string, Sample>();

  sample(c: Container): Sample {
    if (c.state.status !== 'running') return { at: process.hrtime.bigint(), s: null };
    try {
      const h = this.mgr.attach(c.config.id, c.config.cgroupParent);
      return { at: process.hrtime.bigint(), s: h ? h.stats() : null };
    } catch { return { at: process.hrtime.bigint(), s: null }; } // the container went away in between
  }

  /** prime takes the first samples (call, wait the interval, then rows()) */
  prime(cs: readonly Container[]): void { for (const c of cs) this.prev.set(c.config.id, this.sample(c)); }

  rows(cs: readonly Container[]): StatsRow[] {
    return cs.map((c) => {
      const now = this.sample(c);
      const before = this.prev.get(c.config.id);
      this.prev.set(c.config.id, now);
      return row(c, now, before);
    });
  }
}

function row(c: Container, now: Sample, before: Sample | undefined): StatsRow {
  const base = { ID: c.config.id.slice(0, 12), Name: c.config.name };
  const s = now.s;
  if (!s) {
    return { ...base, CPUPerc: '--', MemUsage: '-- / --', MemPerc: '--', PIDs: '--', CpuPercent: null, MemoryBytes: null, MemoryLimit: null, Pids: null, PidsLimit: null };
  }
  let cpu = 0;
  if (before?.s && now.at > before.at && s.cpuUsageNs >= before.s.cpuUsageNs) {
    cpu = ((s.cpuUsageNs - before.s.cpuUsageNs) / Number(now.at - before.at)) * 100;
  }
  const limit = s.memoryLimit ?? totalmem();
  const mem = limit > 0 ? (s.memoryBytes / limit) * 100 : 0;
  return {
    ...base,
    CPUPerc: `${cpu.toFixed(2)}%`,
    MemUsage: `${binarySize(s.memoryBytes)} / ${binarySize(limit)}`,
    MemPerc: `${mem.toFixed(2)}%`,
    PIDs: String(s.pids),
    CpuPercent: Number(cpu.toFixed(2)),
    MemoryBytes: s.memoryBytes,
    MemoryLimit: limit,
    Pids: s.pids,
    PidsLimit: s.pidsLimit,
  };
}
