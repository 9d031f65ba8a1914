// oci/cgroup-mounts.ts — which cgroup hierarchies an OCI `cgroup` mount shows: those holding the container's own cgroup (OCI front end, reads the host's mountinfo)
//
// The child mounts them from a cgroup namespace rooted at its own cgroup (native/launcher/child.c
// 2b), so each shows the container's subtree only. A hierarchy the runtime made no cgroup in would
// be rooted at the supervisor's cgroup — someone else's tree — and is left out.
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import type { CgroupMount } from '../sandbox/launch-plan.js';

interface HostHierarchy { readonly mountPoint: string; readonly fstype: 'cgroup' | 'cgroup2'; readonly superOptions: readonly string[] }

export function hostHierarchies(mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): HostHierarchy[] {
  const out: HostHierarchy[] = [];
  for (const line of mountinfo.split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!pre || !post) continue;
    const [fstype, , superOpts] = post.split(' ');
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const mountPoint = pre.split(' ')[4]!.replace(/\\040/g, ' ');
    out.push({ mountPoint, fstype, superOptions: (superOpts ?? '').split(',') });
  }
  return out;
}

/** cgroupMounts: for each cgroup.procs file the launcher writes, the hierarchy it lies in, as the child mounts it */
export function cgroupMounts(procsFiles: readonly string[], hierarchies: readonly HostHierarchy[] = hostHierarchies()): CgroupMount[] {
  const controllers = new Set(readFileSync('/proc/cgroups', 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t')[0]!));
  const out: CgroupMount[] = [];
  for (const f of procsFiles) {
    const h = hierarchies.filter((x) => f.startsWith(`${x.mountPoint}/`)).sort((a, b) => b.mountPoint.length - a.mountPoint.length)[0];
    if (!h || out.some((m) => m.dir === posix.basename(h.mountPoint))) continue;
    // v1: the hierarchy's controllers (or its name=), exactly as mounted: a cgroup namespace may
    // only mount hierarchies that exist
    const data = h.fstype === 'cgroup2' ? '' : h.superOptions.filter((o) => controllers.has(o) || o.startsWith('name=')).join(',');
    out.push({ dir: h.mountPoint === '/sys/fs/cgroup' ? '' : posix.basename(h.mountPoint), fstype: h.fstype, data });
  }
  return out;
}
