// test/cgroups/host-cgroups.ts — the real host's cgroup manager for tests, and removal of a test's parent in every hierarchy at the end (tests, root)
import t from 'tap';
import { join } from 'node:path';
import { rmCgroupTree } from '../../sandbox/cgroups/fsio.js';
import { createCgroupManager, type TssCgroupManager } from '../../sandbox/cgroups/manager.js';

/** hostCgroups: the manager (null when not root) and why the test must skip (false: it can run); the parent is removed at teardown */
export function hostCgroups(parent: string): { m: TssCgroupManager | null; skip: string | false } {
  const isRoot = process.geteuid?.() === 0;
  const m = isRoot ? createCgroupManager() : null;
  const skip = !isRoot ? 'needs root (cgroup directories are root-owned here)' : m?.detected === 'none' ? 'no cgroup filesystem mounted' : false;
  if (m && !skip) {
    // the per-run parent in every hierarchy, whatever a failed test left inside it
    t.teardown(() => {
      for (const mp of [...m.discovery.v1.map((h) => h.mountPoint), ...(m.discovery.v2 ? [m.discovery.v2.mountPoint] : [])]) rmCgroupTree(join(mp, parent));
    });
  }
  return { m, skip };
}
