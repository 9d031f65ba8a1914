// sandbox/exec-audit.ts — take an exec'd process's seccomp listener over from the exec CLI and answer it in the container's audit session (runtime process or detached supervisor)
//
// `tssandbox exec` into a supervised container installs the container's supervised filter, whose
// listener the launcher hands to the exec CLI (as run's is handed to run's). The CLI cannot pass an
// fd to the supervisor over the control socket (Node's net sockets carry no SCM_RIGHTS), so it
// registers the fd's number and its own pid, and the supervisor takes a copy with pidfd_getfd(2)
// (root over a root process: the ptrace-attach check passes). Order, each step for a reason:
//  1. the exec'd process is already blocked: its first notified call (its own execve) waits for an
//     answer, so nothing of the command runs before a listener is answered here;
//  2. the copy is checked to be a seccomp listener before anything is written for it;
//  3. exec.started is written before the loop reads a notification, so the session's lines follow it;
//  4. only after the reply does the CLI close its copy: if this fails, the CLI kills the exec'd
//     process and closes the only copy, and the process gets ENOSYS from every notified call.
import { readFileSync, readlinkSync } from 'node:fs';
import { fail } from '../common/errors.js';
import type { ExecChannel } from './control.js';
import type { LaunchEvents } from './launcher.js';
import type { AuditSession } from './notify/session.js';
import { closeFd, errno, rawSyscall } from './notify/sys.js';
import type { ExecHandler, ExecRegistration } from './supervise.js';

// the same on every architecture: both postdate the unified syscall numbering (≥ 424)
const SYS_PIDFD_OPEN = 434;
const SYS_PIDFD_GETFD = 438;

/** takeFd copies fd `fd` of process `pid` into this process (close-on-exec), checked to be a seccomp listener. */
export function takeListener(pid: number, fd: number): number {
  const pidfd = rawSyscall(SYS_PIDFD_OPEN, pid, 0);
  if (pidfd < 0) fail('TSS_ENATIVE', 'pidfd_open', String(pid), `errno ${errno()}`);
  let copy: number;
  try {
    copy = rawSyscall(SYS_PIDFD_GETFD, pidfd, fd, 0);
    if (copy < 0) fail('TSS_ENATIVE', 'pidfd_getfd', `${pid}/${fd}`, `errno ${errno()}`);
  } finally {
    closeFd(pidfd);
  }
  let what = '';
  try { what = readlinkSync(`/proc/self/fd/${copy}`); } catch { /* checked below */ }
  if (what !== 'anon_inode:seccomp notify') {
    closeFd(copy);
    fail('TSS_ECONTAINER', 'take exec listener', `${pid}/${fd}`, `not a seccomp listener (${what || 'unreadable'})`);
  }
  return copy;
}

/** execAuditHandler: the Supervisor's execHandler for a container whose audit session this process owns */
export function execAuditHandler(session: AuditSession): ExecHandler {
  return (reg) => {
    const info = {
      argv: reg.argv, ...(reg.payloadPid ?? reg.traced ? { pid: reg.payloadPid ?? reg.traced } : {}),
      ...(reg.user !== undefined ? { user: reg.user } : {}), ...(reg.tty ? { tty: true } : {}),
    };
    // --supervisor ptrace: seize the exec'd process (it waits before its traced filter) — only a
    // process of this container's registered CLI: the launcher is that CLI's child and the process its
    // child, so a registration cannot point the tracer at anything else
    if (reg.traced !== undefined) {
      if (!isGrandchild(reg.traced, reg.pid)) throw new Error(`pid ${reg.traced} is not a process the exec's CLI started`);
      return session.execTraced(reg.traced, info);
    }
    return session.exec(takeListener(reg.pid, reg.fd), info);
  };
}

/**
 * isGrandchild: pid's parent's parent is `of` (read from /proc: both are alive — the CLI waits for our
 * answer, the process for its gate). Its launcher reaps it only once it was released or died, so the
 * pid could be reused before the seize only if it died in that window; a tracer on another process
 * then only waits for traced calls that process's filter never makes (it decides nothing itself).
 */
function isGrandchild(pid: number, of: number): boolean {
  const ppid = (p: number) => { try { return Number(/^PPid:\s*(\d+)$/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? -1); } catch { return -1; } };
  const parent = ppid(pid);
  return parent > 0 && ppid(parent) === of;
}

/** ExecAudit: the exec side of the hand-over above — the launch events that register an exec's listener, and its end */
export interface ExecAudit {
  readonly events: Pick<LaunchEvents, 'onPid' | 'onListener' | 'onTrace'>;
  /** why the supervisor did not take the listener (the process was killed unstarted), once it said so */
  refused(): string | undefined;
  /** after the launch ended: the exit report to the supervisor, and our copy of the listener closed */
  finish(code: number | null, signal?: number): Promise<void>;
}

/**
 * execAudit: for a launch whose filter is the container's supervised one (`tssandbox exec`, OCI
 * `exec --process`). `register` reaches the container's supervisor; `kill` ends the launch (its
 * handle's signal 9). Steps 1 and 4 of the header are here.
 */
export function execAudit(register: (reg: ExecRegistration) => Promise<ExecChannel>, what: Omit<ExecRegistration, 'pid' | 'fd' | 'payloadPid'>, kill: () => void): ExecAudit {
  let payloadPid: number | undefined;
  let channel: Promise<ExecChannel> | undefined;
  let refused: string | undefined;
  let held = -1;
  const release = () => { if (held >= 0) { closeFd(held); held = -1; } };
  return {
    events: {
      onPid: (pid) => { payloadPid = pid; },
      // the exec'd process now waits on its first notified call (its execve) until the supervisor answers
      onListener: (fd) => {
        held = fd;
        channel = register({ ...what, pid: process.pid, fd, ...(payloadPid ? { payloadPid } : {}) });
        // the supervisor holds its own copy now: ours goes, so its death leaves no listener open
        channel.then(release, (e: Error) => {
          // fail closed: kill the process while it still waits on its execve; our copy is closed only
          // once it is gone (closing first would answer that execve ENOSYS, not refuse the exec). Killed
          // by pid, not through the launcher, which reads its control fd only after that execve: the
          // pid cannot be reused meanwhile, as the launcher (its parent) has not reaped it
          refused = e.message;
          try {
            if (payloadPid) process.kill(payloadPid, 'SIGKILL');
            else release(); // no pid to kill: ENOSYS for its calls is the next best refusal
          } catch { /* already gone */ }
          kill();
        });
      },
    },
    refused: () => refused,
    finish: async (code, signal) => {
      const ch = await channel?.catch(() => undefined);
      release();
      if (ch) await ch.exited(signal ? null : code, signal);
    },
  };
}

/**
 * execTrace: execAudit's counterpart under --supervisor ptrace. The launcher holds the exec'd
 * process before its traced filter (native/launcher/exec.c 7a) and reports its pid; we ask the
 * container's supervisor to seize it, and only its answer (attached) lets the launcher go on. A
 * refusal makes the launch kill the process unstarted (launcher.ts onTrace's rejection).
 */
export function execTrace(register: (reg: ExecRegistration) => Promise<ExecChannel>, what: Omit<ExecRegistration, 'pid' | 'fd' | 'payloadPid' | 'traced'>): ExecAudit {
  let channel: Promise<ExecChannel> | undefined;
  let refused: string | undefined;
  return {
    events: {
      onTrace: async (pid) => {
        channel = register({ ...what, pid: process.pid, fd: -1, traced: pid, payloadPid: pid });
        try { await channel; } catch (e) { refused = (e as Error).message; throw e; }
      },
    },
    refused: () => refused,
    finish: async (code, signal) => {
      const ch = await channel?.catch(() => undefined);
      if (ch) await ch.exited(signal ? null : code, signal);
    },
  };
}