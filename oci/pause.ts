// oci/pause.ts — pause/resume: freeze and thaw a container's cgroup (detached OCI supervisor, which owns state.json)
//
// runc's model: `pause` freezes every process of the container (cgroup2's cgroup.freeze, or the v1
// freezer hierarchy where no cgroup2 node exists — sandbox/cgroups/handle.ts picks), `state` then
// says "paused"; `resume` thaws. The supervisor is not in the container's cgroup, so it keeps
// serving `state`, `kill` and `delete` while its container is frozen.
import { fail } from '../common/errors.js';
import type { OciHandoff } from './handoff.js';

async function cgroupOf(h: OciHandoff, action: string) {
  const { createCgroupManager } = await import('../sandbox/cgroups/index.js');
  const cg = createCgroupManager().attach(h.id, h.cgroupParent);
  if (!cg) fail('TSS_ECGROUP', action, h.id, `the container's cgroup under ${h.cgroupParent} is gone`);
  return cg;
}

/** freeze returns once the kernel reports every process of the container frozen */
export async function freeze(h: OciHandoff): Promise<void> {
  (await cgroupOf(h, 'pause')).freeze();
}

export async function thaw(h: OciHandoff): Promise<void> {
  (await cgroupOf(h, 'resume')).thaw();
}
