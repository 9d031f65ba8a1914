// sandbox/logs.ts — a detached container's log: json-lines with rotation, and reading it back (supervisor writes, CLI reads)
//
// Docker's json-file shape ({"log","stream","time"}), but a record holds a chunk of whole lines
// rather than one line: a container that floods stdout costs one JSON record per read, not per line.
// The file is capped: past maxBytes it is renamed to .1 (the previous .1 is dropped), so a
// container can never hold more than files × maxBytes (plus one record) of disk.
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, watch, writeSync } from 'node:fs';

export interface LogRecord { readonly log: string; readonly stream: 'stdout' | 'stderr'; readonly time: string }

export const LOG_MAX_BYTES = 10 << 20;
export const LOG_FILES = 2;
/** a line longer than this is written in pieces (docker splits at 16 KiB too) */
const MAX_PARTIAL = 16 << 10;

export class LogWriter {
  private fd: number;
  private size: number;
  private readonly partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };

  constructor(private readonly path: string, private readonly maxBytes = LOG_MAX_BYTES, private readonly files = LOG_FILES) {
    this.fd = openSync(path, 'a', 0o640);
    this.size = fstatSync(this.fd).size;
  }

  /** write takes a chunk of a stream; whole lines go out now, a trailing partial line waits for its end */
  write(stream: 'stdout' | 'stderr', chunk: Buffer | string): void {
    const text = this.partial[stream] + chunk.toString();
    const nl = text.lastIndexOf('\n');
    let out = nl < 0 ? '' : text.slice(0, nl + 1);
    let rest = nl < 0 ? text : text.slice(nl + 1);
    if (rest.length >= MAX_PARTIAL) { out += rest; rest = ''; }
    this.partial[stream] = rest;
    if (out) this.record(stream, out);
  }

  /** flush writes what is left of unfinished lines (at exit) */
  flush(): void {
    for (const s of ['stdout', 'stderr'] as const) if (this.partial[s]) { this.record(s, this.partial[s]); this.partial[s] = ''; }
  }

  close(): void { this.flush(); closeSync(this.fd); }

  private record(stream: 'stdout' | 'stderr', log: string): void {
    // encoded once (byteLength and a string write would each walk it): the supervisor's hot path, run jitless
    const line = Buffer.from(`${JSON.stringify({ log, stream, time: new Date().toISOString() })}\n`);
    if (this.size > 0 && this.size + line.length > this.maxBytes) this.rotate();
    writeSync(this.fd, line);
    this.size += line.length;
  }

  private rotate(): void {
    closeSync(this.fd);
    for (let i = this.files - 1; i >= 1; i--) {
      const from = i === 1 ? this.path : `${this.path}.${i - 1}`;
      if (existsSync(from)) renameSync(from, `${this.path}.${i}`);
    }
    if (this.files <= 1) rmSync(this.path, { force: true });
    this.fd = openSync(this.path, 'a', 0o640);
    this.size = 0;
  }
}

function parse(text: string): LogRecord[] {
  const out: LogRecord[] = [];
  for (const l of text.split('\n')) {
    if (!l) continue;
    try { out.push(JSON.parse(l) as LogRecord); } catch { /* a torn last record while it is written */ }
  }
  return out;
}

/** readLog returns every record still kept, oldest first. */
export function readLog(path: string, files = LOG_FILES): LogRecord[] {
  const out: LogRecord[] = [];
  for (let i = files - 1; i >= 0; i--) {
    const p = i === 0 ? path : `${path}.${i}`;
    if (existsSync(p)) out.push(...parse(readFileSync(p, 'utf8')));
  }
  return out;
}

/** render turns records into the lines `logs` prints (per line, with the record's time when asked) */
export function render(recs: readonly LogRecord[], o: { timestamps?: boolean }): { stream: 'stdout' | 'stderr'; text: string }[] {
  const out: { stream: 'stdout' | 'stderr'; text: string }[] = [];
  for (const r of recs) {
    const lines = r.log.match(/[^\n]*\n|[^\n]+$/g) ?? [];
    for (const l of lines) out.push({ stream: r.stream, text: o.timestamps ? `${r.time} ${l}` : l });
  }
  return out;
}

/** tailLines keeps the last n lines (n < 0: all) */
export function tailLines<T>(lines: readonly T[], n: number): T[] { return n < 0 ? [...lines] : lines.slice(Math.max(0, lines.length - n)); }

/**
 * follow emits records appended from now on until done() says the writer has finished;
 * a rotation (the file got shorter or was replaced) restarts at the top of the new file.
 */
export async function follow(path: string, emit: (r: LogRecord) => void, done: () => boolean): Promise<void> {
  let offset = existsSync(path) ? statSync(path).size : 0;
  let ino = existsSync(path) ? statSync(path).ino : 0;
  let carry = '';
  const drain = () => {
    if (!existsSync(path)) return;
    const st = statSync(path);
    if (st.ino !== ino || st.size < offset) { ino = st.ino; offset = 0; carry = ''; }
    if (st.size <= offset) return;
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.alloc(st.size - offset);
      readSync(fd, buf, 0, buf.length, offset);
      offset = st.size;
      const text = carry + buf.toString();
      const cut = text.lastIndexOf('\n');
      carry = text.slice(cut + 1);
      for (const r of parse(text.slice(0, cut + 1))) emit(r);
    } finally { closeSync(fd); }
  };
  let watcher: ReturnType<typeof watch> | undefined;
  try { watcher = watch(path.replace(/\/[^/]+$/, ''), () => drain()); } catch { /* polling below still works */ }
  try {
    for (;;) {
      drain();
      if (done()) { drain(); return; }
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally { watcher?.close(); }
}
