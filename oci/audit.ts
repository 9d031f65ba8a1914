// oci/audit.ts — the audit log of an OCI container: where it lives, and the supervised filter of its profile (OCI front end, CLI process)
//
// When the effective profile of an OCI container has notify rules (strict, lab, learn), its filter
// is the notify-rewritten one of `run` (sandbox/notify/), the session file goes into the container's
// state dir, and the OCI supervisor (oci/supervisor-main.ts) answers the listener with the same
// AuditSession/NotifyLoop as `run`'s. The log is STATE_ROOT/.audit/<id>.ndjson with its anchor
// beside it: outside the container's dir, so `delete` keeps it (a pod is deleted as soon as it
// exits; its log is what is reviewed afterwards). Container ids start with [A-Za-z0-9], so `.audit`
// is never a container's dir.
import { fail } from '../common/errors.js';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Profile } from '../policy/types.js';
import { dataRoot } from '../sandbox/paths.js';
import type { NodePolicy } from './policy.js';
import { mergedNodePolicy } from './merge.js';

export const AUDIT_DIR = '.audit';

/** ociAuditLog: the audit log of container `id` under an OCI state root */
export function ociAuditLog(stateRoot: string, id: string): string { return join(stateRoot, AUDIT_DIR, `${id}.ndjson`); }

/** ociAuditIds: the containers of a state root that have an audit log (kept after delete) */
export function ociAuditIds(stateRoot: string): string[] {
  const d = join(stateRoot, AUDIT_DIR);
  if (!existsSync(d)) return [];
  return readdirSync(d).filter((f) => f.endsWith('.ndjson')).map((f) => f.slice(0, -'.ndjson'.length));
}

export interface OciSupervision {
  /** the supervised filter: installed last, with NEW_LISTENER (one listener per filter chain) */
  readonly bytes: Buffer;
  /** the node policy's filters without the supervised profile's plain one, in install order */
  readonly others: readonly Buffer[];
  /** the supervised profile's plain filter: what `exec`'d processes install (oci/exec.ts) */
  readonly plain: Buffer;
  /** notify mode (not ptrace): an exec'd process can install `bytes` and hand its listener over (oci/exec-run.ts) */
  readonly notify: boolean;
  readonly profile: Profile;
  readonly log: string;
}

/**
 * prepareOciSupervision: the last profile of the node policy that wants a notify supervisor gets its
 * supervised filter (its plain filter is dropped: the rewritten one is the same policy with the
 * audited calls routed to the supervisor); the session file goes into `dir`. Undefined when no
 * profile is supervised (or TSSANDBOX_SUPERVISOR=off). When two profiles have filters they become
 * one (oci/merge.ts): the same decisions as stacked, every one of them seen by the supervisor.
 */
export async function prepareOciSupervision(policy: NodePolicy, stateRoot: string, id: string, dir: string): Promise<OciSupervision | undefined> {
  const notify = await import('../sandbox/notify/index.js');
  let at = -1;
  policy.profiles.forEach((p, i) => { if (notify.supervised(p, policy.digests[i])) at = i; });
  if (at < 0) {
    // an emulate rule unsupervised would be an open allowed: prepareSupervision refuses it by name
    for (const [i, p] of policy.profiles.entries()) await notify.prepareSupervision(p, policy.digests[i], dataRoot(), { id }, dir);
    return undefined;
  }
  const profile = policy.profiles[at]!;
  // only the at-th profile's supervisor rules are carried out: another's emulate rule would be an
  // open simply allowed by the merged filter — refused by name, as an unsupervised one is above
  for (const [i, p] of policy.profiles.entries()) {
    const e = p.supervisor.emulate?.[0];
    if (i !== at && e) fail('TSS_EREFUSED', 'create', p.source, `${e.source} emulates opens, but the container is supervised by ${profile.name}'s rules (${profile.source}); one profile's emulate rules per container`);
  }
  const log = ociAuditLog(stateRoot, id);
  // node profile and annotation's: ONE filter, their intersection, supervised with this profile's
  // rules — so the node's denials reach the supervisor and the log too (oci/merge.ts). Merged
  // before the log dir is made: a pair that cannot be merged refuses the create with nothing made
  const merged = await mergedNodePolicy(policy, join(dataRoot(), 'cache', 'profiles'));
  mkdirSync(join(stateRoot, AUDIT_DIR), { recursive: true, mode: 0o700 });
  const s = await notify.prepareSupervision(profile, merged?.digest ?? policy.digests[at], dataRoot(), { id, name: id }, dir, 'auto', { logPath: log }, merged?.policy);
  if (!s) return undefined;
  if (merged) return { bytes: s.bytes, others: [], plain: merged.bytes, notify: s.filter.mode !== 'ptrace', profile, log };
  // policy.filters holds only the profiles that have one: the supervised profile's is the at-th of those
  const fi = policy.digests.slice(0, at).filter((d) => d !== undefined).length;
  return { bytes: s.bytes, others: policy.filters.filter((_, i) => i !== fi), plain: policy.filters[fi]!, notify: s.filter.mode !== 'ptrace', profile, log };
}
