// sandbox/notify/loop.ts — the seccomp-notify loop: receive, read (bounded), check the id, record, answer (supervisor process)
//
// The rule this loop lives by (DESIGN §5): it never decides on memory it read. An `observe` entry
// was allowed by the profile; the loop records what was requested and answers CONTINUE. A `deny`
// entry is answered with the profile's errno after its line is written. The memory read is only
// trusted for as long as NOTIF_ID_VALID says the target is still stopped in that very syscall.
//
// The event loop never waits on the listener: a thread of our addon (native/addon/notifier.cc)
// receives every notification and hands it over in order. The calls that need no decision — an
// `observe` entry whose line needs only registers, from a task whose /proc facts are already held —
// it answers CONTINUE itself, and this loop records them after the fact (observe is audit only,
// never a security decision); everything else waits, unanswered, until this loop has recorded it
// and answers. That keeps the JS out of the hot round trip (bench/notify.ts) without moving a
// decision into C.
import { syscallName, syscallNumber } from '../../abi/index.js';
import type { SeccompPolicy } from '../../policy/seccomp/types.js';
import type { AuditWriter } from '../../audit/writer.js';
import type { MemReader } from './decode.js';
import type { EmulateCall } from './emulate.js';
import { ARCH_BY_AUDIT, READS_MEMORY, SyscallRecorder } from './record.js';
import type { NotifyTable } from './rules.js';
import { errno as lastErrno, ioctl, ioctlValue, readMemory, startNotifier, NOTIFIER_ANSWERED, NOTIFIER_GONE, NOTIFIER_RECORD, type Notifier } from './sys.js';

const NOTIF_SEND = 0xc0182101;
const NOTIF_ID_VALID = 0x40082102;
const NOTIF_SET_FLAGS = 0x40082104;
const USER_NOTIF_FD_SYNC_WAKE_UP = 1;
const FLAG_CONTINUE = 1;
const EPERM = 1;

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

export interface LoopStats {
  received: number; answered: number; gone: number; denied: number;
  /** of `answered`: continued by the notifier thread itself (observe-only calls of a known task) */
  fast: number;
}


/** NotifyLoop owns the listener fd until stop(); run() resolves when every target is gone. */
export class NotifyLoop {
  readonly stats: LoopStats = { received: 0, answered: 0, gone: 0, denied: 0, fast: 0 };
  readonly syncWakeUp: boolean;
  private stopped = false;
  private finish: ((err?: unknown) => void) | undefined;
  private readonly resp = Buffer.alloc(24);
  private readonly idBuf = Buffer.alloc(8);
  private notifier: Notifier | undefined;
  /** the rule lookup and the line of one call, the same code the ptrace loop uses */
  private readonly rec: SyscallRecorder;

  constructor(private readonly o: LoopOptions) {
    // the target and the supervisor wake on the same CPU (6.6+): a round trip costs less; older kernels
    // say EINVAL. The flags are the ioctl's argument itself, not a pointer to them.
    this.syncWakeUp = ioctlValue(o.fd, NOTIF_SET_FLAGS, USER_NOTIF_FD_SYNC_WAKE_UP) === 0;
    // a task's facts dropped here must be dropped by the notifier too: its next call comes to JS again
    this.rec = new SyscallRecorder(o.table, o.policy, 'notify', (pid) => {
      if (pid === undefined) this.notifier?.forgetAll(); else this.notifier?.forgetPid(pid);
    });
  }

  stop(): void { this.stopped = true; this.finish?.(); }

  /** run serves the listener until every target is gone (HUP) or stop(); it rejects if handling threw. */
  run(): Promise<LoopStats> {
    if (this.stopped) return Promise.resolve(this.stats);
    return new Promise((resolve, reject) => {
      // idle, the loop still beats: the watchdog's heartbeat proves the event loop turns
      const idle = setInterval(() => this.o.beat?.(), 250);
      const finish = (err?: unknown) => {
        clearInterval(idle);
        const rest = this.notifier?.stop();
        this.notifier = undefined;
        // what the thread had queued: its continued calls still get their lines (the rest an answer)
        if (rest && !err) {
          try { this.handleAll(rest); } catch (e) { err = e; }
        }
        this.finish = undefined;
        if (err) reject(err as Error); else resolve(this.stats);
      };
      this.finish = finish;
      this.notifier = startNotifier(this.o.fd, fastKeys(this.o.table), (records, ended) => {
        this.o.beat?.();
        // a batch is handled whole, even after stop(): calls the thread continued are recorded
        try { this.handleAll(records); } catch (e) { return finish(e); }
        if (ended || this.stopped) finish(); // ended: the filter has no task left, the container is gone
      });
    });
  }

  private handleAll(records: Buffer): void {
    for (let at = 0; at + NOTIFIER_RECORD <= records.length; at += NOTIFIER_RECORD) this.handle(records, at);
  }

  /** handle one received notification (at `at` of a notifier batch): decide from the table, record, answer. */
  private handle(b: Buffer, at: number): void {
    this.stats.received++;
    const id = b.readBigUInt64LE(at);
    const pid = b.readUInt32LE(at + 8);
    const nr = b.readInt32LE(at + 16);
    const audit = b.readUInt32LE(at + 20);
    const flags = b.readUInt32LE(at + 80);
    const args: bigint[] = [];
    for (let i = 0; i < 6; i++) args.push(b.readBigUInt64LE(at + 32 + 8 * i));
    const arch = ARCH_BY_AUDIT.get(audit);
    const name = arch ? syscallName(arch, nr) ?? `nr${nr}` : `nr${nr}`;
    const entry = this.rec.entryFor(name, nr, audit, args);
    if (flags & NOTIFIER_ANSWERED) {
      // continued already by the notifier thread (fastKeys): only recorded here, from registers
      const line = this.rec.describe(entry, name, nr, arch ?? String(audit), pid, args, answeredRead);
      if (flags & NOTIFIER_GONE) this.stats.gone++; else { this.stats.answered++; this.stats.fast++; }
      try { this.o.writer.append(line); } catch (e) { this.o.onFatal?.(e as Error); }
      return;
    }
    if (entry?.kind === 'emulate' && this.o.emulate && arch) {
      // never answered CONTINUE: read once, opened by the helper, recorded, the fd injected (emulate.ts)
      this.o.emulate.handle({ id, pid, nr, name, arch, args, entry });
      return;
    }
    let readMem = false;
    const read: MemReader = (addr, len) => { readMem = true; return readMemory(pid, addr, len); };
    const line = this.rec.describe(entry, name, nr, arch ?? String(audit), pid, args, read);
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
    // before the answer, which lets the task make its next call: its /proc facts were read while it
    // waited, so its observe-only calls may be continued by the thread from now on (an exec changes
    // them: it comes back here)
    if (name === 'execve' || name === 'execveat') this.rec.forget(pid);
    else if (this.rec.knows(pid)) this.notifier?.knowPid(pid);
    this.answer(id, deny);
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

/** a call the notifier continued never has its memory read: it may already be elsewhere (READS_MEMORY) */
const answeredRead: MemReader = () => { throw new Error('internal: a call continued by the notifier had its memory read'); };

/**
 * fastKeys: the [AUDIT_ARCH, nr] pairs the notifier thread may continue itself — syscalls every
 * notify entry of which is `observe` (whichever predicate matched, the answer is CONTINUE) and
 * whose line is made from registers alone.
 */
export function fastKeys(table: NotifyTable): number[] {
  const out: number[] = [];
  for (const [name, idx] of Object.entries(table.bySyscall)) {
    if (!idx.length || READS_MEMORY.has(name) || !idx.every((i) => table.entries[i]?.kind === 'observe')) continue;
    for (const [audit, arch] of ARCH_BY_AUDIT) {
      const nr = syscallNumber(arch, name);
      if (nr !== undefined) out.push(audit, nr);
    }
  }
  return out;
}
