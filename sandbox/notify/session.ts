// sandbox/notify/session.ts — one container's audit log and notify loop: lifecycle events, the listener, the anchored head (runtime process or detached supervisor)
//
// One writer per log, owned by whoever supervises the container (the foreground CLI or the detached
// supervisor). The log is ROOT/containers/<id>/audit.ndjson with its anchor beside it, where
// `audit summary|show|verify ID` look. The head is re-anchored on a timer and at every lifecycle
// event, and finally at close, so a truncated log is caught by verify.
//
// Processes started by `tssandbox exec` install the same filter with a listener of their own; the
// supervisor takes that listener over (exec-audit.ts) and answers it here, through the same writer,
// each of its lines tagged with the exec session's id. Under --supervisor ptrace an exec'd process
// is seized by a tracer of its own before its traced filter exists (execTraced), with the same lines.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { anchorPathFor, writeAnchor } from '../../audit/anchor.js';
import type { ContainerRef } from '../../audit/events.js';
import { AuditWriter } from '../../audit/writer.js';
import { Emulator } from './emulate.js';
import { NotifyLoop, type LoopStats } from './loop.js';
import type { SupervisedFilter } from './plan.js';
import { closeFd } from './sys.js';
import { TraceLoop } from './trace-loop.js';
import { Watchdog } from './watchdog.js';

const SIGNAMES: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 6: 'SIGABRT', 9: 'SIGKILL', 11: 'SIGSEGV', 13: 'SIGPIPE', 15: 'SIGTERM', 31: 'SIGSYS' };

export interface SessionOptions {
  /** ROOT/containers/<id>: the record dir the log and anchor live in */
  readonly ctrDir: string;
  readonly container: ContainerRef;
  readonly filter: Omit<SupervisedFilter, 'bytes'>;
  /** kill the container (fail closed when the log cannot take a line) */
  readonly kill: () => void;
  readonly rateLimitMs?: number;
  /** a notification pending this long with no progress of the loop kills the container (default 10 s; 0: no watchdog) */
  readonly stallMs?: number;
  /** the log's path (run --audit-log); default ROOT/containers/<id>/audit.ndjson. Its anchor goes beside it. */
  readonly logPath?: string;
  /** HMAC key (run --audit-key): every line carries an hmac */
  readonly key?: Uint8Array;
}

/** what the exec CLI says about the process it started (host-side facts, not read from the container) */
export interface ExecInfo { readonly argv: readonly string[]; readonly pid?: number; readonly user?: string; readonly tty?: boolean }

/** ExecHandle: one exec session registered with the container's supervisor */
export interface ExecHandle {
  readonly id: string;
  /** record how the exec'd process ended (once; later calls and calls after the container's exit are ignored) */
  exited(code: number | null, signal: number | undefined, reason?: string): void;
}

interface ExecLoop { readonly loop: { stop(): void }; readonly running: Promise<LoopStats> }

export class AuditSession {
  readonly log: string;
  readonly anchor: string;
  private readonly writer: AuditWriter;
  /** the notify loop, or the ptrace loop (--supervisor ptrace) */
  private loop: { stop(): void; readonly stats: LoopStats } | undefined;
  private tracer: TraceLoop | undefined;
  private fd = -1;
  private watchdog: Watchdog | undefined;
  private running: Promise<LoopStats> | undefined;
  private startedAt = 0;
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private payloadPid: number | undefined;
  private readonly execs = new Set<ExecLoop>();

  constructor(private readonly o: SessionOptions) {
    this.log = o.logPath ?? join(o.ctrDir, 'audit.ndjson');
    this.anchor = anchorPathFor(this.log);
    this.writer = AuditWriter.open(this.log, {
      container: o.container,
      ...(o.key ? { key: o.key } : {}),
      ...(o.rateLimitMs !== 0 ? { rateLimit: { windowMs: o.rateLimitMs ?? 1000 } } : {}),
    });
    this.writer.append({ event: 'created', container: o.container, proc: { pid: process.pid } });
    this.writer.append({
      event: 'policy.compiled', container: o.container,
      policy: { profile: o.filter.profile, digest: o.filter.digest, instructions: o.filter.instructions, notify: [...o.filter.notify] },
    });
    this.mark();
    this.timer = setInterval(() => { this.writer.flushDropped(); this.mark(); }, 1000);
    this.timer.unref();
  }

  /** listener: the launcher handed over the seccomp listener; answer it from now on */
  listener(fd: number): void {
    if (this.closed) { closeFd(fd); return; }
    const rules = this.o.filter.table.emulate;
    // emulate rules: a helper in the container's namespaces opens on its behalf (started at the first call)
    const emulator = rules?.length ? new Emulator({ fd, rules, writer: this.writer, onFatal: () => this.o.kill(), beat: () => this.watchdog?.beat() }) : undefined;
    this.emulator = emulator;
    const loop = new NotifyLoop({
      fd, table: this.o.filter.table, policy: this.o.filter.policy, writer: this.writer,
      onFatal: () => this.o.kill(),
      beat: () => this.watchdog?.beat(),
      ...(emulator ? { emulate: emulator } : {}),
    });
    this.loop = loop;
    this.fd = fd;
    this.running = loop.run().finally(async () => {
      // the watchdog holds a copy of the listener: it stops first, so closing ours closes the listener
      await this.watchdog?.stop();
      // the helper before the listener: calls still waiting on it are answered (refused) while it is open
      emulator?.stop();
      closeFd(fd);
    });
  }

  /**
   * traced: --supervisor ptrace — start the tracer on the payload's pid (before its filter exists);
   * resolves once it is attached, when the launcher may let the payload go on (launcher.ts onTrace)
   */
  traced(pid: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the audit session is closed'));
    const loop = new TraceLoop({
      pid, table: this.o.filter.table, policy: this.o.filter.policy, writer: this.writer,
      stallMs: this.o.stallMs || 10_000, onFatal: () => this.o.kill(),
    });
    this.loop = loop;
    this.tracer = loop;
    this.running = loop.done;
    return loop.attached;
  }

  /** hooks: what the launcher must do for this session's mode (launcher.ts LaunchEvents) */
  hooks(): { onListener?: (fd: number) => void; onTrace?: (pid: number) => Promise<void> } {
    return this.o.filter.mode === 'ptrace' ? { onTrace: (pid) => this.traced(pid) } : { onListener: (fd) => this.listener(fd) };
  }

  started(pid?: number): void {
    this.startedAt = Date.now();
    this.payloadPid = pid;
    if (pid && this.fd >= 0 && !this.watchdog && this.o.stallMs !== 0) this.watchdog = new Watchdog(this.fd, pid, this.o.stallMs ?? 10_000);
    this.writer.append({ event: 'started', ...(pid ? { proc: { pid } } : {}) });
    this.mark();
  }

  /**
   * exec answers the listener of an exec'd process (taken over from the exec CLI) like the
   * container's own, its lines tagged with a new exec id. The exec.started line is written before
   * the loop reads the first notification, so every line of the session comes after it. With the
   * session closed (the container exited) the fd is closed and this throws: its processes then get
   * ENOSYS from every notified call, and they die with the container's pid namespace anyway.
   */
  exec(fd: number, info: ExecInfo): ExecHandle {
    if (this.closed) { closeFd(fd); throw new Error('the container\'s audit log is closed (it exited)'); }
    let start: { id: string; t0: number };
    try { start = this.execStarted(info); } catch (err) { closeFd(fd); throw err; }
    const { id } = start;
    // a loop that stops answering is as bad for this listener as for the container's own: its own watchdog kills the container's pid 1
    const dog = this.payloadPid && this.o.stallMs !== 0 ? new Watchdog(fd, this.payloadPid, this.o.stallMs ?? 10_000) : undefined;
    const writer = this.writer.forExec(id);
    // emulate rules: ADDFD goes through the listener the call came on, so this listener has a helper
    // of its own (started at its first emulated call, in the exec'd process's namespaces)
    const rules = this.o.filter.table.emulate;
    const emulator = rules?.length ? new Emulator({ fd, rules, writer, onFatal: () => this.o.kill(), beat: () => dog?.beat() }) : undefined;
    const loop = new NotifyLoop({
      fd, table: this.o.filter.table, policy: this.o.filter.policy, writer,
      onFatal: () => this.o.kill(),
      beat: () => dog?.beat(),
      ...(emulator ? { emulate: emulator } : {}),
    });
    this.track(loop, loop.run().finally(async () => {
      await dog?.stop();
      // the helper before the listener, as for the container's own (listener())
      emulator?.stop();
      closeFd(fd);
    }));
    return this.execHandle(start);
  }

  /**
   * execTraced: --supervisor ptrace — a tracer of its own seizes the exec'd process (host pid `pid`)
   * before its traced filter exists; resolves once it is attached, when the exec's launcher may let
   * it go on (native/launcher/exec.c 7a). Its lines are tagged like exec()'s. A tracer that cannot
   * attach rejects: the exec CLI then kills the process unstarted.
   */
  async execTraced(pid: number, info: ExecInfo): Promise<ExecHandle> {
    if (this.closed) throw new Error('the container\'s audit log is closed (it exited)');
    const start = this.execStarted(info);
    const loop = new TraceLoop({
      pid, table: this.o.filter.table, policy: this.o.filter.policy, writer: this.writer.forExec(start.id),
      stallMs: this.o.stallMs || 10_000, onFatal: () => this.o.kill(),
    });
    this.track(loop, loop.done);
    const handle = this.execHandle(start);
    try {
      await loop.attached;
    } catch (e) {
      handle.exited(null, undefined, `not started: ${(e as Error).message}`);
      throw e;
    }
    return handle;
  }

  /** exec.started, before any line of the session (throws when the log refuses it) */
  private execStarted(info: ExecInfo): { id: string; t0: number } {
    const id = randomBytes(8).toString('hex');
    this.writer.append({ event: 'exec.started', exec: { id, argv: [...info.argv], ...(info.user !== undefined ? { user: info.user } : {}), ...(info.tty ? { tty: true } : {}), ...(info.pid ? { pid: info.pid } : {}) } });
    this.mark();
    return { id, t0: Date.now() };
  }

  /** an exec session's loop, until it ends (stopLoop waits for it; close() stops it) */
  private track(loop: { stop(): void }, running: Promise<LoopStats>): void {
    const entry: ExecLoop = { loop, running: running.finally(() => { this.execs.delete(entry); }) };
    this.execs.add(entry);
  }

  private execHandle({ id, t0 }: { id: string; t0: number }): ExecHandle {
    let done = false;
    return {
      id,
      exited: (code, signal, reason) => {
        if (done || this.closed) return;
        done = true;
        try {
          this.writer.append({ event: 'exec.exited', exec: { id, code: signal ? null : code, signal: signal ? SIGNAMES[signal] ?? `SIG${signal}` : null, duration: Date.now() - t0, ...(reason ? { reason } : {}) } });
          this.mark();
        } catch { /* a failed write already made the writer refuse lines; the loops fail closed on their next one */ }
      },
    };
  }

  /** exited records the end, waits for the loop to see every target gone, and closes the log */
  async exited(code: number | null, signal: number | undefined, oom: boolean): Promise<LoopStats | undefined> {
    const stats = await this.stopLoop();
    try {
      this.writer.append({
        event: 'exited',
        exited: { code: signal ? null : code, signal: signal ? SIGNAMES[signal] ?? `SIG${signal}` : null, oom, duration: this.startedAt ? Date.now() - this.startedAt : 0 },
      });
    } catch (e) {
      // the log broke while the container ran (the loops killed it then): the exit is still the
      // container's, and the caller says why it was killed
      this.failure = e as Error;
    }
    this.close();
    return stats;
  }

  /** the log stopped taking lines (ENOSPC, EIO …): the container was killed for it */
  failure: Error | undefined;

  /** close without an exited line (a launch that failed) */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.loop?.stop();
    for (const e of this.execs) e.loop.stop();
    const head = this.writer.close();
    try { writeAnchor(this.anchor, { ...head, id: this.o.container.id }); } catch { /* verify then reports the missing anchor */ }
  }

  get stats(): LoopStats | undefined { return this.loop?.stats; }

  /** the emulate helper (sandbox/notify/emulate.ts), once the listener is here */
  emulator: Emulator | undefined;

  /** the watchdog killed the container (a hung loop) */
  get watchdogFired(): boolean { return this.watchdog?.fired ?? this.tracer?.stalled ?? false; }

  /** the tracer's pid under --supervisor ptrace */
  get tracerPid(): number | undefined { return this.tracer?.pid; }

  private async stopLoop(): Promise<LoopStats | undefined> {
    // the payload is gone, and with its pid namespace every exec'd process: each listener hangs up
    // at once, so the exec sessions' last lines come before `exited`; the bound only covers a stuck poll
    const t = setTimeout(() => { this.loop?.stop(); for (const e of this.execs) e.loop.stop(); }, 2000);
    try {
      await Promise.allSettled([...this.execs].map((e) => e.running));
      return this.running ? await this.running : undefined;
    } finally { clearTimeout(t); }
  }

  private mark(): void {
    try { writeAnchor(this.anchor, { ...this.writer.head, id: this.o.container.id }); } catch { /* best effort between lines; close() retries */ }
  }
}
