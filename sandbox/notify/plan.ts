// sandbox/notify/plan.ts — the supervised filter of a profile: rewritten, compiled and cached like the run cache (parent, touches the cache dir)
//
// A supervised run needs the profile's full seccomp policy (the run cache keeps only the compiled
// bytes), so a miss costs a profile load and a compile; the result is kept under the data root keyed
// by the plain filter's digest, the supervisor rules and the rewrite's version, so the hot path of
// `run` stays free of YAML, zod and the compiler.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../../common/errors.js';
import type { SeccompPolicy } from '../../policy/seccomp/types.js';
import type { Profile } from '../../policy/types.js';
import { NOTIFY_RULES_VERSION, notifiedSyscalls, superviseePolicy, type NotifyTable } from './rules.js';

export interface SupervisedFilter {
  readonly bytes: Buffer;
  /** digest of the rewritten policy (the audit's policyDigest) */
  readonly digest: string;
  readonly instructions: number;
  /** the rewritten policy: the supervisor evaluates it when several notify rules share a syscall */
  readonly policy: SeccompPolicy;
  readonly table: NotifyTable;
  readonly profile: string;
  readonly notify: readonly string[];
  /** how the supervisor stops those calls: a seccomp listener (USER_NOTIF) or a tracer (RET_TRACE); absent: notify */
  readonly mode?: SupervisorMode;
}

/** notify: SECCOMP_RET_USER_NOTIF and a listener; ptrace: SECCOMP_RET_TRACE and native/tracer (mode.ts) */
export type SupervisorMode = 'notify' | 'ptrace';

/**
 * traced: the notify rules of a rewritten policy as SECCOMP_RET_TRACE rules (--supervisor ptrace).
 * Rule for rule the same program, so the table's indexes and the rules' file:line stay valid; with
 * no tracer attached the kernel fails such a call with ENOSYS (closed).
 */
export function traced(policy: SeccompPolicy): SeccompPolicy {
  return { ...policy, name: `${policy.name}+ptrace`, rules: policy.rules.map((r) => (r.action.kind === 'notify' ? { ...r, action: { kind: 'trace' } } : r)) };
}

/** supervised: does this profile (and run) want a notify supervisor? */
export function wantsSupervisor(profile: Profile): boolean {
  return profile.supervisor.mode === 'notify' && (profile.supervisor.audit.length > 0 || profile.supervisor.recordAll || (profile.supervisor.emulate?.length ?? 0) > 0) && profile.seccomp !== null;
}

/**
 * supervisedFilter returns the notify-rewritten, compiled filter of a profile. `plainDigest` is the
 * run cache's digest of the profile's own filter; `cacheDir` is ROOT/cache/profiles.
 */
export async function supervisedFilter(profile: Profile, plainDigest: string, cacheDir: string, mode: SupervisorMode = 'notify',
  /** the policy to rewrite instead of the profile's own (OCI: the node's and the annotation's intersected, oci/merge.ts); plainDigest is its digest */
  base?: SeccompPolicy): Promise<SupervisedFilter> {
  const key = createHash('sha256').update(JSON.stringify(['notify', NOTIFY_RULES_VERSION, profile.name, plainDigest, profile.supervisor, ...(mode === 'ptrace' ? [mode] : [])])).digest('hex');
  const file = join(cacheDir, `notify-${key}.json`);
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as Omit<SupervisedFilter, 'bytes'> & { bytes: string };
    return { ...c, bytes: Buffer.from(c.bytes, 'hex') };
  } catch { /* a miss: load, rewrite and compile below */ }
  const [{ loadProfile }, { compileSeccomp }] = await Promise.all([import('../../policy/load.js'), import('../../policy/api.js')]);
  const full = base ? undefined : loadProfile(profile.name);
  const seccomp = base ?? full?.seccomp;
  if (!seccomp) fail('TSS_EPOLICY', 'supervise profile', profile.name, 'it has no seccomp filter to route to the supervisor');
  const sup = superviseePolicy(seccomp, full?.supervisor ?? profile.supervisor);
  const { table } = sup;
  const policy = mode === 'ptrace' ? traced(sup.policy) : sup.policy;
  const c = compileSeccomp(policy, undefined, { cacheDir: join(cacheDir, 'seccomp') });
  const out: SupervisedFilter = { bytes: c.bytes, digest: c.digest, instructions: c.instructions, policy, table, profile: profile.name, notify: notifiedSyscalls(table), mode };
  try {
    mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
    const tmp = join(cacheDir, `.notify-${key}.${process.pid}.tmp`);
    writeFileSync(tmp, JSON.stringify({ ...out, bytes: out.bytes.toString('hex') }), { mode: 0o600 });
    renameSync(tmp, file);
  } catch { /* a read-only data root only costs the next run its compile */ }
  return out;
}

/** The session file in the container's runtime state dir: what a (detached) supervisor loop needs. */
export const SESSION_FILE = 'notify.json';

export function writeSession(stateDir: string, f: SupervisedFilter): void {
  writeFileSync(join(stateDir, SESSION_FILE), JSON.stringify({ ...f, bytes: undefined }), { mode: 0o600 });
}

export function readSession(stateDir: string): Omit<SupervisedFilter, 'bytes'> | null {
  try { return JSON.parse(readFileSync(join(stateDir, SESSION_FILE), 'utf8')) as Omit<SupervisedFilter, 'bytes'>; } catch { return null; }
}
