// oci/update.ts — `update [-r FILE|-] [--memory …] [--pids-limit …] [--cpu-quota …] ID`: new cgroup limits for a live container (OCI front end, CLI process)
//
// runc's rules: with -r (a runtime-spec LinuxResources JSON, `-` for stdin) the flags are ignored;
// otherwise each flag given is a limit. Limits go through the same validation and cgroup writes
// as create (sandbox/cgroups/handle.ts apply): a limit this host cannot enforce is an error that
// names it, never a silent pass.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { fail } from '../common/errors.js';
import type { CgroupLimits } from '../sandbox/cgroups/types.js';
import { parseBytes } from '../sandbox/flags.js';
import { flag, type OciArgs } from './args.js';
import { readOciHandoff } from './handoff.js';
import { containerDir } from './state.js';
import { current } from './verbs.js';

const Resources = z.object({
  memory: z.object({ limit: z.number().int().optional(), swap: z.number().int().optional() }).loose().optional(),
  cpu: z.object({ shares: z.number().int().optional(), quota: z.number().int().optional(), period: z.number().int().optional(), cpus: z.string().optional() }).loose().optional(),
  pids: z.object({ limit: z.number().int() }).loose().optional(),
  blockIO: z.object({ weight: z.number().int().optional() }).loose().optional(),
}).loose();
type Resources = z.infer<typeof Resources>;

function int(name: string, v: string): number {
  const n = Number(v);
  if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) fail('TSS_EUSAGE', 'update', `--${name} ${v}`, 'not a whole number');
  return n;
}

/** fromFlags: runc's update flags as a LinuxResources object */
function fromFlags(a: OciArgs): Resources {
  const f = (n: string) => flag(a.flags, n);
  const bytes = (n: string) => { const v = f(n); return v === undefined ? undefined : v.trim() === '-1' ? -1 : parseBytes(`--${n}`, v); };
  const num = (n: string) => { const v = f(n); return v === undefined ? undefined : int(n, v); };
  const r: Resources = {};
  const memory = bytes('memory'), swap = bytes('memory-swap');
  if (memory !== undefined || swap !== undefined) r.memory = { ...(memory !== undefined ? { limit: memory } : {}), ...(swap !== undefined ? { swap } : {}) };
  const shares = num('cpu-share') ?? num('cpu-shares'), quota = num('cpu-quota'), period = num('cpu-period'), cpus = f('cpuset-cpus');
  if (shares !== undefined || quota !== undefined || period !== undefined || cpus !== undefined) {
    r.cpu = { ...(shares !== undefined ? { shares } : {}), ...(quota !== undefined ? { quota } : {}), ...(period !== undefined ? { period } : {}), ...(cpus !== undefined ? { cpus } : {}) };
  }
  const pids = num('pids-limit');
  if (pids !== undefined) r.pids = { limit: pids };
  const weight = num('blkio-weight');
  if (weight !== undefined) r.blockIO = { weight };
  for (const n of ['memory-reservation', 'kernel-memory', 'kernel-memory-tcp', 'cpuset-mems', 'cpu-rt-period', 'cpu-rt-runtime', 'l3-cache-schema', 'mem-bw-schema']) {
    if (f(n) !== undefined) fail('TSS_EUSAGE', 'update', `--${n}`, 'not supported by tssandbox');
  }
  return r;
}

function fromFile(file: string): Resources {
  let text: string;
  try { text = readFileSync(file === '-' ? 0 : file, 'utf8'); } catch (e) { fail('TSS_EUSAGE', 'update', `-r ${file}`, (e as Error).message); }
  let json: unknown;
  try { json = JSON.parse(text); } catch { fail('TSS_EUSAGE', 'update', `-r ${file}`, 'not JSON'); }
  const p = Resources.safeParse(json);
  if (!p.success) fail('TSS_EUSAGE', 'update', `-r ${file}`, `not a LinuxResources object: ${p.error.issues[0]?.path.join('.')} ${p.error.issues[0]?.message}`);
  return p.data;
}

/** toLimits: LinuxResources → our CgroupLimits; quota without period is over the CFS default 100 ms (written as quota/period over 100 ms) */
export function toLimits(r: Resources): CgroupLimits {
  const out: { -readonly [K in keyof CgroupLimits]: CgroupLimits[K] } = {};
  if (r.memory?.limit !== undefined) {
    if (r.memory.limit <= 0) fail('TSS_EUSAGE', 'update', `memory ${r.memory.limit}`, 'tssandbox keeps a memory limit once set (no unlimited)');
    out.memory = r.memory.limit;
  }
  if (r.memory?.swap !== undefined) out.memorySwap = r.memory.swap;
  if (r.cpu?.quota !== undefined) {
    if (r.cpu.quota <= 0) fail('TSS_EUSAGE', 'update', `cpu-quota ${r.cpu.quota}`, 'tssandbox keeps a CPU limit once set (no unlimited)');
    out.cpus = r.cpu.quota / (r.cpu.period ?? 100000);
  } else if (r.cpu?.period !== undefined) fail('TSS_EUSAGE', 'update', `cpu-period ${r.cpu.period}`, 'needs --cpu-quota with it');
  if (r.cpu?.shares !== undefined) out.cpuShares = r.cpu.shares;
  if (r.cpu?.cpus !== undefined) out.cpusetCpus = r.cpu.cpus;
  if (r.pids?.limit !== undefined) out.pids = r.pids.limit;
  if (r.blockIO?.weight !== undefined) out.ioWeight = r.blockIO.weight;
  return out;
}

export async function ociUpdate(root: string, id: string, a: OciArgs): Promise<void> {
  const rec = current(root, id, 'update');
  if (rec.status === 'stopped' || rec.status === 'creating') fail('TSS_ECONTAINER', 'update', id, `container is ${rec.status}`);
  const file = flag(a.flags, 'resources', 'r');
  const res = file !== undefined ? fromFile(file) : fromFlags(a);
  const h = readOciHandoff(containerDir(root, id));
  const { createCgroupManager } = await import('../sandbox/cgroups/index.js');
  const cg = createCgroupManager().attach(h.id, h.cgroupParent);
  if (!cg) fail('TSS_ECGROUP', 'update', id, `the container's cgroup under ${h.cgroupParent} is gone`);
  const limits = toLimits(res);
  if (Object.keys(limits).length === 0) fail('TSS_EUSAGE', 'update', id, 'no resource to update (give -r FILE or a flag such as --memory)');
  const { missing, warnings } = cg.apply(limits);
  if (missing.length) fail('TSS_ECGROUP', 'update', id, warnings.join('; '));
}
