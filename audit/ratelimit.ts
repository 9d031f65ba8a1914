// audit/ratelimit.ts — drop repeated syscall lines within a window, count them, never lose a shape (supervisor, pure)
//
// A flooding payload (a loop of denied connects) must not fill the disk nor stall the supervisor,
// but `policy learn` must still see every distinct syscall-and-argument shape. So only *repeats*
// of a shape already written in the current window are dropped; the first of each shape is always
// written, and forgetting a shape (when the table is full) only makes it be written again.

/** the fields of a syscall line that make its shape (the supervisor leaves raw pointers out of args) */
export interface ShapeInput {
  readonly syscall: { readonly name: string; readonly args?: readonly unknown[]; readonly errno?: string | number };
  readonly decision: { readonly action: string; readonly rule?: string };
  readonly resource?: { readonly path?: string; readonly sockaddr?: string };
  /** execve's argv is an argument too: busybox sh runs every applet as /proc/self/exe, told apart only by argv */
  readonly proc?: { readonly argv?: readonly string[] };
  /** the exec session: a repeat from another session is not a repeat (the line says who did it) */
  readonly exec?: string;
}

/** shapeKey: syscall name, decoded args, errno, decision action and rule, path and peer, argv, exec session */
export function shapeKey(e: ShapeInput): string {
  return JSON.stringify([e.syscall.name, e.syscall.args ?? null, e.syscall.errno ?? null, e.decision.action,
    e.decision.rule ?? null, e.resource?.path ?? null, e.resource?.sockaddr ?? null, e.proc?.argv ?? null, e.exec ?? null]);
}

export interface DroppedSummary {
  readonly total: number;
  readonly from: number;
  readonly to: number;
  readonly shapes: { syscall: string; action: string; rule?: string; count: number }[];
}

interface Seen { windowStart: number }
interface Pending { syscall: string; action: string; rule?: string; count: number }

export class RateLimiter {
  private readonly seen = new Map<string, Seen>();
  private pendingShapes = new Map<string, Pending>();
  private pendingTotal = 0;
  private firstDrop = 0;
  private lastDrop = 0;

  /** windowMs: repeats of a shape within this long of its last written line are dropped; maxShapes bounds memory */
  constructor(readonly windowMs: number, readonly maxShapes = 16384) {
    if (!(windowMs > 0)) throw new RangeError('rate limit window must be > 0 ms');
  }

  /** admit says whether a syscall line is written (true) or dropped and counted (false). */
  admit(e: ShapeInput, now: number): boolean {
    const key = shapeKey(e);
    const s = this.seen.get(key);
    if (s && now - s.windowStart < this.windowMs) {
      const p = this.pendingShapes.get(key);
      if (p) p.count++;
      else this.pendingShapes.set(key, { syscall: e.syscall.name, action: e.decision.action, ...(e.decision.rule ? { rule: e.decision.rule } : {}), count: 1 });
      if (this.pendingTotal === 0) this.firstDrop = now;
      this.pendingTotal++;
      this.lastDrop = now;
      return false;
    }
    if (s) {
      s.windowStart = now;
      // re-insert: Map order is then least-recently-written first, the one to forget when full
      this.seen.delete(key);
      this.seen.set(key, s);
    } else {
      if (this.seen.size >= this.maxShapes) this.seen.delete(this.seen.keys().next().value!);
      this.seen.set(key, { windowStart: now });
    }
    return true;
  }

  /** due says a dropped summary should be written now (its oldest drop is a window old). */
  due(now: number): boolean {
    return this.pendingTotal > 0 && now - this.firstDrop >= this.windowMs;
  }

  /** takeDropped returns and clears the counts since the last summary; null when nothing was dropped. */
  takeDropped(): DroppedSummary | null {
    if (this.pendingTotal === 0) return null;
    const out: DroppedSummary = { total: this.pendingTotal, from: this.firstDrop, to: this.lastDrop, shapes: [...this.pendingShapes.values()] };
    this.pendingShapes = new Map();
    this.pendingTotal = 0;
    return out;
  }

  /** lines dropped since the last summary */
  get pending(): number { return this.pendingTotal; }

  /** distinct shapes currently remembered */
  get shapes(): number { return this.seen.size; }
}
