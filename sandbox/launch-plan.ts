// sandbox/launch-plan.ts — OCI spec → LaunchPlan: the ordered setup operations the launcher runs (parent, pure)
//
// The order of operations is the order of the tree: mount points are made just before what is
// mounted on them (so a volume inside a tmpfs gets its mount point in the tmpfs), masks and
// read-only remounts come after everything they cover, and the root turns read-only last.
import { posix } from 'node:path';
import { CAPABILITIES } from '../abi/index.js';
import { fail } from '../common/errors.js';
import { RLIMITS } from './flags.js';
import { ANN, type OciMount, type OciSpec } from './oci-spec.js';
import type { LaunchPlan, SetupOp } from './plan.js';

export const INIT_IN_CONTAINER = '/sbin/tssandbox-init';

export interface HostSide {
  /** runtime staging dir for this container (under /run) */
  readonly stateDir: string;
  /** the per-container writable layer dir (holds upper/ and work/) */
  readonly rwDir: string;
  readonly idBase: number;
  readonly idCount: number;
  readonly cgroupProcs: readonly string[];
  readonly seccomp: Buffer | null;
  /** where the launcher binds the container's network namespace (sandbox/network/netns.ts), when something must reach it */
  readonly netnsFile?: string;
  /** the lab network's attach hook, run by the launcher before the payload */
  readonly netHook?: readonly string[];
  /** the cgroup hierarchies holding the container's cgroup, for OCI `cgroup` mounts (oci/cgroup-mounts.ts) */
  readonly cgroupMounts?: readonly CgroupMount[];
}

/** one hierarchy under a `cgroup` mount: `dir` '' is the mount point itself (a cgroup2-only host) */
export interface CgroupMount { readonly dir: string; readonly fstype: 'cgroup' | 'cgroup2'; readonly data: string }

/** cgroupOps: a read-only view of the container's own cgroups at DST — on a v1 or hybrid host a
 * tmpfs holding one mount per hierarchy (runc's layout), turned read-only once they are in */
function cgroupOps(dst: string, type: 'cgroup' | 'cgroup2', all: readonly CgroupMount[], rootUid: number): SetupOp[] {
  const wanted = type === 'cgroup2' ? all.filter((m) => m.fstype === 'cgroup2') : all;
  if (!wanted.length) fail('TSS_EUSAGE', 'run', dst, `no ${type === 'cgroup2' ? 'cgroup2 ' : ''}hierarchy holds the container's cgroup`);
  const whole = wanted.find((m) => m.dir === '') ?? (type === 'cgroup2' ? wanted[0] : undefined);
  if (whole) return [{ op: 'mkdir', path: dst }, { op: 'kernfs', path: dst, fstype: whole.fstype, data: whole.data, readOnly: true }];
  return [
    { op: 'mkdir', path: dst },
    { op: 'tmpfs', path: dst, options: `mode=755,size=65536,uid=${rootUid},gid=${rootUid}` },
    ...wanted.flatMap((m): SetupOp[] => [{ op: 'mkdir', path: posix.join(dst, m.dir) }, { op: 'kernfs', path: posix.join(dst, m.dir), fstype: m.fstype, data: m.data, readOnly: true }]),
    { op: 'readonly', path: dst },
  ];
}

export function capabilityMask(names: readonly string[]): bigint {
  let m = 0n;
  for (const n of names) {
    const v = CAPABILITIES[n] ?? CAPABILITIES[n.replace(/^CAP_/, '')];
    if (v === undefined) fail('TSS_EUSAGE', 'run', n, 'unknown capability');
    m |= 1n << BigInt(v);
  }
  return m;
}

function mountOps(m: OciMount, rootUid: number, devices: readonly string[], cgroups: readonly CgroupMount[]): SetupOp[] {
  const dst = posix.normalize(m.destination);
  const opts = m.options ?? [];
  switch (m.type) {
    case 'proc': return [{ op: 'mkdir', path: dst }, { op: 'proc', path: dst }];
    case 'sysfs': return [{ op: 'mkdir', path: dst }, { op: 'sysfs', path: dst }];
    // the container always has its own ipc namespace: the mqueue it mounts shows only its queues
    case 'mqueue': return [...(dst === '/dev/mqueue' ? [] : [{ op: 'mkdir' as const, path: dst }]), { op: 'kernfs', path: dst, fstype: 'mqueue', data: '', readOnly: opts.includes('ro') }];
    case 'cgroup': case 'cgroup2': return cgroupOps(dst, m.type, cgroups, rootUid);
    case 'bind': {
      if (!m.source) fail('TSS_EUSAGE', 'run', dst, 'a bind mount needs a source');
      return [{ op: 'bind', src: m.source, dst, readOnly: opts.includes('ro') }];
    }
    case 'tmpfs': {
      if (dst === '/dev') return [{ op: 'mkdir', path: dst }, { op: 'dev', path: dst, names: devices }];
      const data = opts.filter((o) => !['rbind', 'bind'].includes(o));
      if (!data.some((o) => o.startsWith('mode='))) data.push(dst === '/tmp' ? 'mode=1777' : 'mode=755');
      // the tmpfs belongs to the container's root, not to the host's (which it could not write)
      data.push(`uid=${rootUid}`, `gid=${rootUid}`);
      return [{ op: 'mkdir', path: dst }, { op: 'tmpfs', path: dst, options: data.join(',') }];
    }
    default: fail('TSS_EUSAGE', 'run', dst, `mount type ${m.type ?? '(none)'} is not supported`);
  }
}

export function planLaunch(spec: OciSpec, host: HostSide): LaunchPlan {
  const layers: string[] = JSON.parse(spec.annotations[ANN.layers] ?? '[]');
  const files: Record<string, string> = JSON.parse(spec.annotations[ANN.files] ?? '{}');
  const devices = (spec.annotations[ANN.devices] ?? 'null,zero,full,random,urandom,tty,pts,ptmx,shm').split(',').filter(Boolean);
  const setup: SetupOp[] = [];
  const mounts = [...spec.mounts].sort((a, b) => depth(a.destination) - depth(b.destination));
  // /dev/shm as a separate mount replaces the one the dev operation makes
  // an mqueue at /dev/mqueue gets its mount point from the dev operation: /dev is read-only once populated
  const devNames = [...(mounts.some((m) => m.destination === '/dev/shm') ? devices.filter((d) => d !== 'shm') : devices),
    ...(mounts.some((m) => m.type === 'mqueue' && posix.normalize(m.destination) === '/dev/mqueue') ? ['mqueue'] : [])];
  for (const m of mounts) {
    if (m.type === 'bind') {
      // a bind target is a directory or a file like its source; the launcher checks they match
      setup.push(m.options?.includes('file') ? { op: 'mkfile', path: m.destination } : { op: 'mkdir', path: m.destination });
    }
    setup.push(...mountOps(m, host.idBase, devNames, host.cgroupMounts ?? []));
  }
  // the init layer's files: mount points a FROM-scratch image lacks were made above; these the runtime writes
  const etcOps: SetupOp[] = [];
  if (Object.keys(files).length) etcOps.push({ op: 'mkdir', path: '/etc' });
  for (const [path, content] of Object.entries(files)) etcOps.push({ op: 'file', path, content });
  setup.unshift(...etcOps);
  // the working directory after the mounts: it may live in a tmpfs or a volume
  setup.push({ op: 'mkdir', path: spec.process.cwd });
  // --init: the runtime's static init, bound read-only over a file made in the per-container layer
  const init = spec.annotations[ANN.init];
  if (init) setup.push({ op: 'mkdir', path: '/sbin' }, { op: 'mkfile', path: INIT_IN_CONTAINER }, { op: 'bind', src: init, dst: INIT_IN_CONTAINER, readOnly: true });
  for (const p of spec.linux.maskedPaths) setup.push({ op: 'mask', path: p });
  for (const p of spec.linux.readonlyPaths) setup.push({ op: 'readonly', path: p });
  if (spec.process.terminal) setup.push({ op: 'pty' });
  if (spec.root.readonly) setup.push({ op: 'rootro' });

  const rlimits = spec.process.rlimits.map((r) => {
    const n = RLIMITS[r.type.replace(/^RLIMIT_/, '').toLowerCase()];
    if (n === undefined) fail('TSS_EUSAGE', 'run', r.type, 'unknown rlimit');
    return { resource: n, soft: r.soft, hard: r.hard };
  });
  const netns = spec.linux.namespaces.some((n) => n.type === 'network') ? 'new' : 'host';
  return {
    uidMap: [{ inside: 0, outside: host.idBase, count: host.idCount }],
    gidMap: [{ inside: 0, outside: host.idBase, count: host.idCount }],
    rootUid: host.idBase, rootGid: host.idBase,
    cgroupProcs: host.cgroupProcs,
    hostname: spec.hostname,
    network: netns,
    ...(netns === 'new' && host.netnsFile ? { netnsFile: host.netnsFile } : {}),
    ...(netns === 'new' && host.netHook?.length ? { netHook: host.netHook } : {}),
    root: posix.join(host.stateDir, 'root'),
    layers: layers.map((dir, i) => ({ dir, stage: posix.join(host.stateDir, 'l', String(i)) })),
    rwLayer: { dir: host.rwDir, stage: posix.join(host.stateDir, 'rw') },
    setup,
    rlimits,
    user: { uid: spec.process.user.uid, gid: spec.process.user.gid, groups: spec.process.user.additionalGids ?? [] },
    cwd: spec.process.cwd,
    capabilities: capabilityMask(spec.process.capabilities.bounding),
    noNewPrivileges: spec.process.noNewPrivileges || host.seccomp !== null,
    seccomp: host.seccomp,
    env: spec.process.env,
    argv: init ? [INIT_IN_CONTAINER, '--', ...spec.process.args] : spec.process.args,
    ...(spec.annotations[ANN.interactive] === 'true' ? { interactive: true } : {}),
    ...(spec.process.user.umask !== undefined ? { umask: spec.process.user.umask } : {}),
    ...(spec.process.oomScoreAdj !== undefined ? { oomScoreAdj: spec.process.oomScoreAdj } : {}),
    ...(spec.linux.sysctl && Object.keys(spec.linux.sysctl).length ? { sysctl: Object.entries(spec.linux.sysctl).map(([key, value]) => ({ key, value })) } : {}),
  };
}

function depth(p: string): number { return posix.normalize(p).split('/').filter(Boolean).length; }
