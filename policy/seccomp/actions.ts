// policy/seccomp/actions.ts — actions to SECCOMP_RET_* values and back, and their names (everywhere, pure)
import { SECCOMP_RET, errnoName, errnoNumber } from '../../abi/index.js';
import type { Action } from './types.js';

export const ALLOW: Action = { kind: 'allow' };
export const KILL_PROCESS: Action = { kind: 'kill_process' };
export const ENOSYS: Action = { kind: 'errno', errno: 38 };
export const EPERM: Action = { kind: 'errno', errno: 1 };

/** actionValue is the 32-bit value a `ret` instruction returns for an action. */
export function actionValue(a: Action): number {
  switch (a.kind) {
    case 'allow': return SECCOMP_RET.ALLOW;
    case 'errno': return (SECCOMP_RET.ERRNO | (a.errno & 0xffff)) >>> 0;
    case 'kill_process': return SECCOMP_RET.KILL_PROCESS;
    case 'kill_thread': return SECCOMP_RET.KILL_THREAD;
    case 'trap': return (SECCOMP_RET.TRAP | ((a.data ?? 0) & 0xffff)) >>> 0;
    case 'log': return SECCOMP_RET.LOG;
    case 'trace': return (SECCOMP_RET.TRACE | ((a.data ?? 0) & 0xffff)) >>> 0;
    case 'notify': return SECCOMP_RET.USER_NOTIF;
  }
}

/** actionFromValue decodes a filter's return value (the inverse of actionValue). */
export function actionFromValue(v: number): Action {
  const action = (v & SECCOMP_RET.ACTION_FULL) >>> 0;
  const data = v & SECCOMP_RET.DATA;
  switch (action) {
    case SECCOMP_RET.ALLOW: return ALLOW;
    case SECCOMP_RET.ERRNO: return { kind: 'errno', errno: data };
    case SECCOMP_RET.KILL_PROCESS: return KILL_PROCESS;
    case SECCOMP_RET.KILL_THREAD: return { kind: 'kill_thread' };
    case SECCOMP_RET.TRAP: return { kind: 'trap', data };
    case SECCOMP_RET.LOG: return { kind: 'log' };
    case SECCOMP_RET.TRACE: return { kind: 'trace', data };
    case SECCOMP_RET.USER_NOTIF: return { kind: 'notify' };
    default: return KILL_PROCESS; // the kernel treats unknown actions as KILL_PROCESS
  }
}

export function actionKey(a: Action): string {
  return String(actionValue(a));
}

export function sameAction(a: Action, b: Action): boolean {
  return actionValue(a) === actionValue(b);
}

/** formatAction renders `errno(EPERM)`, `allow`, `trace(3)` — the profile syntax. */
export function formatAction(a: Action): string {
  switch (a.kind) {
    case 'errno': return `errno(${errnoName(a.errno)})`;
    case 'trap': case 'trace': return a.data ? `${a.kind}(${a.data})` : a.kind;
    default: return a.kind;
  }
}

/** parseAction reads the profile syntax; undefined when it is not an action. */
export function parseAction(s: string): Action | undefined {
  const m = s.trim().match(/^([a-z_]+)(?:\s*\(\s*([A-Za-z0-9_]+)\s*\)|\s+([A-Za-z0-9_]+))?$/);
  if (!m) return undefined;
  const arg = m[2] ?? m[3];
  switch (m[1]) {
    case 'allow': case 'kill_process': case 'kill_thread': case 'log': case 'notify':
      return arg === undefined ? { kind: m[1] } as Action : undefined;
    case 'kill': return arg === undefined ? KILL_PROCESS : undefined;
    case 'errno': {
      const n = arg === undefined ? undefined : errnoNumber(arg);
      return n === undefined ? undefined : { kind: 'errno', errno: n };
    }
    case 'trap': case 'trace': {
      if (arg === undefined) return { kind: m[1] };
      const n = Number(arg);
      return Number.isInteger(n) && n >= 0 && n <= 0xffff ? { kind: m[1], data: n } : undefined;
    }
    default: return undefined;
  }
}
