// sandbox/notify/record.ts — what a supervisor records of one intercepted syscall and which rule decided it, shared by the notify loop and the ptrace loop (supervisor process)
//
// Both supervisors (seccomp user notification and SECCOMP_RET_TRACE under ptrace) see the same
// thing — a stopped thread, its syscall number, arch and six registers — and must write the same
// audit line for it: the same decoders (decode.ts), the same rule file:line, the same schema. Only
// `decision.layer` says which mechanism stopped the call. Nothing here decides from memory it read.
import { readFileSync } from 'node:fs';
import { AUDIT_ARCH, argTypes, errnoName, type Arch } from '../../abi/index.js';
import { matchPredicate } from '../../policy/seccomp/semantics.js';
import type { SeccompPolicy } from '../../policy/seccomp/types.js';
import type { SyscallInput } from '../../audit/events.js';
import { readArgv, readCString, readSockaddr, type MemReader } from './decode.js';
import type { NotifyEntry, NotifyTable } from './rules.js';

const EPERM = 1;

interface ProcInfo { nsPid?: number; comm?: string; uid?: number; gid?: number }

/** AUDIT_ARCH_* value → our arch name (the foreign arches the filter kills are absent) */
export const ARCH_BY_AUDIT = new Map<number, Arch>(Object.entries(AUDIT_ARCH).filter(([k]) => k !== 'arm').map(([k, v]) => [v >>> 0, k as Arch]));

/**
 * the calls whose line `describe` reads target memory for (a path, argv, a sockaddr): they must be
 * recorded while the target waits, so a supervisor never answers them before JS has seen them
 */
export const READS_MEMORY: ReadonlySet<string> = new Set(['execve', 'execveat', 'connect', 'bind', 'open', 'creat', 'openat', 'openat2']);

/** errnoOf: the errno a deny entry answers with (EPERM when the entry is missing: fail closed) */
export function errnoOf(entry: NotifyEntry | undefined): number {
  return entry?.kind !== 'observe' ? (entry?.errno ?? EPERM) : 0;
}

/** SyscallRecorder: the table lookup and the line of one call; keeps a small per-task cache of /proc facts. */
export class SyscallRecorder {
  private readonly procs = new Map<number, ProcInfo>();

  /** onForget: told when a task's facts are dropped (one pid, or all of them: undefined) */
  constructor(private readonly table: NotifyTable, private readonly policy: SeccompPolicy, private readonly layer: 'notify' | 'ptrace', private readonly onForget?: (pid?: number) => void) {}

  /** forget: the task exec'd (its comm changes) or is gone */
  forget(pid: number): void { this.procs.delete(pid); this.onForget?.(pid); }

  /** knows: this task's /proc facts are held (read while it waited in a call) */
  knows(pid: number): boolean { return this.procs.has(pid); }

  /** entryFor: the notify entry the filter applied to this call (decided from the registers, never memory) */
  entryFor(name: string, nr: number, auditArch: number, args: bigint[]): NotifyEntry | undefined {
    const idx = this.table.bySyscall[name];
    if (!idx?.length) return undefined;
    if (idx.length === 1) return this.table.entries[idx[0]!];
    // several notify rules for one syscall: the first whose predicate matches the registers (never
    // memory) is the one the filter applied — an earlier non-notify match would not have notified
    const arch = ARCH_BY_AUDIT.get(auditArch);
    if (!arch) return undefined;
    for (const i of idx) {
      const e = this.table.entries[i]!;
      const r = this.policy.rules[e.rule];
      if (r && (!r.arches || r.arches.includes(arch)) && matchPredicate(r.when, name, arch, args)) return e;
    }
    return undefined;
  }

  /** describe: the audit line of one call (what was requested, read through `read`, bounded) */
  describe(entry: NotifyEntry | undefined, name: string, nr: number, arch: string, pid: number, args: bigint[], read: MemReader): SyscallInput {
    const p = this.proc(pid);
    const proc: SyscallInput['proc'] = { pid, ...p };
    const resource: { path?: string; sockaddr?: string } = {};
    let shown: (number | string)[] | undefined;
    switch (name) {
      case 'execve': case 'execveat': {
        const base = name === 'execveat' ? 1 : 0;
        const path = readCString(read, args[base]!);
        const argv = readArgv(read, args[base + 1]!);
        if (path !== null) resource.path = path;
        if (argv) proc.argv = argv;
        break;
      }
      case 'connect': case 'bind': {
        const sa = readSockaddr(read, args[1]!, args[2]!);
        if (sa) resource.sockaddr = sa;
        break;
      }
      case 'open': case 'creat': case 'openat': case 'openat2': {
        const at = name === 'open' || name === 'creat' ? 0 : 1;
        const path = readCString(read, args[at]!);
        if (path !== null) resource.path = path;
        if (name === 'open') shown = [flagsText(args[1]!)];
        else if (name === 'openat') shown = [flagsText(args[2]!)];
        else if (name === 'openat2') { const how = read(args[2]!, 8); if (how.length === 8) shown = [flagsText(how.readBigUInt64LE(0))]; }
        break;
      }
      default: shown = numericArgs(name, args);
    }
    const denied = entry?.kind !== 'observe';
    const errno = denied ? (entry?.errno ?? EPERM) : undefined;
    return {
      event: 'syscall',
      proc,
      syscall: { nr, name, arch, ...(shown ? { args: shown } : {}), ...(errno !== undefined ? { errno: errnoName(errno) } : {}) },
      decision: {
        action: denied ? 'deny' : 'observe',
        rule: entry?.source ?? (entry ? entry.family : 'no notify rule (fail closed)'),
        source: entry?.family ?? 'supervisor',
        layer: this.layer,
      },
      ...(Object.keys(resource).length ? { resource } : {}),
    };
  }

  private proc(pid: number): ProcInfo {
    let p = this.procs.get(pid);
    if (p) return p;
    p = {};
    try {
      const st = readFileSync(`/proc/${pid}/status`, 'utf8');
      const field = (k: string) => st.match(new RegExp(`^${k}:\\s*(.*)$`, 'm'))?.[1];
      const ns = field('NSpid')?.trim().split(/\s+/);
      if (ns?.length) p.nsPid = Number(ns[ns.length - 1]);
      const comm = field('Name');
      if (comm) p.comm = comm;
      const uid = field('Uid')?.split(/\s+/)[0];
      const gid = field('Gid')?.split(/\s+/)[0];
      if (uid) p.uid = Number(uid);
      if (gid) p.gid = Number(gid);
    } catch { /* the process is gone: the id check below says so */ }
    if (this.procs.size > 4096) { this.procs.clear(); this.onForget?.(); }
    this.procs.set(pid, p);
    return p;
  }
}

const OPEN_FLAGS: [number, string][] = [[0x40, 'O_CREAT'], [0x80, 'O_EXCL'], [0x200, 'O_TRUNC'], [0x400, 'O_APPEND'], [0x800, 'O_NONBLOCK'], [0x10000, 'O_DIRECTORY'], [0x20000, 'O_NOFOLLOW'], [0x80000, 'O_CLOEXEC'], [0x200000, 'O_PATH']];

/** flagsText: open flags by name (stable across calls, so rate limiting sees one shape) */
export function flagsText(v: bigint): string {
  const n = Number(v & 0xffffffffn);
  const out = [['O_RDONLY', 'O_WRONLY', 'O_RDWR', 'O_ACCMODE'][n & 3]!];
  let rest = n & ~3;
  for (const [bit, nm] of OPEN_FLAGS) if (rest & bit) { out.push(nm); rest &= ~bit; }
  if (rest) out.push(`0x${rest.toString(16)}`);
  return out.join('|');
}

/** numericArgs: the integer arguments (never pointers: they differ per call and defeat rate limiting) */
function numericArgs(name: string, args: bigint[]): (number | string)[] | undefined {
  const types = argTypes(name);
  if (!types) return undefined;
  return types.map((t, i) => (t[1] === 'pointer' ? '*' : safeNumber(args[i]!, t[1])));
}

function safeNumber(v: bigint, cls: string): number | string {
  const w = cls === 'int' || cls === 'unsigned int' ? BigInt.asIntN(32, v) : v;
  return w <= BigInt(Number.MAX_SAFE_INTEGER) && w >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(w) : `0x${v.toString(16)}`;
}
