// test/policy/oci-oracle.ts — an independent reading of Docker/OCI seccomp JSON semantics, to check our import against (test helper, pure)
import { errnoName } from '../../abi/index.js';
import type { OciSeccomp } from '../../policy/oci-import.js';

const bare = (c: string): string => c.toUpperCase().replace(/^CAP_/, '');

function action(a: string, errnoRet: number | undefined): string {
  switch (a) {
    case 'SCMP_ACT_ALLOW': return 'allow';
    case 'SCMP_ACT_ERRNO': return `errno(${errnoName(errnoRet ?? 1)})`;
    default: return a;
  }
}

/**
 * ociDecides: what moby/podman + runc/crun + libseccomp decide on an amd64 host for a capability
 * set: entries filtered by caps/arches, every comparison of an entry on all 64 bits (all must
 * hold), the first matching entry decides (libseccomp keeps the first of two unconditional rules
 * for one syscall), else the default action.
 */
export function ociDecides(o: OciSeccomp, caps: readonly string[], name: string, args: readonly bigint[]): string {
  const held = new Set(caps.map(bare));
  for (const s of o.syscalls ?? []) {
    if (!(s.names ?? []).includes(name)) continue;
    if ((s.excludes?.caps ?? []).some((c) => held.has(bare(c))) || (s.includes?.caps ?? []).some((c) => !held.has(bare(c)))) continue;
    if ((s.includes?.arches?.length && !s.includes.arches.includes('amd64')) || s.excludes?.arches?.includes('amd64')) continue;
    const ok = (s.args ?? []).every((a) => {
      const x = args[a.index] ?? 0n; const v = BigInt(a.value);
      switch (a.op) {
        case 'SCMP_CMP_EQ': return x === v; case 'SCMP_CMP_NE': return x !== v; case 'SCMP_CMP_LT': return x < v;
        case 'SCMP_CMP_LE': return x <= v; case 'SCMP_CMP_GT': return x > v; case 'SCMP_CMP_GE': return x >= v;
        case 'SCMP_CMP_MASKED_EQ': return (x & v) === BigInt(a.valueTwo ?? 0);
        default: throw new Error(a.op);
      }
    });
    if (ok) return action(s.action, s.errnoRet);
  }
  return action(o.defaultAction, o.defaultErrnoRet);
}
