// oci/merge.ts — the node's and the annotation's seccomp policies as ONE policy and filter, so every denial of either is the supervisor's to record (OCI front end, CLI process)
//
// Stacked, the node profile's filter answered its denials itself (ERRNO outranks USER_NOTIF), so
// the supervisor never saw them and the audit log missed them. Intersected (policy/seccomp/
// intersect.ts) the decisions are the same — the stricter answer, with its own rule's file:line —
// and the supervised profile's rewrite (sandbox/notify/rules.ts) routes the node's EPERM denials
// to the supervisor like its own. Cached under the data root by the profiles' filter digests
// (which name their policies), so a hit costs no profile load or compile.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../common/errors.js';
import type { SeccompPolicy } from '../policy/seccomp/types.js';
import type { NodePolicy } from './policy.js';

/** Bump when intersectPolicies changes, so cached merged policies are not reused. */
export const INTERSECT_VERSION = 1;

export interface MergedPolicy {
  /** the intersection, node's profile first (the older filter), the annotation's last */
  readonly policy: SeccompPolicy;
  /** its compiled filter: what `exec`'d processes install (the plain one; oci/exec.ts) */
  readonly bytes: Buffer;
  /** the compile digest: the supervised filter is keyed by it */
  readonly digest: string;
}

/** mergedNodePolicy: undefined when fewer than two of the node policy's profiles have a filter */
export async function mergedNodePolicy(policy: NodePolicy, cacheDir: string): Promise<MergedPolicy | undefined> {
  const at = policy.profiles.map((p, i) => i).filter((i) => policy.digests[i] !== undefined);
  if (at.length < 2) return undefined;
  const key = createHash('sha256').update(JSON.stringify(['intersect', INTERSECT_VERSION, process.arch, ...at.map((i) => policy.digests[i])])).digest('hex');
  const file = join(cacheDir, `intersect-${key}.json`);
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as { policy: SeccompPolicy; bytes: string; digest: string };
    return { policy: c.policy, bytes: Buffer.from(c.bytes, 'hex'), digest: c.digest };
  } catch { /* a miss: load, intersect and compile below */ }
  const [{ loadProfile }, { compileSeccomp }, { intersectPolicies }, { hostArch }] = await Promise.all([
    import('../policy/load.js'), import('../policy/api.js'), import('../policy/seccomp/intersect.js'), import('../abi/index.js')]);
  let merged: SeccompPolicy | undefined;
  for (const i of at) {
    const s = loadProfile(policy.refs[i]!).seccomp;
    if (!s) fail('TSS_EPROFILE', 'create', policy.refs[i]!, 'its seccomp policy changed while the container was being created');
    try { merged = merged ? intersectPolicies(merged, s, hostArch(), `${merged.name}∩${s.name}`) : s; } catch (e) {
      fail('TSS_EPROFILE', 'create', at.map((j) => policy.refs[j]).join(' + '), `their seccomp policies cannot be merged into one filter: ${(e as Error).message}`);
    }
  }
  const c = compileSeccomp(merged!, undefined, { cacheDir: join(cacheDir, 'seccomp') });
  const out: MergedPolicy = { policy: merged!, bytes: c.bytes, digest: c.digest };
  try {
    mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
    const tmp = join(cacheDir, `.intersect-${key}.${process.pid}.tmp`);
    writeFileSync(tmp, JSON.stringify({ policy: out.policy, bytes: out.bytes.toString('hex'), digest: out.digest }), { mode: 0o600 });
    renameSync(tmp, file);
  } catch { /* a read-only data root only costs the next create its compile */ }
  return out;
}
