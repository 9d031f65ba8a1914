// sandbox/rootless-limits.ts — what a rootless run says about the cgroup limits it cannot enforce (parent, pure)
//
// Rootless, only a delegated cgroup2 subtree is writable (cgroups/delegate.ts); on a v1 or hybrid
// host, or without delegation, the profile's limits are not enforced. That is said in one line; a
// limit the user asked for by flag is refused instead, so nobody believes a --memory holds that does not.
import { fail } from '../common/errors.js';
import type { CgroupLimits } from './cgroups/index.js';
import type { RunOptions } from './flags.js';

const FLAGS: readonly [keyof CgroupLimits, keyof RunOptions, string][] = [
  ['memory', 'memory', '--memory'], ['memorySwap', 'memorySwap', '--memory-swap'], ['cpus', 'cpus', '--cpus'],
  ['cpusetCpus', 'cpusetCpus', '--cpuset-cpus'], ['pids', 'pidsLimit', '--pids-limit'],
];

interface Unenforced { readonly missing: readonly (keyof CgroupLimits)[]; readonly warnings: readonly string[] }

/** refuseUnenforcedLimits: a flag-given limit among those not enforced ends the run with one line */
export function refuseUnenforcedLimits(o: RunOptions, cg: Unenforced): void {
  for (const [limit, opt, flag] of FLAGS) {
    const v = o[opt];
    if (v === undefined || !cg.missing.includes(limit)) continue;
    const why = cg.warnings.find((w) => w.startsWith(`${flag} is not enforced: `))?.slice(`${flag} is not enforced: `.length) ?? 'no cgroup controller for it';
    fail('TSS_EUSAGE', 'run', `${flag} ${String(v)}`, `cannot be enforced rootless here (${why}); run as root, or under a delegated cgroup2 subtree`);
  }
}

/** limitsWarning: one line naming every limit not enforced (the profile's own), or none */
export function limitsWarning(cg: Unenforced): string | undefined {
  if (cg.missing.length === 0) return undefined;
  const names = FLAGS.filter(([l]) => cg.missing.includes(l)).map(([, , f]) => f);
  return `rootless: limits not enforced (no writable cgroup for them on this host): ${names.join(', ')}`;
}
