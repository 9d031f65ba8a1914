// sandbox/notify/index.ts — the run path's entry to the supervisor: the supervised filter, its session file, the audit session (parent and supervisor processes)
//
// run.ts loads this module only for a supervised profile (`supervisor: { mode: notify }`), so an
// unsupervised run pays nothing for it.
import type { ContainerRef } from '../../audit/events.js';
import { fail } from '../../common/errors.js';
import type { Profile } from '../../policy/types.js';
import type { SeccompPolicy } from '../../policy/seccomp/types.js';
import { chooseSupervisor, type SupervisorChoice } from './mode.js';
import { readSession, supervisedFilter, wantsSupervisor, writeSession, type SupervisedFilter } from './plan.js';
import { AuditSession } from './session.js';

export { AuditSession, type ExecHandle, type ExecInfo } from './session.js';
export { wantsSupervisor } from './plan.js';
export { parseSupervisorFlag, type SupervisorChoice } from './mode.js';

export interface Supervision {
  /** the filter bytes the launcher installs (with NEW_LISTENER) */
  readonly bytes: Buffer;
  readonly filter: SupervisedFilter;
  readonly container: ContainerRef;
  /** open the container's audit log (ROOT/containers/<id>/audit.ndjson, or --audit-log's path) and its notify loop */
  open(ctrDir: string, kill: () => void, key?: Uint8Array): AuditSession;
}

/** what `run` asked of the audit log beyond the defaults; the key itself never goes into a file */
export interface AuditChoice {
  /** --audit-log: the log's path (absolute), outside the container's record */
  readonly logPath?: string;
  /** --audit-key was given: the supervisor must write a keyed log (and refuse to start without its key) */
  readonly keyed?: boolean;
}

interface SessionFile extends Omit<SupervisedFilter, 'bytes'> { container?: ContainerRef; logPath?: string; keyed?: boolean }

/**
 * prepareSupervision: for a profile whose supervisor mode is notify, the rewritten filter and what
 * the (foreground or detached) supervisor needs; undefined when the profile is not supervised.
 * `TSSANDBOX_SUPERVISOR=off` runs the plain filter (debugging; nothing is audited then). `choice` is
 * `--supervisor` (mode.ts): the notify rules become SECCOMP_RET_TRACE rules under ptrace.
 */
export async function prepareSupervision(profile: Profile, plainDigest: string | undefined, root: string, container: ContainerRef, stateDir: string, choice: SupervisorChoice = 'auto', audit: AuditChoice = {},
  /** OCI: the policy to supervise instead of the profile's own, plainDigest its digest (sandbox/notify/plan.ts supervisedFilter) */
  base?: SeccompPolicy): Promise<Supervision | undefined> {
  const emulate = profile.supervisor.emulate?.[0];
  const off = process.env.TSSANDBOX_SUPERVISOR === 'off';
  // an emulate rule is a decision only the notify supervisor can carry out (ADDFD): without it the
  // opens would simply be allowed, so refuse to run rather than run unprotected
  if (emulate && (!plainDigest || !wantsSupervisor(profile) || off)) fail('TSS_EREFUSED', 'run', profile.source, `${emulate.source} emulates opens, which only the notify supervisor can do${off ? ' (TSSANDBOX_SUPERVISOR=off)' : ''}`);
  if (!plainDigest || !wantsSupervisor(profile) || off) return undefined;
  const { join } = await import('node:path');
  const mode = chooseSupervisor(choice);
  if (emulate && mode === 'ptrace') fail('TSS_EREFUSED', 'run --supervisor ptrace', profile.source, `${emulate.source} emulates opens, which needs a seccomp listener (ADDFD); ptrace cannot inject an fd`);
  const filter = await supervisedFilter(profile, plainDigest, join(root, 'cache', 'profiles'), mode, base);
  const ref: ContainerRef = { ...container, profile: profile.name, policyDigest: filter.digest };
  writeSession(stateDir, { ...filter, container: ref, ...audit } as SupervisedFilter);
  const logPath = audit.logPath;
  return {
    bytes: filter.bytes, filter, container: ref,
    open: (ctrDir, kill, key) => new AuditSession({ ctrDir, container: ref, filter, kill, ...(logPath ? { logPath } : {}), ...(key ? { key } : {}) }),
  };
}

/** supervised: will prepareSupervision supervise this run? (`run` asks before it creates anything, to refuse audit flags that would do nothing) */
export function supervised(profile: Profile, plainDigest: string | undefined): boolean {
  return !!plainDigest && wantsSupervisor(profile) && process.env.TSSANDBOX_SUPERVISOR !== 'off';
}

/** sessionWantsKey: the session file says the log is keyed (the detached supervisor must have been handed the key) */
export function sessionWantsKey(stateDir: string): boolean {
  return (readSession(stateDir) as SessionFile | null)?.keyed === true;
}

/** openSessionFromState: the detached supervisor's side — the session file prepare wrote, or null when unsupervised */
export function openSessionFromState(stateDir: string, ctrDir: string, kill: () => void, key?: Uint8Array): AuditSession | null {
  const s = readSession(stateDir) as SessionFile | null;
  if (!s?.container) return null;
  return new AuditSession({ ctrDir, container: s.container, filter: s, kill, ...(s.logPath ? { logPath: s.logPath } : {}), ...(key ? { key } : {}) });
}
