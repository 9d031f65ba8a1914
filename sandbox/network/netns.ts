// sandbox/network/netns.ts — the container's network namespace as a file: STATEDIR/netns, bind-mounted by the launcher (parent, runtime process)
//
// The launcher binds the namespace it made onto this file (plan record `netnsfile`) so the port
// proxy and the lab network's hook reach it by path, not by a pid that could be reused. A mounted
// file cannot be removed: releaseNetns unmounts it before the state dir goes, on every path
// (normal exit, failed launch, stale reaping).
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const netnsFile = (stateDir: string) => join(stateDir, 'netns');

/** makeNetnsFile creates the empty mount point; returns its path */
export function makeNetnsFile(stateDir: string): string {
  const f = netnsFile(stateDir);
  closeSync(openSync(f, 'w', 0o600));
  return f;
}

/** mounted: PATH is a mount point in this mount namespace */
export function mounted(path: string): boolean {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === path);
  } catch { return false; }
}

/** releaseNetns unmounts and removes STATEDIR/netns; idempotent, never throws */
export function releaseNetns(stateDir: string): void {
  const f = netnsFile(stateDir);
  if (!existsSync(f)) return;
  for (let i = 0; i < 4 && mounted(f); i++) {
    try { execFileSync('umount', ['-l', f], { stdio: 'ignore' }); } catch { break; }
  }
  try { rmSync(f, { force: true }); } catch { /* still mounted: the next reap retries */ }
}
