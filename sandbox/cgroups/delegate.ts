// sandbox/cgroups/delegate.ts — find the cgroup2 subtree a rootless user may manage (parent)
//
// systemd delegates a user's service tree (user@UID.service, or a scope with Delegate=yes) by
// chowning its directories and their cgroup.procs/cgroup.subtree_control to the user. We climb
// from our own cgroup while that holds and take the highest such directory: ancestors hold no
// processes of their own, so controllers can be enabled there (the no-internal-processes rule
// refuses it in our own leaf), and moving a pid needs write access to the common ancestor.
import { accessSync, constants } from 'node:fs';
import { join, posix } from 'node:path';

/** writableCgroup: this user may create children in `dir`, move pids and enable controllers */
export function writableCgroup(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    accessSync(join(dir, 'cgroup.procs'), constants.W_OK);
    accessSync(join(dir, 'cgroup.subtree_control'), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * chooseDelegatedBase returns the directory (under `mountPoint`) to put rootless containers in, or
 * null. `ownPath` is our "0::" path from /proc/self/cgroup, `mountRoot` the mount's root in the
 * hierarchy (not "/" when the mount shows a subtree). `writable` is a seam for tests.
 */
export function chooseDelegatedBase(mountPoint: string, mountRoot: string, ownPath: string, writable: (dir: string) => boolean = writableCgroup): string | null {
  const rootPrefix = mountRoot === '/' ? '' : mountRoot;
  if (rootPrefix && !(ownPath === rootPrefix || ownPath.startsWith(rootPrefix + '/'))) return null;
  let rel = ownPath.slice(rootPrefix.length) || '/';
  let best: string | null = null;
  // never the mount root itself: that is the host's, even when a misconfigured mode makes it writable
  while (rel !== '/' && rel !== '') {
    const dir = join(mountPoint, rel);
    if (!writable(dir)) break;
    best = dir;
    rel = posix.dirname(rel);
  }
  return best;
}
