// sandbox/cgroups/manager.ts — createCgroupManager: where a container's cgroup goes on v1, v2 and hybrid hosts (parent)
//
// Root: one directory per v1 hierarchy that carries a controller we use, plus one cgroup2 directory
// when a cgroup2 mount exists (on a hybrid host it enforces nothing but gives cgroup.kill and
// cgroup.freeze). Rootless: v1 is not ours to write, so only a delegated cgroup2 subtree is used
// (see delegate.ts); every limit that cannot be enforced is named in the handle's warnings.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../../common/errors.js';
import { chooseDelegatedBase } from './delegate.js';
import { discoverCgroups, discoverCgroupTree, parseProcSelfCgroup, type CgroupDiscovery } from './discover.js';
import { cgReadOpt, cgWrite, mkdirCg, readPids, rmCgroupTree } from './fsio.js';
import { Cgroup, type CgNode } from './handle.js';
import type { CgroupHandle, CgroupLimits, CgroupManager } from './types.js';

export const DEFAULT_PARENT = 'tssandbox';
const DEFAULT_ROOT = '/sys/fs/cgroup';
/** v1 controllers whose hierarchies a container joins */
const V1_USED = ['memory', 'cpu', 'cpuacct', 'cpuset', 'pids', 'blkio', 'freezer'];
/** cgroup2 controllers we enable down to the container */
const V2_USED = ['cpu', 'cpuset', 'io', 'memory', 'pids'];
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const PART_RE = /^[A-Za-z0-9_.@:-]+$/;

export interface CgroupManagerOptions {
  /** where cgroupfs is mounted; the default reads /proc/self/mountinfo, any other root is inferred from its tree */
  readonly root?: string;
  /** a discovery result to use instead of reading the host (tests) */
  readonly discovery?: CgroupDiscovery;
  /** force rootless behaviour (default: effective uid ≠ 0) */
  readonly rootless?: boolean;
  /** text of /proc/self/cgroup (tests); used to find a delegated subtree */
  readonly selfCgroup?: string;
  /** seam for fake trees: called after each cgroup directory is made, as the kernel would populate it */
  readonly afterMkdir?: (dir: string, version: 'v1' | 'v2') => void;
}

export interface TssCgroupManager extends CgroupManager {
  readonly discovery: CgroupDiscovery;
  /** 'none' when no cgroup filesystem is mounted (layout then reads 'v1' and every handle warns) */
  readonly detected: CgroupDiscovery['layout'];
  readonly rootless: boolean;
  create(id: string, limits: CgroupLimits, parent?: string): Cgroup;
  /** attach opens an existing container cgroup (stats, kill, prune from another process); null if none */
  attach(id: string, parent?: string): Cgroup | null;
  /** pruneStale also accepts a --cgroup-parent other than the default */
  pruneStale(isLive: (id: string) => boolean, parent?: string): string[];
}

/** parentParts validates a --cgroup-parent ("tssandbox", "/lab/class1") into path components */
export function parentParts(parent: string): string[] {
  const parts = parent.split('/').filter(Boolean);
  if (parts.length === 0 || parts.some((p) => p === '.' || p === '..' || !PART_RE.test(p))) {
    fail('TSS_EUSAGE', 'use cgroup parent', parent, 'must be a path of names made of letters, digits and _ . @ : -');
  }
  return parts;
}

function checkId(id: string): void {
  if (!ID_RE.test(id)) fail('TSS_EUSAGE', 'create cgroup', id, 'a container id is letters, digits, _ . - (at most 128)');
}

export function createCgroupManager(opts: CgroupManagerOptions = {}): TssCgroupManager {
  const root = opts.root ?? DEFAULT_ROOT;
  const d = opts.discovery ?? (root === DEFAULT_ROOT ? discoverCgroups() : discoverCgroupTree(root));
  const rootless = opts.rootless ?? process.geteuid?.() !== 0;
  const afterMkdir = opts.afterMkdir ?? (() => {});

  // the cgroup2 directory containers go under: the mount itself as root, a delegated subtree rootless
  let v2Base: string | null = null;
  let v2Why = 'no cgroup2 filesystem is mounted';
  if (d.v2) {
    if (!rootless) v2Base = d.v2.mountPoint;
    else {
      const self = parseProcSelfCgroup(opts.selfCgroup ?? readFileSync('/proc/self/cgroup', 'utf8')).find((r) => r.hierarchy === 0);
      v2Base = self ? chooseDelegatedBase(d.v2.mountPoint, d.v2.root, self.path) : null;
      if (!v2Base) v2Why = `no writable (delegated) cgroup2 subtree above ${self?.path ?? 'this process'}; run under a systemd scope with Delegate=yes`;
    }
  }
  const v1Hierarchies = rootless ? [] : d.v1.filter((h) => h.controllers.some((c) => V1_USED.includes(c)));
  const whyMissing = (c: string): string => {
    const inV1 = d.v1ByController.has(c) || (c === 'io' && d.v1ByController.has('blkio'));
    if (inV1 && rootless) return `the ${c} controller is on cgroup v1, which only root may configure — limits are not enforced`;
    if (d.v2?.controllers.includes(c) && !v2Base) return `${c} is on cgroup2 but ${v2Why}`;
    if (d.layout === 'none') return 'no cgroup filesystem is mounted';
    return `no usable ${c} cgroup controller on this host`;
  };

  function nodesFor(id: string, parent: string, existingOnly: boolean): { version: 'v1' | 'v2'; base: string; controllers: readonly string[]; dir: string }[] {
    const parts = parentParts(parent);
    const out: { version: 'v1' | 'v2'; base: string; controllers: readonly string[]; dir: string }[] = v1Hierarchies.map((h) => ({ version: 'v1' as const, base: h.mountPoint, controllers: h.controllers, dir: join(h.mountPoint, ...parts, id) }));
    if (v2Base) out.push({ version: 'v2', base: v2Base, controllers: [], dir: join(v2Base, ...parts, id) });
    return existingOnly ? out.filter((n) => cgReadOpt(join(n.dir, 'cgroup.procs')) !== null) : out;
  }

  function create(id: string, limits: CgroupLimits, parent = DEFAULT_PARENT): Cgroup {
    checkId(id);
    const parts = parentParts(parent);
    const warnings: string[] = [];
    if (rootless && d.v1.length > 0) warnings.push('rootless on a host with cgroup v1 hierarchies: v1 controllers cannot be configured without root');
    const made: string[] = [];
    const nodes: CgNode[] = [];
    try {
      for (const n of nodesFor(id, parent, false)) {
        if (n.version === 'v1') {
          const cpuset = n.controllers.includes('cpuset');
          let dir = n.base;
          for (const p of parts) {
            dir = join(dir, p);
            if (mkdirCg(dir)) afterMkdir(dir, 'v1');
            // a fresh v1 cpuset is empty and refuses tasks (ENOSPC) until cpus and mems are copied down
            if (cpuset) inheritCpuset(dir);
          }
          makeLeaf(n.dir, 'v1', made);
          if (cpuset) inheritCpuset(n.dir);
          nodes.push({ version: 'v1', controllers: n.controllers, dir: n.dir });
        } else {
          const wanted = V2_USED.filter((c) => d.v2?.controllers.includes(c) && !d.v1ByController.has(c));
          let dir = n.base;
          enableControllers(dir, wanted, warnings);
          for (const p of parts) {
            dir = join(dir, p);
            if (mkdirCg(dir)) afterMkdir(dir, 'v2');
            enableControllers(dir, wanted, warnings);
          }
          makeLeaf(n.dir, 'v2', made);
          const have = (cgReadOpt(join(n.dir, 'cgroup.controllers')) ?? '').trim().split(/\s+/).filter(Boolean);
          nodes.push({ version: 'v2', controllers: have.filter((c) => V2_USED.includes(c)), dir: n.dir });
        }
      }
      if (nodes.length === 0) warnings.push(`no cgroup is created for ${id}: limits are not enforced and stats are unavailable`);
      const h = new Cgroup(id, nodes, warnings, whyMissing);
      h.apply(limits);
      return h;
    } catch (err) {
      // a half-made cgroup must not outlive the failed create
      for (const dir of made.reverse()) {
        try {
          rmCgroupTree(dir);
        } catch {
          // the original error is the one worth reporting
        }
      }
      throw err;
    }
  }

  function makeLeaf(dir: string, version: 'v1' | 'v2', made: string[]): void {
    if (!mkdirCg(dir)) {
      // a leftover of a crashed run is reused only when empty; a live one means the id is taken
      if (readPids(join(dir, 'cgroup.procs')).length > 0) fail('TSS_ECGROUP', 'create', dir, 'exists and holds processes (container id in use)');
      rmCgroupTree(dir);
      mkdirCg(dir);
    }
    made.push(dir);
    afterMkdir(dir, version);
  }

  function attach(id: string, parent = DEFAULT_PARENT): Cgroup | null {
    checkId(id);
    const nodes = nodesFor(id, parent, true).map((n): CgNode => {
      if (n.version === 'v1') return { version: 'v1', controllers: n.controllers, dir: n.dir };
      const have = (cgReadOpt(join(n.dir, 'cgroup.controllers')) ?? '').trim().split(/\s+/).filter(Boolean);
      return { version: 'v2', controllers: have.filter((c) => V2_USED.includes(c)), dir: n.dir };
    });
    return nodes.length ? new Cgroup(id, nodes, [], whyMissing) : null;
  }

  function pruneStale(isLive: (id: string) => boolean, parent = DEFAULT_PARENT): string[] {
    const parts = parentParts(parent);
    const bases = [...v1Hierarchies.map((h) => h.mountPoint), ...(v2Base ? [v2Base] : [])];
    const ids = new Set<string>();
    for (const b of bases) {
      try {
        for (const e of readdirSync(join(b, ...parts), { withFileTypes: true })) if (e.isDirectory() && ID_RE.test(e.name)) ids.add(e.name);
      } catch {
        // no parent in this hierarchy: nothing of ours there
      }
    }
    const removed: string[] = [];
    for (const id of [...ids].sort()) {
      if (isLive(id)) continue;
      const h = attach(id, parent);
      if (!h) continue;
      try {
        h.killAll();
        h.remove();
        removed.push(id);
      } catch {
        // one stubborn cgroup must not stop the sweep; the next prune retries it
      }
    }
    return removed;
  }

  return {
    layout: d.layout === 'none' ? 'v1' : d.layout,
    detected: d.layout,
    discovery: d,
    rootless,
    create,
    attach,
    pruneStale,
  } satisfies TssCgroupManager & CgroupManager;
}

/** inheritCpuset copies cpuset.cpus/mems from the parent where still empty (v1 only) */
function inheritCpuset(dir: string): void {
  for (const f of ['cpuset.cpus', 'cpuset.mems']) {
    const cur = cgReadOpt(join(dir, f));
    if (cur === null || cur.trim() !== '') continue;
    const up = cgReadOpt(join(dir, '..', f));
    if (up !== null && up.trim() !== '') cgWrite(join(dir, f), up.trim());
  }
}

/**
 * enableControllers turns on, in `dir`'s cgroup.subtree_control, each wanted controller `dir`
 * itself has. A refusal (EBUSY: processes in `dir`; EACCES: not delegated) leaves that controller
 * off below and becomes a warning; the limits it would carry are then reported as not enforced.
 */
function enableControllers(dir: string, wanted: readonly string[], warnings: string[]): void {
  const have = (cgReadOpt(join(dir, 'cgroup.controllers')) ?? '').trim().split(/\s+/);
  const on = (cgReadOpt(join(dir, 'cgroup.subtree_control')) ?? '').trim().split(/\s+/);
  const todo = wanted.filter((c) => have.includes(c) && !on.includes(c));
  if (todo.length === 0) return;
  const file = join(dir, 'cgroup.subtree_control');
  // one write enables all or none; when it is refused, go one by one so one refusal costs only itself
  try {
    cgWrite(file, todo.map((c) => `+${c}`).join(' '));
    return;
  } catch {
    // fall through
  }
  for (const c of todo) {
    try {
      cgWrite(file, `+${c}`);
    } catch (err) {
      const msg = `could not enable the ${c} controller: ${(err as Error).message}`;
      if (!warnings.includes(msg)) warnings.push(msg);
    }
  }
}
