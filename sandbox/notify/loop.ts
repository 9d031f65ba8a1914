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
import { syscallName } from '../../abi/index.js';
import type { SeccompPolicy } from '../../policy/seccomp/types.js';
import type { AuditWriter } from '../../audit/writer.js';
import type { MemReader } from './decode.js';
import type { EmulateCall } from './emulate.js';
import { ARCH_BY_AUDIT, SyscallRecorder } from './record.js';
import type { NotifyTable } from './rules.js';
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


/** NotifyLoop owns the listener fd until stop(); run() resolves when every target is gone. */
export class NotifyLoop {
  readonly stats: LoopStats = { received: 0, answered: 0, gone: 0, denied: 0 };
  readonly syncWakeUp: boolean;
  private stopped = false;
  private finish: ((err?: unknown) => void) | undefined;
  private readonly req = Buffer.alloc(80);
  private readonly resp = Buffer.alloc(24);
  private readonly idBuf = Buffer.alloc(8);
  /** the rule lookup and the line of one call, the same code the ptrace loop uses */
  private readonly rec: SyscallRecorder;

  constructor(private readonly o: LoopOptions) {
    // the target and the supervisor wake on the same CPU (6.6+): a round trip costs less; older kernels
    // say EINVAL. The flags are the ioctl's argument itself, not a pointer to them.
    this.syncWakeUp = ioctlValue(o.fd, NOTIF_SET_FLAGS, USER_NOTIF_FD_SYNC_WAKE_UP) === 0;
    this.rec = new SyscallRecorder(o.table, o.policy, 'notify');
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
    const entry = this.rec.entryFor(name, nr, audit, args);
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
    this.answer(id, deny);
    if (name === 'execve' || name === 'execveat') this.rec.forget(pid);
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
