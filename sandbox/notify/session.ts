// sandbox/notify/session.ts — one container's audit log and notify loop: lifecycle events, the listener, the anchored head (runtime process or detached supervisor)
//
// One writer per log, owned by whoever supervises the container (the foreground CLI or the detached
// supervisor). The log is ROOT/containers/<id>/audit.ndjson with its anchor beside it, where
// `audit summary|show|verify ID` look. The head is re-anchored on a timer and at every lifecycle
// event, and finally at close, so a truncated log is caught by verify.
import { join } from 'node:path';
import { writeAnchor } from '../../audit/anchor.js';
import type { ContainerRef } from '../../audit/events.js';
import { AuditWriter } from '../../audit/writer.js';
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
}

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

  constructor(private readonly o: SessionOptions) {
    this.log = join(o.ctrDir, 'audit.ndjson');
    this.anchor = join(o.ctrDir, 'audit.anchor.json');
    this.writer = AuditWriter.open(this.log, {
      container: o.container,
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
    const loop = new NotifyLoop({
      fd, table: this.o.filter.table, policy: this.o.filter.policy, writer: this.writer,
      onFatal: () => this.o.kill(),
      beat: () => this.watchdog?.beat(),
    });
    this.loop = loop;
    this.fd = fd;
    this.running = loop.run().finally(async () => {
      // the watchdog holds a copy of the listener: it stops first, so closing ours closes the listener
      await this.watchdog?.stop();
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
    if (pid && this.fd >= 0 && !this.watchdog && this.o.stallMs !== 0) this.watchdog = new Watchdog(this.fd, pid, this.o.stallMs ?? 10_000);
    this.writer.append({ event: 'started', ...(pid ? { proc: { pid } } : {}) });
    this.mark();
  }

  /** exited records the end, waits for the loop to see every target gone, and closes the log */
  async exited(code: number | null, signal: number | undefined, oom: boolean): Promise<LoopStats | undefined> {
    const stats = await this.stopLoop();
    this.writer.append({
      event: 'exited',
      exited: { code: signal ? null : code, signal: signal ? SIGNAMES[signal] ?? `SIG${signal}` : null, oom, duration: this.startedAt ? Date.now() - this.startedAt : 0 },
    });
    this.close();
    return stats;
  }

  /** close without an exited line (a launch that failed) */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.loop?.stop();
    const head = this.writer.close();
    try { writeAnchor(this.anchor, { ...head, id: this.o.container.id }); } catch { /* verify then reports the missing anchor */ }
  }

  get stats(): LoopStats | undefined { return this.loop?.stats; }

  /** the watchdog killed the container (a hung loop) */
  get watchdogFired(): boolean { return this.watchdog?.fired ?? this.tracer?.stalled ?? false; }

  /** the tracer's pid under --supervisor ptrace */
  get tracerPid(): number | undefined { return this.tracer?.pid; }

  private async stopLoop(): Promise<LoopStats | undefined> {
    if (!this.running) return undefined;
    // the payload is gone, so the listener hangs up at once; the bound only covers a stuck poll
    const t = setTimeout(() => this.loop?.stop(), 2000);
    try { return await this.running; } finally { clearTimeout(t); }
  }

  private mark(): void {
    try { writeAnchor(this.anchor, { ...this.writer.head, id: this.o.container.id }); } catch { /* best effort between lines; close() retries */ }
  }
}
