// image/scan/rpm-bdb.ts — the values of a BerkeleyDB hash database: rpm's legacy var/lib/rpm/Packages (RHEL ≤ 8) (CLI process)
//
// Read like rpm's own read-only bdb_ro backend and go-rpmdb do: the meta page gives page size,
// byte order and the last page; every hash page's key/data pairs are read in page order, a data
// item is inline (H_KEYDATA) or an overflow chain (H_OFFPAGE). Layout: Berkeley DB 5.3
// dbinc/db_page.h. Each page is read at most once per role, every length is checked.
import type { DbFile } from './db-file.js';
import { MAX_PAYLOAD } from './sqlite-file.js';

const HASH_MAGIC = 0x061561;
const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASHMETA = 8;
const P_HASH = 13;
const H_KEYDATA = 1;
const H_OFFPAGE = 3;
const PAGE_HDR = 26;

export interface BdbValue { readonly key: Buffer; readonly value: Buffer }

/** bdbHashValues yields every key/value pair of a hash database (duplicates are not used by rpm and are skipped). */
export function* bdbHashValues(f: DbFile): Generator<BdbValue> {
  if (f.size < 512) f.bad('too short for a BerkeleyDB database');
  const meta = f.read(0, 72);
  const le = meta.readUInt32LE(12) === HASH_MAGIC;
  if (!le && meta.readUInt32BE(12) !== HASH_MAGIC) f.bad('not a BerkeleyDB hash database (bad magic)');
  const u32 = (b: Buffer, o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const u16 = (b: Buffer, o: number): number => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const pageSize = u32(meta, 20);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1))) f.bad(`bad page size ${pageSize}`);
  if (meta[25] !== P_HASHMETA) f.bad(`page 0 has type ${meta[25]}, not a hash meta page`);
  if (meta[24] !== 0) f.bad('encrypted BerkeleyDB databases are not supported');
  if (meta[26]! & 1) f.bad('checksummed BerkeleyDB pages are not supported');
  const lastPg = Math.min(u32(meta, 32), Math.floor(f.size / pageSize) - 1);
  const overflowSeen = new Set<number>();

  const overflow = (start: number, tlen: number, where: number): Buffer => {
    if (tlen > MAX_PAYLOAD || tlen > f.size) f.bad(`page ${where}: an overflow item of ${tlen} bytes (over the limit or larger than the file)`);
    const out = Buffer.alloc(tlen);
    let got = 0;
    for (let pg = start; got < tlen;) {
      if (pg < 1 || pg > lastPg) f.bad(`page ${where}: overflow page ${pg} is outside 1..${lastPg}`);
      if (overflowSeen.has(pg)) f.bad(`overflow page ${pg} is reached twice (a cycle or a shared chain)`);
      overflowSeen.add(pg);
      const p = f.read(pg * pageSize, pageSize);
      if (p[25] !== P_OVERFLOW) f.bad(`page ${pg} has type ${p[25]}, not an overflow page`);
      const len = u16(p, 22); // OV_LEN: bytes of data on this overflow page
      if (len > pageSize - PAGE_HDR || len > tlen - got) f.bad(`overflow page ${pg} claims ${len} bytes`);
      if (len === 0) f.bad(`overflow page ${pg} holds no data`);
      p.copy(out, got, PAGE_HDR, PAGE_HDR + len);
      got += len;
      pg = u32(p, 16);
    }
    return out;
  };

  for (let pgno = 1; pgno <= lastPg; pgno++) {
    const p = f.read(pgno * pageSize, pageSize);
    if (p[25] !== P_HASH && p[25] !== P_HASH_UNSORTED) continue;
    const entries = u16(p, 20);
    if (PAGE_HDR + 2 * entries > pageSize) f.bad(`page ${pgno} claims ${entries} entries, more than fit`);
    const inp = (i: number): number => {
      const o = u16(p, PAGE_HDR + 2 * i);
      if (o < PAGE_HDR + 2 * entries || o >= pageSize) f.bad(`page ${pgno} entry ${i} points outside the page (${o})`);
      return o;
    };
    // items are packed downward from the page end: an item ends where the previous one starts
    const item = (i: number): Buffer => {
      const start = inp(i);
      const end = i === 0 ? pageSize : inp(i - 1);
      if (end <= start) f.bad(`page ${pgno} entry ${i} has a negative length`);
      return p.subarray(start, end);
    };
    for (let i = 0; i + 1 < entries; i += 2) {
      const k = item(i);
      const d = item(i + 1);
      const key = k[0] === H_KEYDATA ? k.subarray(1) : Buffer.alloc(0);
      if (d[0] === H_KEYDATA) yield { key, value: Buffer.from(d.subarray(1)) };
      else if (d[0] === H_OFFPAGE) {
        if (d.length < 12) f.bad(`page ${pgno} entry ${i + 1}: a short off-page item`);
        yield { key, value: overflow(u32(d, 4), u32(d, 8), pgno) };
      }
    }
  }
}
