// image/scan/rpm-ndb.ts — the blobs of rpm's NDB package database, Packages.db (SUSE, rpm ≥ 4.16 "ndb" backend) (CLI process)
//
// Layout per rpm lib/backend/ndb/rpmpkg.c (little-endian u32s): a 32-byte header ("RpmP",
// version 0, generation, slot pages, next index), then slotnpages × 4096 bytes of 16-byte slots
// ("Slot", pkgidx, block offset, block count; pkgidx 0 = free), the first two slots being the
// header; a slot is free when its block offset is 0. A blob sits at blkoff × 16: head ("BlbS",
// pkgidx, timestamp, length), the header bytes, zero padding to whole blocks and a tail (adler32 of
// everything before it, length, "BlbE"). Checked as rpmpkgReadSlots/rpmpkgReadBlob check them.
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

/** adler32 (RFC 1950), as rpmpkg.c checksums a blob's head, data and padding. */
function adler32(b: Buffer): number {
  let s1 = 1;
  let s2 = 0;
  for (let i = 0; i < b.length;) {
    const end = Math.min(b.length, i + 5552);
    for (; i < end; i++) { s1 += b[i]!; s2 += s1; }
    s1 %= 65521;
    s2 %= 65521;
  }
  return ((s2 << 16) | s1) >>> 0;
}

export interface NdbBlob { readonly pkgidx: number; readonly blob: Buffer }

/** ndbBlobs yields every package blob of an NDB Packages.db in slot order. */
export function* ndbBlobs(f: DbFile): Generator<NdbBlob> {
  if (f.size < PAGE || f.size % BLK) f.bad(`a size of ${f.size} bytes is not an NDB package database (whole 16-byte blocks, at least one page)`);
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
    // as rpmpkgReadSlots: a slot is free when its block offset is 0
    if (slots.readUInt32LE(off + 8) === 0) continue;
    const pkgidx = slots.readUInt32LE(off + 4);
    const start = slots.readUInt32LE(off + 8) * BLK;
    const span = slots.readUInt32LE(off + 12) * BLK;
    if (pkgidx === 0) f.bad(`slot at offset ${off} is used but names package 0`);
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
    // rpm sizes every blob exactly: head + data + tail rounded up to whole blocks
    if (Math.ceil((16 + len + 12) / BLK) * BLK !== span) f.bad(`blob of package ${pkgidx} claims ${len} bytes in ${span}`);
    const area = f.read(start, span);
    if (area.readUInt32LE(span - 4) !== TAIL_MAGIC || area.readUInt32LE(span - 8) !== len) f.bad(`blob of package ${pkgidx} has a bad tail`);
    if (adler32(area.subarray(0, span - 12)) !== area.readUInt32LE(span - 12)) f.bad(`blob of package ${pkgidx} fails its adler32 check`);
    yield { pkgidx, blob: Buffer.from(area.subarray(16, 16 + len)) };
  }
}
