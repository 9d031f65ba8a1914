// image/scan/rpm-ndb.ts — the blobs of rpm's NDB package database, Packages.db (SUSE, rpm ≥ 4.16 "ndb" backend) (CLI process)
//
// Layout per rpm lib/backend/ndb/rpmpkg.c (little-endian u32s): a 32-byte header ("RpmP",
// version 0, generation, slot pages, next index), then slotnpages × 4096 bytes of 16-byte slots
// ("Slot", pkgidx, block offset, block count; pkgidx 0 = free), the first two slots being the
// header. A blob sits at blkoff × 16: head ("BlbS", pkgidx, generation, length), the header
// bytes, and at the end of its blocks a tail (adler32, length, "BlbE").
import type { DbFile } from './db-file.js';
import { MAX_PAYLOAD } from './sqlite-file.js';

const tag = (s: string): number => s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24 >>> 0);
const DB_MAGIC = tag('RpmP') >>> 0;
const SLOT_MAGIC = tag('Slot') >>> 0;
const HEAD_MAGIC = tag('BlbS') >>> 0;
const TAIL_MAGIC = tag('BlbE') >>> 0;
const PAGE = 4096;
const SLOT = 16;
const BLK = 16;
/** rpm caps slot pages likewise; more would be millions of packages */
const MAX_SLOT_PAGES = 4096;

export interface NdbBlob { readonly pkgidx: number; readonly blob: Buffer }

/** ndbBlobs yields every package blob of an NDB Packages.db in slot order. */
export function* ndbBlobs(f: DbFile): Generator<NdbBlob> {
  if (f.size < PAGE) f.bad('too short for an NDB package database');
  const h = f.read(0, 32);
  if (h.readUInt32LE(0) !== DB_MAGIC) f.bad('not an NDB package database (bad magic)');
  if (h.readUInt32LE(4) !== 0) f.bad(`unsupported NDB version ${h.readUInt32LE(4)}`);
  const slotPages = h.readUInt32LE(12);
  if (slotPages < 1 || slotPages > MAX_SLOT_PAGES || slotPages * PAGE > f.size) f.bad(`bad slot page count ${slotPages}`);
  const slots = f.read(0, slotPages * PAGE);
  const used = new Set<number>();
  const found: Array<{ pkgidx: number; start: number; span: number }> = [];
  for (let off = 32; off + SLOT <= slots.length; off += SLOT) {
    if (slots.readUInt32LE(off) !== SLOT_MAGIC) f.bad(`slot at offset ${off} has a bad magic`);
    const pkgidx = slots.readUInt32LE(off + 4);
    if (pkgidx === 0) continue;
    const start = slots.readUInt32LE(off + 8) * BLK;
    const span = slots.readUInt32LE(off + 12) * BLK;
    if (used.has(pkgidx)) f.bad(`package index ${pkgidx} has two slots`);
    used.add(pkgidx);
    if (start < slotPages * PAGE || span < 16 + 12 || span > MAX_PAYLOAD + 28 || start + span > f.size) f.bad(`slot of package ${pkgidx} points outside the blob area (${start / BLK}+${span / BLK} blocks)`);
    found.push({ pkgidx, start, span });
  }
  // overlapping blobs would let a small file be read many times over: rpm never writes them
  const byStart = [...found].sort((a, b) => a.start - b.start);
  for (let i = 1; i < byStart.length; i++) {
    if (byStart[i]!.start < byStart[i - 1]!.start + byStart[i - 1]!.span) f.bad(`blobs of packages ${byStart[i - 1]!.pkgidx} and ${byStart[i]!.pkgidx} overlap`);
  }
  for (const { pkgidx, start, span } of found) {
    const head = f.read(start, 16);
    if (head.readUInt32LE(0) !== HEAD_MAGIC || head.readUInt32LE(4) !== pkgidx) f.bad(`blob of package ${pkgidx} has a bad head`);
    const len = head.readUInt32LE(12);
    if (len + 16 + 12 > span) f.bad(`blob of package ${pkgidx} claims ${len} bytes in ${span}`);
    const tail = f.read(start + span - 12, 12);
    if (tail.readUInt32LE(8) !== TAIL_MAGIC || tail.readUInt32LE(4) !== len) f.bad(`blob of package ${pkgidx} has a bad tail`);
    yield { pkgidx, blob: f.read(start + 16, len) };
  }
}
