// sandbox/audit-flags.ts — `run --audit-log PATH` and `--audit-key FILE`: checked before anything is created (parent, reads the key file)
//
// The key's bytes stay in memory: the CLI reads them here, a foreground run hands them to its own
// audit session, and a detached run hands the supervisor the *open file* (an inherited fd, read at
// offset 0 and closed before the supervisor starts anything; see supervisor-main.ts). Why an fd and
// not the path for the supervisor to read: the supervisor reads exactly the file checked here (no
// second lookup that a replaced file or changed mode could slip past), a bad key is a one-line
// error of `run` before anything exists rather than a failed supervisor, and neither the key nor
// its path lands in the container's state, spec, handoff or any process's argv.
import { closeSync, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AuditError } from '../audit/errors.js';
import { openKeyFile } from '../audit/key.js';
import { SandboxError, fail } from '../common/errors.js';

export interface AuditFlags {
  /** --audit-log, absolute: the log outside the container's record (it outlives rm and --rm) */
  readonly logPath?: string;
  /** --audit-key: the open key file (close-on-exec) and the key read from it */
  readonly key?: { fd: number; readonly key: Buffer };
}

/**
 * checkAuditFlags refuses audit flags on a run that writes no audit log (an unsupervised profile,
 * a --security-opt seccomp override, TSSANDBOX_SUPERVISOR=off), a log path that exists or has no
 * directory, and a key file that is missing, short, not a regular file or open to others.
 * The caller owns key.fd (closeAuditKey).
 */
export function checkAuditFlags(o: { auditLog?: string; auditKey?: string }, audited: boolean, why: string): AuditFlags {
  const flag = o.auditKey !== undefined ? `--audit-key ${o.auditKey}` : o.auditLog !== undefined ? `--audit-log ${o.auditLog}` : undefined;
  if (!flag) return {};
  if (!audited) fail('TSS_EUSAGE', 'run', flag, `this run writes no audit log (${why})`);
  let logPath: string | undefined;
  if (o.auditLog !== undefined) {
    if (!o.auditLog) fail('TSS_EUSAGE', 'run', '--audit-log', 'the path is empty');
    logPath = resolve(o.auditLog);
    // one log per container: appending to another run's log would be refused by the writer anyway, after the container exists
    if (existsSync(logPath)) fail('TSS_EUSAGE', 'run', `--audit-log ${o.auditLog}`, 'the file exists (each container writes a log of its own)');
    let dir = false;
    try { dir = statSync(dirname(logPath)).isDirectory(); } catch { /* below */ }
    if (!dir) fail('TSS_EUSAGE', 'run', `--audit-log ${o.auditLog}`, `its directory ${dirname(logPath)} does not exist`);
  }
  let key: AuditFlags['key'];
  if (o.auditKey !== undefined) {
    try { key = openKeyFile(o.auditKey); } catch (err) {
      if (err instanceof AuditError) throw new SandboxError('TSS_EUSAGE', `run \`--audit-key ${o.auditKey}\`: ${err.reason}`, { cause: err });
      throw err;
    }
  }
  return { ...(logPath ? { logPath } : {}), ...(key ? { key } : {}) };
}

/** closeAuditKey closes the key file once it was handed on (or not needed); idempotent */
export function closeAuditKey(f: AuditFlags): void {
  const k = f.key;
  if (k && k.fd >= 0) { try { closeSync(k.fd); } catch { /* already closed */ } k.fd = -1; }
}
