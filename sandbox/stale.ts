// sandbox/stale.ts — removes what a killed runtime left behind (parent, at the start of every run)
//
// A runtime killed with SIGKILL cannot clean up, but its container did not survive it (the launcher
// and the payload die by PDEATHSIG). Its id-range slot still names its dead pid: from there the
// next run finds the container's state dir, its cgroup (the parent is in its config) and, for
// --rm containers, its record, and removes them. A detached supervisor holds the slot the same way
// (run -d writes its pid there); lifecycle.ts's settle() then records its container as exited with
// the reason "supervisor died".
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupManager } from './cgroups/index.js';
import type { OciSpec } from './oci-spec.js';
import { releaseNetwork } from './network/index.js';

/** alive: the pid exists and is not a zombie (a killed detached supervisor stays one until init reaps it) */
function alive(pid: number): boolean {
  try { process.kill(pid, 0); } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3) !== 'Z';
  } catch { return false; }
}

export interface Reaped { readonly id: string; readonly removed: readonly string[] }

export function reapStale(runRoot: string, dataRoot: string, cgroups: () => CgroupManager & { attach(id: string, parent?: string): { killAll(): void; remove(): void } | null }): Reaped[] {
  const slots = join(runRoot, 'idranges');
  if (!existsSync(slots)) return [];
  const out: Reaped[] = [];
  for (const slot of readdirSync(slots)) {
    const file = join(slots, slot);
    let id: string, pid: number;
    try { [id = '', pid = NaN] = readFileSync(file, 'utf8').trim().split(' ').map((x, i) => (i ? Number(x) : x)) as [string, number]; } catch { continue; }
    if (!/^[0-9a-f]{64}$/.test(id) || !Number.isInteger(pid) || alive(pid)) continue;
    const removed: string[] = [];
    const ctrDir = join(dataRoot, 'containers', id);
    let parent: string | undefined, rm = false;
    try {
      const c = JSON.parse(readFileSync(join(ctrDir, 'config.json'), 'utf8')) as { spec: OciSpec; rm?: boolean };
      parent = c.spec.linux.cgroupsPath?.replace(/\/[^/]+$/, '');
      rm = c.rm === true;
    } catch { /* no record: only the run state remains */ }
    const cg = cgroups().attach(id, parent);
    if (cg) { cg.killAll(); cg.remove(); removed.push('cgroup'); }
    const state = join(runRoot, 'containers', id);
    if (existsSync(state)) releaseNetwork(state); // a lab membership and a mounted namespace file first
    if (existsSync(state)) { rmSync(state, { recursive: true, force: true }); removed.push(state); }
    // a record without a state never started: it is half-made, not a container to list
    if ((rm || !existsSync(join(ctrDir, 'state.json'))) && existsSync(ctrDir)) { rmSync(ctrDir, { recursive: true, force: true }); removed.push(ctrDir); }
    rmSync(file, { force: true });
    out.push({ id, removed });
  }
  return out;
}
