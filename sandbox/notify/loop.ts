// sandbox/notify/loop.ts — the seccomp-notify loop: receive, read (bounded), check the id, record, answer (supervisor process)
//
// The rule this loop lives by (DESIGN §5): it never decides on memory it read. An `observe` entry
// was allowed by the profile; the loop records what was requested and answers CONTINUE. A `deny`
// entry is answered with the profile's errno after its line is written. The memory read is only
// trusted for as long as NOTIF_ID_VALID says the target is still stopped in that very syscall.
//
// The event loop never waits on the listener: the listener sits in the event loop's own epoll set (a
// libuv poll handle, sys.ts watchFd), RECV is issued only when it is readable, and a burst is
// drained synchronously in batches.
import { readFileSync } from 'node:fs';
import { AUDIT_ARCH, argTypes, errnoName, syscallName, type Arch } from '../../abi/index.js';
import { matchPredicate } from '../../policy/seccomp/semantics.js';
import type { SeccompPolicy } from '../../policy/seccomp/types.js';
import type { AuditWriter } from '../../audit/writer.js';
import type { SyscallInput } from '../../audit/events.js';
import { readArgv, readCString, readSockaddr, type MemReader } from './decode.js';
import type { EmulateCall } from './emulate.js';
import type { NotifyEntry, NotifyTable } from './rules.js';
import { errno as lastErrno, ioctl, ioctlValue, pollNow, readMemory, watchFd, POLLERR, POLLHUP } from './sys.js';

const NOTIF_RECV = 0xc0502100;
const NOTIF_SEND = 0xc0182101;
const NOTIF_ID_VALID = 0x40082102;
const NOTIF_SET_FLAGS = 0x40082104;
const USER_NOTIF_FD_SYNC_WAKE_UP = 1;
const FLAG_CONTINUE = 1;
const ENOENT = 2;
const EPERM = 1;
const BATCH = 64;

export interface LoopOptions {
  readonly fd: number;
  readonly table: NotifyTable;
  /** the rewritten policy: consulted only when several notify rules share a syscall */
  readonly policy: SeccompPolicy;
  readonly writer: AuditWriter;
  /** the log could not take a line: the container must not go on unrecorded (kill it) */
  readonly onFatal?: (err: Error) => void;
  /** progress: called after every wait and every answer (the watchdog's heartbeat) */
  readonly beat?: () => void;
  /** emulate entries go here (sandbox/notify/emulate.ts); without it they are refused (fail closed) */
  readonly emulate?: { handle(c: EmulateCall): void };
}

export interface LoopStats { received: number; answered: number; gone: number; denied: number }

interface ProcInfo { nsPid?: number; comm?: string; uid?: number; gid?: number }

const ARCH_BY_AUDIT = new Map<number, Arch>(Object.entries(AUDIT_ARCH).filter(([k]) => k !== 'arm').map(([k, v]) => [v >>> 0, k as Arch]));

/** NotifyLoop owns the listener fd until stop(); run() resolves when every target is gone. */
export class NotifyLoop {
  readonly stats: LoopStats = { received: 0, answered: 0, gone: 0, denied: 0 };
  readonly syncWakeUp: boolean;
  private stopped = false;
  private finish: ((err?: unknown) => void) | undefined;
  private readonly req = Buffer.alloc(80);
  private readonly resp = Buffer.alloc(24);
  private readonly idBuf = Buffer.alloc(8);
  private readonly procs = new Map<number, ProcInfo>();

  constructor(private readonly o: LoopOptions) {
    // the target and the supervisor wake on the same CPU (6.6+): a round trip costs less; older kernels
    // say EINVAL. The flags are the ioctl's argument itself, not a pointer to them.
    this.syncWakeUp = ioctlValue(o.fd, NOTIF_SET_FLAGS, USER_NOTIF_FD_SYNC_WAKE_UP) === 0;
  }

  stop(): void { this.stopped = true; this.finish?.(); }

  /** run serves the listener until every target is gone (HUP) or stop(); it rejects if handling threw. */
  run(): Promise<LoopStats> {
    if (this.stopped) return Promise.resolve(this.stats);
    return new Promise((resolve, reject) => {
      // idle, the loop still beats: the watchdog's heartbeat proves the event loop turns
      const idle = setInterval(() => this.o.beat?.(), 250);
      let w: { close(): void } | undefined;
      const finish = (err?: unknown) => {
        clearInterval(idle);
        w?.close();
        this.finish = undefined;
        if (err) reject(err as Error); else resolve(this.stats);
      };
      this.finish = finish;
      w = watchFd(this.o.fd, (rev) => {
        this.o.beat?.();
        if (this.stopped) return finish();
        try {
          if (rev & 1) {
            // drain a burst synchronously; what is left calls back on the next turn (level-triggered)
            for (let i = 0; i < BATCH; i++) { this.handleOne(); if (!(pollNow(this.o.fd) & 1)) break; }
          } else if (rev & (POLLHUP | POLLERR)) {
            finish(); // the filter has no task left: the container is gone
          }
        } catch (e) { finish(e); }
      });
    });
  }

  /** handleOne: RECV one notification (the listener is readable), decide from the table, record, answer. */
  handleOne(): void {
    const req = this.req.fill(0); // the kernel insists on a zeroed seccomp_notif
    if (ioctl(this.o.fd, NOTIF_RECV, req) < 0) { if (lastErrno() === ENOENT) this.stats.gone++; return; }
    this.stats.received++;
    const id = req.readBigUInt64LE(0);
    const pid = req.readUInt32LE(8);
    const nr = req.readInt32LE(16);
    const audit = req.readUInt32LE(20);
    const args: bigint[] = [];
    for (let i = 0; i < 6; i++) args.push(req.readBigUInt64LE(32 + 8 * i));
    const arch = ARCH_BY_AUDIT.get(audit);
    const name = arch ? syscallName(arch, nr) ?? `nr${nr}` : `nr${nr}`;
    const entry = this.entryFor(name, nr, audit, args);
    if (entry?.kind === 'emulate' && this.o.emulate && arch) {
      // never answered CONTINUE: read once, opened by the helper, recorded, the fd injected (emulate.ts)
      this.o.emulate.handle({ id, pid, nr, name, arch, args, entry });
      return;
    }
    let readMem = false;
    const read: MemReader = (addr, len) => { readMem = true; return readMemory(pid, addr, len); };
    const line = this.describe(entry, name, nr, arch ?? String(audit), pid, args, read);
    // what was read is only as good as the target still waiting in this very syscall (a call whose
    // line holds only registers needs no check: SEND fails by itself for a target that is gone)
    if (readMem && !this.idValid(id)) { this.stats.gone++; return; }
    let deny = entry?.kind !== 'observe' ? (entry?.errno ?? EPERM) : 0;
    try {
      this.o.writer.append(line);
    } catch (e) {
      // unrecorded is not allowed to proceed: refuse this call and end the container
      deny ||= EPERM;
      this.o.onFatal?.(e as Error);
    }
    if (deny) this.stats.denied++;
    this.answer(id, deny);
    if (name === 'execve' || name === 'execveat') this.procs.delete(pid);
  }

  private entryFor(name: string, nr: number, auditArch: number, args: bigint[]): NotifyEntry | undefined {
    const idx = this.o.table.bySyscall[name];
    if (!idx?.length) return undefined;
    if (idx.length === 1) return this.o.table.entries[idx[0]!];
    // several notify rules for one syscall: the first whose predicate matches the registers (never
    // memory) is the one the filter applied — an earlier non-notify match would not have notified
    const arch = ARCH_BY_AUDIT.get(auditArch);
    if (!arch) return undefined;
    for (const i of idx) {
      const e = this.o.table.entries[i]!;
      const r = this.o.policy.rules[e.rule];
      if (r && (!r.arches || r.arches.includes(arch)) && matchPredicate(r.when, name, arch, args)) return e;
    }
    return undefined;
  }

  private describe(entry: NotifyEntry | undefined, name: string, nr: number, arch: string, pid: number, args: bigint[], read: MemReader): SyscallInput {
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
        layer: 'notify',
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
    if (this.procs.size > 4096) this.procs.clear();
    this.procs.set(pid, p);
    return p;
  }

  private idValid(id: bigint): boolean {
    this.idBuf.writeBigUInt64LE(id);
    return ioctl(this.o.fd, NOTIF_ID_VALID, this.idBuf) === 0;
  }

  private answer(id: bigint, err: number): void {
    const r = this.resp.fill(0);
    r.writeBigUInt64LE(id, 0);
    r.writeBigInt64LE(0n, 8);
    r.writeInt32LE(err ? -err : 0, 16);
    r.writeUInt32LE(err ? 0 : FLAG_CONTINUE, 20);
    this.o.beat?.();
    if (ioctl(this.o.fd, NOTIF_SEND, r) < 0) this.stats.gone++;
    else this.stats.answered++;
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
