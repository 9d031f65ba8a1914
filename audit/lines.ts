// audit/lines.ts — read an NDJSON log as raw byte lines, forwards in chunks or just its last line (everywhere, touches the log)
//
// Hashes are over the bytes as written, so lines are handed out as Buffers, never re-encoded. A
// log may be large: it is read in fixed chunks, never whole.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const CHUNK = 1 << 16;
/** a line longer than this is refused: no event is that long, and a reader must stay bounded */
export const MAX_LINE_BYTES = 1 << 20;

export interface RawLine {
  /** the line's bytes without the newline */
  readonly bytes: Buffer;
  /** 0-based line number */
  readonly index: number;
  /** false for a last line without its newline (a cut-off write or a truncated log) */
  readonly terminated: boolean;
  /** true when the line exceeded MAX_LINE_BYTES and was cut there */
  readonly oversized: boolean;
}

/** eachLine calls fn for every line of the file from byte offset `from`; fn returns false to stop. Returns the offset after the last complete line. */
export function eachLine(path: string, fn: (line: RawLine) => boolean | void, from = 0): number {
  const fd = openSync(path, 'r');
  try {
    return eachLineFd(fd, fn, from);
  } finally {
    closeSync(fd);
  }
}

export function eachLineFd(fd: number, fn: (line: RawLine) => boolean | void, from = 0): number {
  const buf = Buffer.allocUnsafe(CHUNK);
  let pos = from;
  let consumed = from;
  let parts: Buffer[] = [];
  let partLen = 0;
  let oversized = false;
  let index = 0;
  for (;;) {
    const n = readSync(fd, buf, 0, CHUNK, pos);
    if (n === 0) break;
    pos += n;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl === -1 || nl >= n) break;
      const piece = buf.subarray(start, nl);
      const bytes = parts.length ? Buffer.concat([...parts, piece]) : Buffer.from(piece);
      const line = { bytes: bytes.length > MAX_LINE_BYTES ? bytes.subarray(0, MAX_LINE_BYTES) : bytes, index: index++, terminated: true, oversized: oversized || bytes.length > MAX_LINE_BYTES };
      consumed += partLen + piece.length + 1;
      parts = []; partLen = 0; oversized = false;
      start = nl + 1;
      if (fn(line) === false) return consumed;
    }
    if (start < n) {
      // keep at most MAX_LINE_BYTES + 1 of a line: enough to know it is too long
      if (partLen <= MAX_LINE_BYTES) { parts.push(Buffer.from(buf.subarray(start, n))); } else oversized = true;
      partLen += n - start;
    }
  }
  if (partLen > 0) {
    const bytes = Buffer.concat(parts);
    fn({ bytes: bytes.subarray(0, MAX_LINE_BYTES), index, terminated: false, oversized: oversized || bytes.length > MAX_LINE_BYTES });
  }
  return consumed;
}

/** lastLine returns the last line of an open file and whether the file ends with a newline; null when empty. */
export function lastLine(fd: number): { bytes: Buffer; terminated: boolean } | null {
  const size = fstatSync(fd).size;
  if (size === 0) return null;
  const tail: Buffer[] = [];
  let end = size;
  let terminated = false;
  let first = true;
  while (end > 0) {
    const len = Math.min(CHUNK, end);
    const b = Buffer.allocUnsafe(len);
    readSync(fd, b, 0, len, end - len);
    let chunk = b;
    if (first) {
      first = false;
      if (chunk[chunk.length - 1] === 10) { terminated = true; chunk = chunk.subarray(0, -1); }
    }
    const nl = chunk.lastIndexOf(10);
    if (nl !== -1) { tail.unshift(chunk.subarray(nl + 1)); break; }
    tail.unshift(chunk);
    end -= len;
    if (size - end > MAX_LINE_BYTES + CHUNK) break;
  }
  return { bytes: Buffer.concat(tail), terminated };
}
