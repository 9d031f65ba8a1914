// sandbox/notify/mode.ts — `--supervisor auto|notify|ptrace`: which mechanism stops the audited syscalls (parent, runtime process)
//
// notify (SECCOMP_RET_USER_NOTIF + a listener) is the supervisor of choice: no stop of the whole
// task, no tracer. But a filter chain may have only one listener, so under an outer sandbox that
// holds one (a notify-based sandbox running tssandbox) NEW_LISTENER fails with EBUSY. Then ptrace
// (SECCOMP_RET_TRACE + native/tracer) records the same events. `auto`, the default, picks notify
// unless the listener cannot be had; an explicit value is obeyed (notify then fails, naming EBUSY).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../../common/errors.js';
import { PACKAGE_ROOT } from '../paths.js';
import type { SupervisorMode } from './plan.js';

/** the static tracer (native/tracer/tracer.c) */
export const TRACER_PATH = join(PACKAGE_ROOT, 'build', 'tracer');

export type SupervisorChoice = 'auto' | SupervisorMode;
const CHOICES: readonly SupervisorChoice[] = ['auto', 'notify', 'ptrace'];

/** parseSupervisorFlag: the flag's value, or a one-line usage error naming it */
export function parseSupervisorFlag(v: string | undefined): SupervisorChoice {
  if (v === undefined) return 'auto';
  if ((CHOICES as readonly string[]).includes(v)) return v as SupervisorChoice;
  return fail('TSS_EUSAGE', 'run', `--supervisor ${v}`, 'expected auto, notify or ptrace');
}

/**
 * chooseSupervisor resolves `auto`. This process's filter chain is the container's outer part (the
 * launcher inherits it), so what a probe child of ours can install, the container can: no filter on
 * us means no listener anyone could hold (notify, at no cost); otherwise the tracer's probe installs
 * an allow-all filter with NEW_LISTENER in a throwaway child — EBUSY (exit 3) means ptrace.
 */
export function chooseSupervisor(choice: SupervisorChoice, status = '/proc/self/status'): SupervisorMode {
  if (choice !== 'auto') return choice;
  let filtered = true;
  try { filtered = !/^Seccomp:\s*0\s*$/m.test(readFileSync(status, 'utf8')); } catch { /* unknown: ask the probe */ }
  if (!filtered) return 'notify';
  const r = spawnSync(TRACER_PATH, ['--probe-listener'], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  // anything but a clear EBUSY leaves notify, whose own failure (if any) names the step and errno
  return r.status === 3 ? 'ptrace' : 'notify';
}
