// sandbox/notify/trace-loop.ts — the ptrace supervisor: native/tracer stops each SECCOMP_RET_TRACE syscall, this side records and answers (supervisor process)
//
// The same decisions and lines as the notify loop (record.ts), through another mechanism: the
// tracer (native/tracer/tracer.c, a child of this process) sends {tid, nr, arch, args} for each
// stopped syscall on its stdout and waits on its stdin for {tid, errno}. The thread stays stopped
// until then, so the bounded reads of its memory (decode.ts, process_vm_readv) happen while it waits
// in that very syscall — still only what was *requested* (another thread may rewrite it), recorded,
// never used to decide. A deny is answered only after its line is written; a line that cannot be
// written refuses the call and ends the container (fail closed), as in the notify loop.
//
// Life: spawned on the payload's pid before its filter exists (the launcher waits for `attached`);
// it dies with this process (PDEATHSIG) and takes the container with it (PTRACE_O_EXITKILL).
import { spawn, type ChildProcess } from 'node:child_process';
import { syscallName } from '../../abi/index.js';
import type { AuditWriter } from '../../audit/writer.js';
import type { SeccompPolicy } from '../../policy/seccomp/types.js';
import { SandboxError } from '../../common/errors.js';
import type { LoopStats } from './loop.js';
import { TRACER_PATH } from './mode.js';
import { ARCH_BY_AUDIT, errnoOf, SyscallRecorder } from './record.js';
import type { NotifyTable } from './rules.js';
import { readMemory } from './sys.js';

const MSG = 64;
const ATTACHED = 1;
const SYSCALL = 2;
const DONE = 3;
const STALLED = 4;
const EPERM = 1;

export interface TraceOptions {
  /** the container's pid 1 (host pid), not yet under its filter */
  readonly pid: number;
  readonly table: NotifyTable;
  readonly policy: SeccompPolicy;
  readonly writer: AuditWriter;
  /** a stop unanswered this long (a hung supervisor) gets the container killed by the tracer */
  readonly stallMs: number;
  /** the log could not take a line: the container must not go on unrecorded (kill it) */
  readonly onFatal?: (err: Error) => void;
}

/** TraceLoop owns the tracer; `attached` settles once it seized the pid, `done` once no tracee is left. */
export class TraceLoop {
  readonly stats: LoopStats = { received: 0, answered: 0, gone: 0, denied: 0, fast: 0 };
  readonly attached: Promise<void>;
  readonly done: Promise<LoopStats>;
  /** the tracer's pid (for tests and the stray-process check) */
  readonly pid: number | undefined;
  private fired = false;
  private readonly child: ChildProcess;
  private readonly recorder: SyscallRecorder;
  private pending: Buffer = Buffer.alloc(0);
  private readonly verdict = Buffer.alloc(8);

  constructor(private readonly o: TraceOptions) {
    this.recorder = new SyscallRecorder(o.table, o.policy, 'ptrace');
    const child = spawn(TRACER_PATH, [String(o.stallMs), String(o.pid)], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.pid = child.pid;
    let err = '';
    let onAttach: { ok: () => void; no: (e: Error) => void } | undefined;
    this.attached = new Promise<void>((ok, no) => { onAttach = { ok, no }; });
    this.attached.catch(() => { /* the caller's to report */ });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d.slice(0, 1000); });
    child.stdin!.on('error', () => { /* it exited: every tracee died with it (EXITKILL) */ });
    child.stdout!.on('data', (chunk: Buffer) => {
      this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
      let at = 0;
      for (; at + MSG <= this.pending.length; at += MSG) {
        const m = this.pending.subarray(at, at + MSG);
        const type = m.readUInt32LE(0);
        if (type === ATTACHED) onAttach?.ok();
        else if (type === SYSCALL) this.handle(m);
        else if (type === STALLED) this.fired = true;
        else if (type === DONE) { /* the close below ends it */ }
      }
      this.pending = this.pending.subarray(at);
    });
    this.done = new Promise<LoopStats>((resolve) => {
      child.on('error', (e) => { onAttach?.no(new SandboxError('TSS_ENATIVE', `run \`${TRACER_PATH}\`: ${e.message}`, { cause: e })); resolve(this.stats); });
      child.on('close', (code, sig) => {
        const why = err.trim().split('\n')[0] || (sig ? `signal ${sig}` : `exit ${code}`);
        onAttach?.no(new SandboxError('TSS_ELAUNCH', `trace \`${o.pid}\`: the tracer did not attach (${why.replace(/^tracer: /, '')})`));
        resolve(this.stats);
      });
    });
  }

  /** the tracer killed the container (a stop went unanswered: a hung supervisor) */
  get stalled(): boolean { return this.fired; }

  /** stop: the tracer goes, and with it (EXITKILL) whatever of the container is left */
  stop(): void { if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL'); }

  /** handle one stopped syscall: look up, read (bounded), record, then answer */
  private handle(m: Buffer): void {
    this.stats.received++;
    const tid = m.readInt32LE(4);
    const nr = m.readInt32LE(8);
    const audit = m.readUInt32LE(12);
    const args: bigint[] = [];
    for (let i = 0; i < 6; i++) args.push(m.readBigUInt64LE(16 + 8 * i));
    const arch = ARCH_BY_AUDIT.get(audit);
    const name = arch ? syscallName(arch, nr) ?? `nr${nr}` : `nr${nr}`;
    const entry = this.recorder.entryFor(name, nr, audit, args);
    const line = this.recorder.describe(entry, name, nr, arch ?? String(audit), tid, args, (addr, len) => readMemory(tid, addr, len));
    let deny = errnoOf(entry);
    try {
      this.o.writer.append(line);
    } catch (e) {
      // unrecorded is not allowed to proceed: refuse this call and end the container
      deny ||= EPERM;
      this.o.onFatal?.(e as Error);
    }
    if (deny) this.stats.denied++;
    this.verdict.writeInt32LE(tid, 0);
    this.verdict.writeInt32LE(deny, 4);
    if (this.child.stdin!.writable) { this.child.stdin!.write(Buffer.from(this.verdict)); this.stats.answered++; } else this.stats.gone++;
    if (name === 'execve' || name === 'execveat') this.recorder.forget(tid);
  }
}
