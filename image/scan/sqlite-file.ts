// image/scan/sqlite-file.ts — a small read-only SQLite reader: header, WAL, table B-trees, records, overflow (CLI process)
//
// Node 20 has no node:sqlite, and linking libsqlite3 to read an attacker's file is what we want to
// avoid anyway. This reads only what rpm's rpmdb.sqlite needs — sqlite_master and a table's rows —
// per https://www.sqlite.org/fileformat2.html. Every page number, cell pointer, varint and length is
// bounds-checked; a page reached twice in one walk (a cycle) or a tree deeper than MAX_DEPTH is an
// error, so a hostile file costs at most one read of each of its pages.
import type { DbFile } from './db-file.js';

export type SqlValue = null | number | bigint | string | Buffer;
export interface SqlRow { readonly rowid: number; readonly values: readonly SqlValue[] }
export interface SchemaRow { readonly type: string; readonly name: string; readonly tblName: string; readonly rootpage: number; readonly sql: string }

const MAGIC = 'SQLite format 3\0';
const MAX_DEPTH = 40;
/** a record's payload cap: rpm headers are kilobytes to a few MiB */
export const MAX_PAYLOAD = 64 << 20;

export class SqliteFile {
  readonly pageSize: number;
  readonly usable: number;
  readonly pageCount: number;
  private readonly textDecoder: (b: Buffer) => string;
  /** page number → offset of its newest committed frame's data in the WAL */
  private readonly walPages = new Map<number, number>();

  constructor(private readonly f: DbFile, private readonly wal?: DbFile) {
    if (f.size < 100) f.bad('too short for an SQLite database');
    const h = f.read(0, 100);
    if (h.subarray(0, 16).toString('latin1') !== MAGIC) f.bad('not an SQLite 3 database (bad magic)');
    const ps = h.readUInt16BE(16);
    this.pageSize = ps === 1 ? 65536 : ps;
    if (this.pageSize < 512 || this.pageSize > 65536 || (this.pageSize & (this.pageSize - 1))) f.bad(`bad page size ${ps}`);
    this.usable = this.pageSize - h[20]!;
    if (this.usable < 480) f.bad(`bad reserved space ${h[20]}`);
    const enc = h.readUInt32BE(56);
    const utf16 = (le: boolean) => (b: Buffer): string => { const c = Buffer.from(b); if (!le) c.swap16(); return c.toString('utf16le'); };
    this.textDecoder = enc === 2 ? utf16(true) : enc === 3 ? (b) => utf16(false)(b.length % 2 ? b.subarray(0, b.length - 1) : b) : (b) => b.toString('utf8');
    let count = Math.floor(f.size / this.pageSize);
    const inHeader = h.readUInt32BE(28);
    if (inHeader && h.readUInt32BE(24) === h.readUInt32BE(92)) count = Math.min(count, inHeader);
    const walSize = wal ? this.readWal(wal) : 0;
    this.pageCount = walSize || count;
  }

  /** readWal indexes the committed frames of a -wal file (salts and cumulative checksums checked); returns the committed db size in pages, 0 if none. */
  private readWal(w: DbFile): number {
    if (w.size < 32) return 0;
    const h = w.read(0, 32);
    const magic = h.readUInt32BE(0);
    if ((magic & ~1) !== 0x377f0682) w.bad('not an SQLite WAL (bad magic)');
    const be = (magic & 1) === 1;
    if (h.readUInt32BE(8) !== this.pageSize) w.bad(`WAL page size ${h.readUInt32BE(8)} differs from the database's ${this.pageSize}`);
    let [s0, s1] = walChecksum(h.subarray(0, 24), be, 0, 0);
    if (s0 !== h.readUInt32BE(24) || s1 !== h.readUInt32BE(28)) return 0; // never-initialised WAL: sqlite ignores it too
    const frame = 24 + this.pageSize;
    const pending = new Map<number, number>();
    let dbSize = 0;
    for (let off = 32; off + frame <= w.size; off += frame) {
      const fh = w.read(off, 24);
      if (fh.readUInt32BE(8) !== h.readUInt32BE(16) || fh.readUInt32BE(12) !== h.readUInt32BE(20)) break;
      const data = w.read(off + 24, this.pageSize);
      [s0, s1] = walChecksum(fh.subarray(0, 8), be, s0, s1);
      [s0, s1] = walChecksum(data, be, s0, s1);
      if (s0 !== fh.readUInt32BE(16) || s1 !== fh.readUInt32BE(20)) break; // a torn write ends the log
      const pgno = fh.readUInt32BE(0);
      if (pgno === 0) break;
      pending.set(pgno, off + 24);
      const commit = fh.readUInt32BE(4);
      if (commit) {
        for (const [p, o] of pending) this.walPages.set(p, o);
        pending.clear();
        dbSize = commit;
      }
    }
    return dbSize;
  }

  /** page returns page n (1-based) as stored, WAL first. */
  page(n: number): Buffer {
    if (!Number.isInteger(n) || n < 1 || n > this.pageCount) this.f.bad(`page number ${n} is outside 1..${this.pageCount}`);
    const w = this.walPages.get(n);
    return w !== undefined ? this.wal!.read(w, this.pageSize) : this.f.read((n - 1) * this.pageSize, this.pageSize);
  }

  /** schema reads sqlite_master. */
  schema(): SchemaRow[] {
    return [...this.rows(1)].map(({ values: v }) => ({
      type: String(v[0] ?? ''), name: String(v[1] ?? ''), tblName: String(v[2] ?? ''), rootpage: Number(v[3] ?? 0), sql: String(v[4] ?? ''),
    }));
  }

  /** rows yields every row of the table B-tree rooted at `root`, in rowid order. */
  *rows(root: number): Generator<SqlRow> {
    const seen = new Set<number>();
    const stack: Array<[number, number]> = [[root, 0]];
    while (stack.length) {
      const [pgno, depth] = stack.pop()!;
      if (depth > MAX_DEPTH) this.f.bad(`B-tree deeper than ${MAX_DEPTH} levels at page ${pgno}`);
      if (seen.has(pgno)) this.f.bad(`page ${pgno} is reached twice (a cycle in the B-tree)`);
      seen.add(pgno);
      const pg = this.page(pgno);
      const base = pgno === 1 ? 100 : 0;
      const type = pg[base]!;
      if (type !== 0x05 && type !== 0x0d) this.f.bad(`page ${pgno} has type ${type}, not a table B-tree page`);
      const leaf = type === 0x0d;
      const cells = pg.readUInt16BE(base + 3);
      const ptrs = base + (leaf ? 8 : 12);
      if (ptrs + 2 * cells > this.usable) this.f.bad(`page ${pgno} claims ${cells} cells, more than fit`);
      const cellAt = (i: number): number => {
        const c = pg.readUInt16BE(ptrs + 2 * i);
        if (c < ptrs + 2 * cells || c >= this.usable) this.f.bad(`page ${pgno} cell ${i} points outside the page (${c})`);
        return c;
      };
      if (!leaf) {
        // children pushed right-most first so the left-most is walked first
        const right = pg.readUInt32BE(base + 8);
        stack.push([right, depth + 1]);
        for (let i = cells - 1; i >= 0; i--) stack.push([this.u32(pg, cellAt(i), pgno), depth + 1]);
        continue;
      }
      for (let i = 0; i < cells; i++) {
        let off = cellAt(i);
        const [size, o1] = this.varint(pg, off, pgno);
        const [rowid, o2] = this.varint(pg, o1, pgno);
        off = o2;
        yield { rowid, values: this.record(this.payload(pg, pgno, off, size, seen)) };
      }
    }
  }

  /** payload gathers a cell's payload: the local part, then the overflow chain. */
  private payload(pg: Buffer, pgno: number, off: number, size: number, seen: Set<number>): Buffer {
    if (size > MAX_PAYLOAD || size > this.pageCount * this.usable) this.f.bad(`page ${pgno}: a record of ${size} bytes (over the limit or larger than the file)`);
    const U = this.usable;
    const X = U - 35;
    if (size <= X) {
      if (off + size > U) this.f.bad(`page ${pgno}: a record runs past the page end`);
      return pg.subarray(off, off + size);
    }
    const M = Math.floor(((U - 12) * 32) / 255) - 23;
    const K = M + ((size - M) % (U - 4));
    const local = K <= X ? K : M;
    if (off + local + 4 > U) this.f.bad(`page ${pgno}: a record runs past the page end`);
    const out = Buffer.alloc(size);
    pg.copy(out, 0, off, off + local);
    let got = local;
    let next = pg.readUInt32BE(off + local);
    while (got < size) {
      if (seen.has(next)) this.f.bad(`overflow page ${next} is reached twice (a cycle)`);
      seen.add(next);
      const ov = this.page(next);
      const n = Math.min(U - 4, size - got);
      ov.copy(out, got, 4, 4 + n);
      got += n;
      next = ov.readUInt32BE(0);
    }
    return out;
  }

  private u32(pg: Buffer, off: number, pgno: number): number {
    if (off + 4 > this.usable) this.f.bad(`page ${pgno}: a child pointer runs past the page end`);
    return pg.readUInt32BE(off);
  }

  /** varint reads SQLite's 1–9 byte big-endian varint (as a number; values past 2^53 lose precision, and are rejected where it matters). */
  private varint(b: Buffer, off: number, where: number | string, end = this.usable): [number, number] {
    let v = 0;
    for (let i = 0; i < 9; i++) {
      if (off + i >= end) this.f.bad(`${typeof where === 'number' ? `page ${where}` : where}: a varint runs past its end`);
      const c = b[off + i]!;
      if (i === 8) return [v * 256 + c, off + 9];
      v = v * 128 + (c & 0x7f);
      if (!(c & 0x80)) return [v, off + i + 1];
    }
    return [v, off + 9];
  }

  /** record decodes the record format: header of serial types, then the values. */
  private record(p: Buffer): SqlValue[] {
    const [hsize, h0] = this.varint(p, 0, 'a record', p.length);
    if (hsize > p.length || hsize < h0) this.f.bad(`a record header of ${hsize} bytes in a ${p.length}-byte record`);
    const types: number[] = [];
    for (let o = h0; o < hsize;) {
      const [t, o2] = this.varint(p, o, 'a record header', hsize);
      // SQLite's hard column limit: a longer header is an attack on memory, not a table
      if (types.push(t) > 32767) this.f.bad('a record with more than 32767 columns');
      o = o2;
    }
    const out: SqlValue[] = [];
    let o = hsize;
    for (const t of types) {
      const len = t >= 12 ? Math.floor((t - 12) / 2) : [0, 1, 2, 3, 4, 6, 8, 8, 0, 0, 0, 0][t]!;
      if (t === 10 || t === 11) this.f.bad(`reserved serial type ${t} in a record`);
      if (o + len > p.length) this.f.bad(`a record value runs past the record end`);
      const v = p.subarray(o, o + len);
      o += len;
      if (t === 0) out.push(null);
      else if (t >= 1 && t <= 5) out.push(v.readIntBE(0, len));
      else if (t === 6) { const big = v.readBigInt64BE(0); out.push(big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big); }
      else if (t === 7) out.push(v.readDoubleBE(0));
      else if (t === 8 || t === 9) out.push(t - 8);
      else out.push(t % 2 === 0 ? Buffer.from(v) : this.textDecoder(v));
    }
    return out;
  }
}

/** walChecksum: SQLite's WAL checksum over 32-bit words (big-endian when the magic's low bit is set). */
function walChecksum(b: Buffer, be: boolean, s0: number, s1: number): [number, number] {
  for (let i = 0; i + 8 <= b.length; i += 8) {
    const x0 = be ? b.readUInt32BE(i) : b.readUInt32LE(i);
    const x1 = be ? b.readUInt32BE(i + 4) : b.readUInt32LE(i + 4);
    s0 = (s0 + x0 + s1) >>> 0;
    s1 = (s1 + x1 + s0) >>> 0;
  }
  return [s0, s1];
}
