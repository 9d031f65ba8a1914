// audit/writer.ts — the one writer of a container's audit log: chained, optionally keyed, rate-limited lines (supervisor)
//
// append() returns only after the line's bytes are in the file (fs.writeSync, and fsync when asked),
// so the supervisor can answer a deny or emulate notification after the record exists. It throws
// when the write fails, and the writer then refuses every later append: the caller must fail closed
// (deny, or kill the container) rather than act unrecorded.
//
// Sink: fs.writeSync on our own O_APPEND fd, not pino's destination (sonic-boom). The chain needs
// the exact bytes of each line, so pino's serialiser could not be used anyway, and sonic-boom
// reports a failed write as an 'error' event (and may drop a line over maxLength) instead of
// throwing at the call that must not proceed. Only the types of events.ts are imported: no zod or
// pino is loaded in the supervisor for this.
import { closeSync, constants, fsyncSync, openSync, writeSync } from 'node:fs';
import { genesisHash, lineHash, lineHmac, MIN_KEY_BYTES, splitHmac, withHmac } from './chain.js';
import { AuditError, errnoReason } from './errors.js';
import { lastLine } from './lines.js';
import { RateLimiter } from './ratelimit.js';
import type { Head } from './anchor.js';
import type { ContainerRef, EventInput } from './events.js';

export interface AuditWriterOptions {
  /** the container this log belongs to; its id makes the log's genesis hash */
  readonly container: ContainerRef;
  /** HMAC key (≥ 16 bytes): every line gets an `hmac` field, so a rewrite without the key is detectable */
  readonly key?: Uint8Array;
  /** fsync after every line: the record survives a host crash, at a cost per line */
  readonly fsync?: boolean;
  /** drop repeated syscall lines of one shape within windowMs (counted in `dropped` lines); off when absent */
  readonly rateLimit?: { readonly windowMs: number; readonly maxShapes?: number };
  /** the clock (ms since the epoch); tests pass a fake one */
  readonly now?: () => number;
  /** called with each line's object before it is written (tests pass the zod check); throwing refuses the line */
  readonly check?: (line: Record<string, unknown>) => void;
}

export type AppendResult =
  | { readonly written: true; readonly seq: number; readonly hash: string; readonly head: Head }
  | { readonly written: false; readonly head: Head };

const CHAIN_FIELDS = ['v', 'time', 'seq', 'prev', 'hmac', 'event', 'container'];

export class AuditWriter {
  private fd: number;
  private seq: number;
  private hash: string;
  private broken: Error | null = null;
  private readonly limiter: RateLimiter | null;
  private readonly now: () => number;
  private readonly idOnly: ContainerRef;

  private constructor(readonly path: string, fd: number, head: Head, private readonly opts: AuditWriterOptions) {
    this.fd = fd;
    this.seq = head.seq;
    this.hash = head.hash;
    this.limiter = opts.rateLimit ? new RateLimiter(opts.rateLimit.windowMs, opts.rateLimit.maxShapes) : null;
    this.now = opts.now ?? Date.now;
    this.idOnly = { id: opts.container.id };
  }

  /** open creates the log, or resumes an existing one after its last line (which must be whole, of this container, and keyed alike). */
  static open(path: string, opts: AuditWriterOptions): AuditWriter {
    const id = opts.container.id;
    if (!id) throw new AuditError('open audit log', path, 'the container id is empty');
    if (opts.key && opts.key.length < MIN_KEY_BYTES) throw new AuditError('open audit log', path, `the HMAC key is shorter than ${MIN_KEY_BYTES} bytes`);
    let fd: number;
    try {
      // O_RDWR: the last line is read back to resume. O_NOFOLLOW: the log's directory is ours, but a planted symlink must not redirect root's writes
      fd = openSync(path, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    } catch (err) {
      throw new AuditError('open audit log', path, errnoReason(err), err);
    }
    try {
      return new AuditWriter(path, fd, resumeHead(path, fd, opts), opts);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** the seq and hash of the last line written: what the caller anchors in the container's state */
  get head(): Head { return { seq: this.seq, hash: this.hash }; }

  /** append writes one event (rate limiting may drop a repeated syscall line: written false). */
  append(e: EventInput): AppendResult {
    if (this.broken) throw new AuditError('append to audit log', this.path, `an earlier write failed (${errnoReason(this.broken)}); the log takes no more lines`);
    const now = this.now();
    if (this.limiter) {
      if (this.limiter.due(now)) this.writeDropped(now);
      if (e.event === 'syscall' && !this.limiter.admit(e, now)) return { written: false, head: this.head };
    }
    const { event, container, time, ...rest } = e as EventInput & Record<string, unknown>;
    for (const k of CHAIN_FIELDS) delete rest[k];
    const c = container ?? (event === 'syscall' ? this.idOnly : this.opts.container);
    return this.writeLine({ event, container: c, ...rest }, time ?? new Date(now).toISOString());
  }

  /**
   * forExec is a view of this writer for one exec session's notify loop: the syscall lines written
   * through it carry `exec: id`. The chain, the head, the rate limiter and a failed write are this
   * writer's own: still one writer per log, however many listeners feed it.
   */
  forExec(id: string): AuditWriter {
    return new Proxy(this, {
      get: (target, prop) => {
        if (prop === 'append') return (e: EventInput) => target.append(e.event === 'syscall' ? { ...e, exec: id } : e);
        const v: unknown = Reflect.get(target, prop, target);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }

  /** flushDropped writes the pending `dropped` counts now (the supervisor may call it on a timer); null when none. */
  flushDropped(): Head | null {
    if (!this.limiter?.pending) return null;
    this.writeDropped(this.now());
    return this.head;
  }

  /** distinct syscall shapes the rate limiter remembers (0 without rate limiting) */
  get shapes(): number { return this.limiter?.shapes ?? 0; }

  /** close writes pending dropped counts and closes the file; the head is returned for the final anchor. */
  close(): Head {
    if (this.fd === -1) return this.head;
    try {
      if (!this.broken && this.limiter?.pending) this.writeDropped(this.now());
    } finally {
      closeSync(this.fd);
      this.fd = -1;
    }
    return this.head;
  }

  private writeDropped(now: number): void {
    const d = this.limiter!.takeDropped();
    if (!d) return;
    const iso = (ms: number) => new Date(ms).toISOString();
    this.writeLine({ event: 'dropped', container: this.idOnly, dropped: { total: d.total, from: iso(d.from), to: iso(d.to), shapes: d.shapes } }, iso(now));
  }

  private writeLine(body: Record<string, unknown>, time: string): AppendResult {
    if (this.fd === -1) throw new AuditError('append to audit log', this.path, 'the writer is closed');
    const seq = this.seq + 1;
    const obj = { v: 1, time, seq, prev: this.hash, ...body };
    this.opts.check?.(obj);
    let json = JSON.stringify(obj);
    if (this.opts.key) json = withHmac(json, this.opts.key);
    const bytes = Buffer.from(`${json}\n`);
    try {
      let off = 0;
      while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off);
      if (this.opts.fsync) fsyncSync(this.fd);
    } catch (err) {
      this.broken = err as Error;
      throw new AuditError('append to audit log', this.path, errnoReason(err), err);
    }
    this.seq = seq;
    this.hash = lineHash(bytes.subarray(0, -1));
    return { written: true, seq, hash: this.hash, head: this.head };
  }
}

/** resumeHead finds where an existing log ends; a fresh log starts at seq 0 with the genesis hash. */
function resumeHead(path: string, fd: number, opts: AuditWriterOptions): Head {
  const last = lastLine(fd);
  if (!last) return { seq: 0, hash: genesisHash(opts.container.id) };
  const refuse = (reason: string): never => { throw new AuditError('resume audit log', path, reason); };
  if (!last.terminated) refuse('the last line is cut off (an interrupted write): verify and move the log aside');
  const text = last.bytes.toString('utf8');
  let o: { seq?: unknown; container?: { id?: unknown } };
  try { o = JSON.parse(text); } catch { return refuse('the last line is not JSON'); }
  if (!Number.isInteger(o.seq) || (o.seq as number) < 1) refuse('the last line has no seq');
  if (o.container?.id !== opts.container.id) refuse(`the log belongs to container ${String(o.container?.id)}`);
  const split = splitHmac(text);
  if (opts.key) {
    if (!split || lineHmac(opts.key, split.unkeyed) !== split.mac) refuse('the last line does not carry a valid HMAC under this key');
  } else if (split) refuse('the log is keyed (HMAC) but no key was given');
  return { seq: o.seq as number, hash: lineHash(last.bytes) };
}
