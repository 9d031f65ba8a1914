// oci/events.ts — `events [--stats] [--interval D] ID`: runc's stats events (cpu, memory, pids) from the container's cgroup (OCI front end, CLI process)
//
// The JSON is runc's libcontainer/types Event and Stats (`{"type":"stats","id":…,"data":{cpu,
// memory,pids,…}}`, one per line). Nanoseconds for CPU, bytes for memory; an unlimited limit is
// 2^64-1 as runc prints it. Sources: v1 cpuacct/cpu/memory/pids files, or cgroup2's cpu.stat,
// memory.* and pids.* (a hybrid host uses its v1 controllers and cgroup2's cpu.stat only when no
// cpuacct hierarchy exists). Without --stats it prints one stats event per interval and an `oom`
// event when the memory controller records a new OOM kill, until the container stops.
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fail } from '../common/errors.js';
import { cgReadOpt, parseKeyed } from '../sandbox/cgroups/fsio.js';
import type { Cgroup } from '../sandbox/cgroups/handle.js';
import { readOciHandoff } from './handoff.js';
import { containerDir } from './state.js';
import { current } from './verbs.js';

const U64_MAX = 18446744073709551615n;
/** a u64 value: numbers as they are, BigInt for the unlimited marker (JSON.stringify cannot) */
type U64 = number | bigint;

const num = (text: string | null): number | null => {
  if (text === null) return null;
  const s = text.trim();
  return /^\d+$/.test(s) ? Number(s) : null;
};
/** limit: a v1 "huge" or v2 "max" limit is unlimited (runc prints 2^64-1) */
const limitOf = (text: string | null, v1: boolean): U64 => {
  if (text === null || text.trim() === 'max') return U64_MAX;
  const n = Number(text.trim());
  return v1 && n >= 2 ** 62 ? U64_MAX : n;
};

function cpuStats(cg: Cgroup): Record<string, unknown> {
  const acct = cg.nodeFor('cpuacct');
  const cpu = cg.nodeFor('cpu');
  const v2 = cg.nodes.find((n) => n.version === 'v2');
  const usage: Record<string, unknown> = {};
  const throttling: Record<string, number> = {};
  if (acct?.version === 'v1') {
    const f = (x: string) => cgReadOpt(join(acct.dir, x));
    usage.total = num(f('cpuacct.usage')) ?? 0;
    const per = (f('cpuacct.usage_percpu') ?? '').trim().split(/\s+/).filter(Boolean).map(Number);
    if (per.length) usage.percpu = per;
    // cpuacct.stat counts USER_HZ (100/s) ticks: runc reports them in nanoseconds
    const st = parseKeyed(f('cpuacct.stat') ?? '');
    usage.kernel = (st.get('system') ?? 0) * 1e7;
    usage.user = (st.get('user') ?? 0) * 1e7;
  } else if (v2) {
    const st = parseKeyed(cgReadOpt(join(v2.dir, 'cpu.stat')) ?? '');
    usage.total = (st.get('usage_usec') ?? 0) * 1000;
    usage.kernel = (st.get('system_usec') ?? 0) * 1000;
    usage.user = (st.get('user_usec') ?? 0) * 1000;
  }
  if (cpu?.version === 'v1') {
    const st = parseKeyed(cgReadOpt(join(cpu.dir, 'cpu.stat')) ?? '');
    throttling.periods = st.get('nr_periods') ?? 0;
    throttling.throttled_periods = st.get('nr_throttled') ?? 0;
    throttling.throttled_time = st.get('throttled_time') ?? 0;
  } else if (v2) {
    const st = parseKeyed(cgReadOpt(join(v2.dir, 'cpu.stat')) ?? '');
    throttling.periods = st.get('nr_periods') ?? 0;
    throttling.throttled_periods = st.get('nr_throttled') ?? 0;
    throttling.throttled_time = (st.get('throttled_usec') ?? 0) * 1000;
  }
  return { usage, throttling };
}

function memoryStats(cg: Cgroup): Record<string, unknown> {
  const mem = cg.nodeFor('memory');
  if (!mem) return {};
  const f = (x: string) => cgReadOpt(join(mem.dir, x));
  const raw = Object.fromEntries(parseKeyed(f('memory.stat') ?? ''));
  if (mem.version === 'v1') {
    const entry = (p: string) => ({
      limit: limitOf(f(`${p}.limit_in_bytes`), true), usage: num(f(`${p}.usage_in_bytes`)) ?? 0,
      max: num(f(`${p}.max_usage_in_bytes`)) ?? 0, failcnt: num(f(`${p}.failcnt`)) ?? 0,
    });
    return {
      cache: raw.cache ?? 0, usage: entry('memory'),
      ...(f('memory.memsw.usage_in_bytes') !== null ? { swap: entry('memory.memsw') } : {}),
      kernel: entry('memory.kmem'), raw,
    };
  }
  const events = parseKeyed(f('memory.events') ?? '');
  const usage = { limit: limitOf(f('memory.max'), false), usage: num(f('memory.current')) ?? 0, max: num(f('memory.peak')) ?? 0, failcnt: events.get('max') ?? 0 };
  // runc reports cgroup2 swap as v1's memsw: memory + swap, the limit too unless either is unlimited
  const swapLimit = limitOf(f('memory.swap.max'), false);
  const swap = f('memory.swap.current') === null ? null : {
    limit: typeof swapLimit === 'bigint' || typeof usage.limit === 'bigint' ? U64_MAX : swapLimit + usage.limit,
    usage: (num(f('memory.swap.current')) ?? 0) + usage.usage, failcnt: 0,
  };
  return { cache: raw.file ?? 0, usage, ...(swap ? { swap } : {}), raw };
}

function pidsStats(cg: Cgroup): Record<string, unknown> {
  const p = cg.nodeFor('pids');
  if (!p) return { current: cg.pids().length };
  const max = cgReadOpt(join(p.dir, 'pids.max'));
  return { current: num(cgReadOpt(join(p.dir, 'pids.current'))) ?? 0, ...(max !== null && max.trim() !== 'max' ? { limit: Number(max.trim()) } : {}) };
}

/** stats: runc's types.Stats for the container's cgroup */
export function stats(cg: Cgroup): Record<string, unknown> {
  return { cpu: cpuStats(cg), memory: memoryStats(cg), pids: pidsStats(cg), blkio: {}, hugetlb: {}, intel_rdt: {}, network_interfaces: null };
}

/** eventLine: one event as runc encodes it, u64 maxima written exactly */
export function eventLine(type: string, id: string, data?: unknown): string {
  const s = JSON.stringify({ type, id, ...(data !== undefined ? { data } : {}) }, (_k, v: unknown) => (typeof v === 'bigint' ? `\u0000u64:${v}` : v));
  return `${s.replace(/"\\u0000u64:(\d+)"/g, '$1')}\n`;
}

/** interval: a Go duration as runc takes it (5s, 100ms, 1m, 1.5s) */
export function parseInterval(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v.trim());
  const ms = m ? Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'] : NaN;
  if (!Number.isFinite(ms) || ms < 10) fail('TSS_EUSAGE', 'events', `--interval ${v}`, 'not a duration of at least 10ms (e.g. 5s, 500ms)');
  return ms;
}

async function cgroupOf(root: string, id: string): Promise<Cgroup> {
  const h = readOciHandoff(containerDir(root, id));
  const { createCgroupManager } = await import('../sandbox/cgroups/index.js');
  const cg = createCgroupManager().attach(h.id, h.cgroupParent);
  if (!cg) fail('TSS_ECGROUP', 'events', id, `the container's cgroup under ${h.cgroupParent} is gone`);
  return cg;
}

export async function ociEvents(root: string, id: string, once: boolean, intervalMs: number, out: (s: string) => void): Promise<void> {
  const live = () => { const s = current(root, id, 'events').status; return s === 'created' || s === 'running' || s === 'paused'; };
  if (!live()) fail('TSS_ECONTAINER', 'events', id, 'container is not running');
  const cg = await cgroupOf(root, id);
  if (once) { out(eventLine('stats', id, stats(cg))); return; }
  let ooms = cg.oomKills();
  while (live()) {
    const n = cg.oomKills();
    if (n > ooms) out(eventLine('oom', id));
    ooms = n;
    try { out(eventLine('stats', id, stats(cg))); } catch { if (!live()) break; throw new Error('the container\'s cgroup could not be read'); }
    await delay(intervalMs);
  }
}
