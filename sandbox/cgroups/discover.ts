// sandbox/cgroups/discover.ts — which cgroup hierarchies and controllers this host has (parent; pure parsers + one reader)
//
// Nothing about the host is assumed: controllers are taken one by one from /proc/self/mountinfo
// (what is mounted where) and /proc/cgroups (what the kernel has enabled), because real machines
// mix layouts — this one mounts cpu and cpuacct as separate v1 hierarchies beside a cgroup2 that
// holds only hugetlb, while most distros are v2-only and older ones co-mount cpu,cpuacct.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** one cgroup or cgroup2 mount seen in mountinfo */
export interface CgroupMount {
  readonly fsType: 'cgroup' | 'cgroup2';
  readonly mountPoint: string;
  /** the hierarchy path the mount shows (not "/" inside some containers) */
  readonly root: string;
  /** v1: the controllers bound to this hierarchy (from the super options); v2: empty here */
  readonly controllers: readonly string[];
  /** v1 named hierarchy without controllers ("name=systemd") */
  readonly name: string | null;
}

/** one row of /proc/cgroups */
export interface ProcCgroupsRow {
  readonly controller: string;
  readonly hierarchy: number;
  readonly enabled: boolean;
}

/** a mounted v1 hierarchy that carries at least one enabled controller */
export interface V1Hierarchy {
  readonly mountPoint: string;
  readonly root: string;
  readonly controllers: readonly string[];
}

export interface CgroupDiscovery {
  readonly layout: 'v1' | 'v2' | 'hybrid' | 'none';
  /** v1 hierarchies we may use, one per mount point (cpu,cpuacct co-mounted → one entry) */
  readonly v1: readonly V1Hierarchy[];
  /** controller → its v1 hierarchy */
  readonly v1ByController: ReadonlyMap<string, V1Hierarchy>;
  /** the cgroup2 mount, if any, and the controllers its root offers (cgroup.controllers) */
  readonly v2: { readonly mountPoint: string; readonly root: string; readonly controllers: readonly string[] } | null;
}

/** mountinfo escapes space, tab, newline and backslash as \ooo octal */
function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** parseMountinfo returns the cgroup and cgroup2 mounts listed in a /proc/<pid>/mountinfo text. */
export function parseMountinfo(text: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    // "<id> <parent> <maj:min> <root> <mountpoint> <opts> [optional fields...] - <fstype> <source> <superopts>"
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const post = line.slice(sep + 3).split(' ');
    const fsType = post[0];
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    const root = unescapeMountField(pre[3] ?? '/');
    const mountPoint = unescapeMountField(pre[4] ?? '');
    if (!mountPoint) continue;
    if (fsType === 'cgroup2') {
      out.push({ fsType, mountPoint, root, controllers: [], name: null });
      continue;
    }
    const superOpts = (post[2] ?? '').split(',');
    let name: string | null = null;
    const controllers: string[] = [];
    for (const o of superOpts) {
      if (o.startsWith('name=')) name = o.slice(5);
      else if (o && !NON_CONTROLLER_OPTS.has(o) && !o.includes('=')) controllers.push(o);
    }
    out.push({ fsType, mountPoint, root, controllers, name });
  }
  return out;
}

// super options of a v1 cgroup mount that are not controller names
const NON_CONTROLLER_OPTS = new Set(['rw', 'ro', 'noprefix', 'clone_children', 'xattr', 'none', 'cpuset_v2_mode', 'favordynmods']);

/** parseProcCgroups reads /proc/cgroups ("#subsys_name hierarchy num_cgroups enabled"). */
export function parseProcCgroups(text: string): ProcCgroupsRow[] {
  const out: ProcCgroupsRow[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const [controller, hierarchy, , enabled] = line.trim().split(/\s+/);
    if (!controller || hierarchy === undefined) continue;
    out.push({ controller, hierarchy: Number(hierarchy), enabled: enabled === '1' });
  }
  return out;
}

/** one line of /proc/<pid>/cgroup: "hierarchy-id:controllers:path" */
export interface ProcSelfCgroupRow {
  readonly hierarchy: number;
  readonly controllers: readonly string[];
  readonly path: string;
}

/** parseProcSelfCgroup reads /proc/<pid>/cgroup; the v2 line is "0::/path". */
export function parseProcSelfCgroup(text: string): ProcSelfCgroupRow[] {
  const out: ProcSelfCgroupRow[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const a = line.indexOf(':');
    const b = line.indexOf(':', a + 1);
    if (a < 0 || b < 0) continue;
    const ctrl = line.slice(a + 1, b);
    out.push({ hierarchy: Number(line.slice(0, a)), controllers: ctrl ? ctrl.split(',') : [], path: line.slice(b + 1) });
  }
  return out;
}

/**
 * classifyCgroups combines the parsed sources. A v1 controller counts only when the kernel has it
 * enabled (when /proc/cgroups lists it) and a mount carries it; the first mount of a hierarchy wins
 * (later ones are bind mounts of the same tree). `v2Controllers` is the cgroup2 root's
 * cgroup.controllers, read by the caller because it is not in mountinfo.
 */
export function classifyCgroups(mounts: readonly CgroupMount[], procCgroups: readonly ProcCgroupsRow[], v2Controllers: readonly string[]): CgroupDiscovery {
  const enabled = new Map(procCgroups.map((r) => [r.controller, r.enabled] as const));
  const v1: V1Hierarchy[] = [];
  const v1ByController = new Map<string, V1Hierarchy>();
  for (const m of mounts) {
    if (m.fsType !== 'cgroup') continue;
    const usable = m.controllers.filter((c) => enabled.get(c) !== false && !v1ByController.has(c));
    if (usable.length === 0) continue;
    const h: V1Hierarchy = { mountPoint: m.mountPoint, root: m.root, controllers: usable };
    v1.push(h);
    for (const c of usable) v1ByController.set(c, h);
  }
  const m2 = mounts.find((m) => m.fsType === 'cgroup2');
  const v2 = m2 ? { mountPoint: m2.mountPoint, root: m2.root, controllers: [...v2Controllers] } : null;
  const layout = v1.length > 0 ? (v2 ? 'hybrid' : 'v1') : v2 ? 'v2' : 'none';
  return { layout, v1, v1ByController, v2 };
}

/** readV2Controllers reads `<mount>/cgroup.controllers`; an unreadable file means none. */
export function readV2Controllers(mountPoint: string): string[] {
  try {
    return readFileSync(join(mountPoint, 'cgroup.controllers'), 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

/** discoverCgroups reads this process's view of the host (fixture files may replace the /proc ones). */
export function discoverCgroups(opts: { mountinfo?: string; procCgroups?: string } = {}): CgroupDiscovery {
  const mountinfo = readFileSync(opts.mountinfo ?? '/proc/self/mountinfo', 'utf8');
  let procCgroups = '';
  try {
    procCgroups = readFileSync(opts.procCgroups ?? '/proc/cgroups', 'utf8');
  } catch {
    // newer kernels may drop /proc/cgroups on v2-only builds: mountinfo alone then decides
  }
  const mounts = parseMountinfo(mountinfo);
  const m2 = mounts.find((m) => m.fsType === 'cgroup2');
  return classifyCgroups(mounts, parseProcCgroups(procCgroups), m2 ? readV2Controllers(m2.mountPoint) : []);
}

/**
 * discoverCgroupTree infers the layout of a cgroupfs-like tree at `root` without mountinfo — used
 * for fake trees in tests and for a `root` other than the host's: `root/cgroup.controllers` means
 * cgroup2 at `root`; otherwise each subdirectory named after its controllers ("cpu,cpuacct") is a
 * v1 hierarchy, and `root/unified` holding cgroup.controllers is the hybrid cgroup2.
 */
export function discoverCgroupTree(root: string): CgroupDiscovery {
  if (existsSync(join(root, 'cgroup.controllers'))) {
    return classifyCgroups([{ fsType: 'cgroup2', mountPoint: root, root: '/', controllers: [], name: null }], [], readV2Controllers(root));
  }
  const mounts: CgroupMount[] = [];
  let v2Controllers: string[] = [];
  for (const d of readdirSync(root, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    const mp = join(root, d.name);
    if (d.name === 'unified' && existsSync(join(mp, 'cgroup.controllers'))) {
      mounts.push({ fsType: 'cgroup2', mountPoint: mp, root: '/', controllers: [], name: null });
      v2Controllers = readV2Controllers(mp);
    } else if (existsSync(join(mp, 'cgroup.procs'))) {
      const ctrls = d.name.split(',').filter((c) => KNOWN_V1.has(c));
      mounts.push({ fsType: 'cgroup', mountPoint: mp, root: '/', controllers: ctrls, name: null });
    }
  }
  return classifyCgroups(mounts, [], v2Controllers);
}

const KNOWN_V1 = new Set(['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'hugetlb', 'net_cls', 'net_prio', 'perf_event', 'rdma', 'misc']);
