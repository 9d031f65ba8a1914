// test/scan/rpm-db.test.ts — rpm inventories from sqlite (with WAL), BerkeleyDB and NDB databases made in the test, and hostile ones (host)
import t from 'tap';
import { mkdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { rpmBlobs, rpmInventory, type RpmDbFormat } from '../../image/scan/rpm-db.js';
import { DbCorrupt, withDb } from '../../image/scan/db-file.js';
import { SqliteFile } from '../../image/scan/sqlite-file.js';
import { parseRpmHeader, RpmHeaderError } from '../../image/scan/rpm-header.js';
import { tempDir } from './fixtures.js';
import { stackedPath } from '../../image/scan/walk.js';
import { BDB_REASON, PY_REASON, RPM_REASON, bdbDb, headerBlob, ndbDb, rpmbuildAll, rpmJustDb, rpmQa, sqliteDb, type PkgSpec } from './rpm-fixtures.js';

const list = (layers: string[]): string[] => rpmInventory(layers).packages.map((p) => `${p.name} ${p.version} ${p.arch ?? '-'}`).sort();
const place = (layer: string, rel: string, data: Buffer): void => { mkdirSync(dirname(join(layer, rel)), { recursive: true }); writeFileSync(join(layer, rel), data); };

// enough packages, some with large descriptions, for interior B-tree pages and overflow chains
const SPECS: PkgSpec[] = Array.from({ length: 60 }, (_, i) => ({
  name: `pkg${i}`, version: `${i}.${i % 7}.0`, release: `${(i % 3) + 1}.fc39`, ...(i % 4 === 1 ? { epoch: i % 5 } : {}), padding: (i % 5) * 3000,
}));
const HAND = (n: number): Buffer[] => Array.from({ length: n }, (_, i) => headerBlob({ name: `hand${i}`, version: `1.${i}`, release: '1.el9', arch: 'x86_64', sourceRpm: `handsrc-1.${i}-1.el9.src.rpm`, ...(i === 2 ? { epoch: 3 } : {}), padding: i % 3 ? 0 : 9000 }));
const HAND_LIST = (n: number): string[] => Array.from({ length: n }, (_, i) => `hand${i} ${i === 2 ? '3:' : ''}1.${i}-1.el9 x86_64`).sort();

let rpms: string[] = [];
t.before(() => { if (!RPM_REASON) rpms = rpmbuildAll(tempDir(t, 'tss-rpmbuild-'), SPECS); });

t.test('rpmdb.sqlite written by rpm itself reads as rpm -qa reads it', { skip: RPM_REASON }, async (t) => {
  const layer = tempDir(t, 'tss-rpm-');
  rpmJustDb(layer, '/var/lib/rpm', rpms);
  const want = rpmQa(layer, '/var/lib/rpm');
  t.equal(want.length, SPECS.length);
  t.same(list([layer]), want);
  const db = withDb(join(layer, 'var/lib/rpm/rpmdb.sqlite'), 'x', (f) => { const s = new SqliteFile(f); return { pages: s.pageCount, root: s.schema().find((r) => r.name === 'Packages')!.rootpage, s }; });
  t.ok(db.pages > SPECS.length, 'large headers spill into overflow pages');
  const p = rpmInventory([layer]).packages.find((x) => x.name === 'pkg9')!;
  t.same({ ...p }, { ecosystem: 'rpm', name: 'pkg9', version: '4:9.2.0-1.fc39', source: 'tss-fixture', arch: 'noarch', db: 'var/lib/rpm/rpmdb.sqlite', layer: 0 }, 'epoch, source rpm name, arch, db and layer');
});

t.test('Fedora layout: var/lib/rpm → usr/lib/sysimage/rpm resolved inside the image, never on the host', { skip: RPM_REASON }, async (t) => {
  const lower = tempDir(t, 'tss-rpm-');
  const upper = tempDir(t, 'tss-rpm-');
  rpmJustDb(upper, '/usr/lib/sysimage/rpm', rpms.slice(0, 5));
  mkdirSync(join(upper, 'var/lib'), { recursive: true });
  symlinkSync('../../usr/lib/sysimage/rpm', join(upper, 'var/lib/rpm'));
  place(lower, 'var/lib/rpm/Packages', Buffer.alloc(8192, 7));
  const inv = rpmInventory([lower, upper]);
  t.equal(inv.packages.length, 5);
  t.same(inv.problems, [], 'the lower garbage Packages is hidden behind the symlinked var/lib/rpm');
  t.same(inv.notes, [], 'var/lib/rpm/rpmdb.sqlite is the same file, not a second database');
  t.equal(inv.packages[0]!.layer, 1);
  t.equal(inv.packages[0]!.db, 'usr/lib/sysimage/rpm/rpmdb.sqlite');
  // the symlink in the upper layer, the database in the lower one: resolved in the stacked view
  const l2 = tempDir(t, 'tss-rpm-');
  rpmJustDb(l2, '/usr/lib/sysimage/rpm', rpms.slice(0, 3));
  const u2 = tempDir(t, 'tss-rpm-');
  mkdirSync(join(u2, 'var/lib'), { recursive: true });
  symlinkSync('/usr/lib/sysimage/rpm', join(u2, 'var/lib/rpm'));
  t.equal(stackedPath([l2, u2], 'var/lib/rpm/rpmdb.sqlite')?.layer, 0, 'an absolute target is taken from the image root');
  symlinkSync('../../../../../../../..', join(u2, 'up'));
  t.equal(stackedPath([l2, u2], 'up/usr/lib/sysimage/rpm/rpmdb.sqlite')?.layer, 0, '.. stops at the image root');
  symlinkSync('loop', join(u2, 'loop'));
  t.equal(stackedPath([l2, u2], 'loop/x'), undefined, 'a symlink loop ends');
  // a symlink out of the image (absolute, to the host) is not followed either
  const evil = tempDir(t, 'tss-rpm-');
  mkdirSync(join(evil, 'var/lib'), { recursive: true });
  symlinkSync(join(upper, 'usr/lib/sysimage/rpm'), join(evil, 'var/lib/rpm'));
  t.same(rpmInventory([evil]), { packages: [], problems: [], notes: [] });
});

t.test('sqlite WAL: committed frames are read, a torn commit is not', { skip: PY_REASON }, async (t) => {
  const dir = tempDir(t, 'tss-rpm-');
  const layer = join(dir, 'layer');
  const blobs = HAND(8);
  mkdirSync(join(layer, 'var/lib/rpm'), { recursive: true });
  sqliteDb(join(dir, 'work.sqlite'), blobs.slice(0, 5), { walExtra: blobs.slice(5), walCopyTo: join(layer, 'var/lib/rpm/rpmdb.sqlite') });
  t.same(list([layer]), HAND_LIST(8), 'the WAL holds the last three');
  const wal = join(layer, 'var/lib/rpm/rpmdb.sqlite-wal');
  const bytes = readFileSync(wal);
  truncateSync(wal, bytes.length - 100);
  t.same(list([layer]), HAND_LIST(5), 'a torn last frame drops its whole transaction');
  const flipped = Buffer.from(bytes);
  flipped[flipped.length - 10]! ^= 0xff;
  writeFileSync(wal, flipped);
  t.same(list([layer]), HAND_LIST(5), 'a checksum mismatch ends the log');
  writeFileSync(wal, Buffer.concat([Buffer.from('garbage!'), bytes.subarray(8)]));
  t.match(rpmInventory([layer]).problems[0]?.reason, /`var\/lib\/rpm\/rpmdb.sqlite-wal`: not an SQLite WAL/);
});

t.test('sqlite page sizes 512…65536: deep trees and long overflow chains, blobs byte-exact', { skip: PY_REASON }, async (t) => {
  const dir = tempDir(t, 'tss-rpm-');
  const blobs = Array.from({ length: 120 }, (_, i) => headerBlob({ name: `n${i}`, version: '1', release: '1', padding: (i * 997) % 70000 }));
  for (const pageSize of [512, 4096, 65536]) {
    const path = join(dir, `ps${pageSize}.sqlite`);
    sqliteDb(path, blobs, { pageSize });
    const got = rpmBlobs(path, 'x', 'sqlite');
    t.equal(got.length, blobs.length, `page size ${pageSize}: every row`);
    t.ok(got.every((b, i) => b.equals(blobs[i]!)), `page size ${pageSize}: every blob byte for byte`);
  }
});

t.test('headers: hand-built blobs, gpg-pubkey skipped, malformed ones counted and the rest read', { skip: PY_REASON }, async (t) => {
  const layer = tempDir(t, 'tss-rpm-');
  const good = HAND(3);
  const absurd = Buffer.from(good[0]!); absurd.writeUInt32BE(0x7fffffff, 0);
  const outside = Buffer.from(good[1]!); outside.writeUInt32BE(0x00ffffff, 8 + 8);
  const unterminated = headerBlob({ name: 'x', version: '1', release: '1' }); unterminated[unterminated.length - 1] = 0x41;
  const withMagic = Buffer.concat([Buffer.from('8eade80100000000', 'hex'), headerBlob({ name: 'magic', version: '2', release: '1' })]);
  const key = headerBlob({ name: 'gpg-pubkey', version: 'fd431d51', release: '4ae0493b' });
  mkdirSync(join(layer, 'var/lib/rpm'), { recursive: true });
  sqliteDb(join(layer, 'var/lib/rpm/rpmdb.sqlite'), [...good, absurd, outside, unterminated, withMagic, key, Buffer.alloc(3)]);
  t.same(list([layer]), [...HAND_LIST(3), 'magic 2-1 -'].sort());
  const inv = rpmInventory([layer]);
  t.match(inv.problems[0]?.reason, /^4 of 9 package headers are malformed \(header 4: index count 2147483647 is out of range; header 5: tag 1000 offset 16777215 is outside/);
  t.throws(() => parseRpmHeader(unterminated), { message: 'tag 1002 string is not terminated inside the data' });
});

t.test('BerkeleyDB hash Packages (db5.3_load): overflow and inline values, as rpm bdb_ro reads it', { skip: BDB_REASON }, async (t) => {
  for (const pageSize of [4096, 65536]) {
    const layer = tempDir(t, 'tss-rpm-');
    mkdirSync(join(layer, 'var/lib/rpm'), { recursive: true });
    bdbDb(join(layer, 'var/lib/rpm/Packages'), HAND(12), pageSize);
    t.same(list([layer]), HAND_LIST(12), `page size ${pageSize}`);
    if (!RPM_REASON) t.same(rpmQa(layer, '/var/lib/rpm', 'bdb_ro'), HAND_LIST(12), 'rpm reads the same fixture');
  }
});

t.test('NDB Packages.db (SUSE): slots and blobs, checked as rpmpkg.c checks them (bounds, overlap, exact size, adler32)', async (t) => {
  const layer = tempDir(t, 'tss-rpm-');
  place(layer, 'usr/lib/sysimage/rpm/Packages.db', ndbDb(HAND(7)));
  t.same(list([layer]), HAND_LIST(7));
  const bad = ndbDb(HAND(2));
  bad.writeUInt32LE(0xffffff, 32 + 8); // the first slot's block offset far past the end
  place(layer, 'usr/lib/sysimage/rpm/Packages.db', bad);
  t.match(rpmInventory([layer]).problems[0]?.reason, /^read package database `usr\/lib\/sysimage\/rpm\/Packages.db`: slot of package 1 points outside/);
  const overlap = ndbDb(HAND(2));
  overlap.writeUInt32LE(overlap.readUInt32LE(32 + 8) + 1, 48 + 8); // the second blob starts inside the first
  place(layer, 'usr/lib/sysimage/rpm/Packages.db', overlap);
  t.match(rpmInventory([layer]).problems[0]?.reason, /blobs of packages 1 and 2 overlap/);
  const flipped = ndbDb(HAND(2));
  flipped[4096 + 40]! ^= 1; // a byte of the first header blob
  place(layer, 'usr/lib/sysimage/rpm/Packages.db', flipped);
  t.match(rpmInventory([layer]).problems[0]?.reason, /blob of package 1 fails its adler32 check/);
});

/** hostile: each mutation of a valid sqlite db must give a DbCorrupt naming the file. */
t.test('hostile sqlite: truncated, cyclic, bad pointers, absurd sizes', { skip: PY_REASON }, async (t) => {
  const dir = tempDir(t, 'tss-rpm-');
  const path = join(dir, 'good.sqlite');
  sqliteDb(path, HAND(40), { pageSize: 1024 });
  const good = readFileSync(path);
  const info = withDb(path, 'x', (f) => { const s = new SqliteFile(f); return { root: s.schema().find((r) => r.name === 'Packages')!.rootpage, ps: s.pageSize }; });
  const rootOff = (info.root - 1) * info.ps;
  t.equal(good[rootOff], 0x05, 'the fixture has an interior root page');
  const cases: Array<[string, (b: Buffer) => Buffer, RegExp]> = [
    ['truncated', (b) => b.subarray(0, Math.floor(b.length / 2)), /outside/],
    ['cyclic right pointer', (b) => { b.writeUInt32BE(info.root, rootOff + 8); return b; }, /reached twice \(a cycle/],
    ['cyclic child pointer', (b) => { b.writeUInt32BE(info.root, rootOff + b.readUInt16BE(rootOff + 12)); return b; }, /reached twice \(a cycle/],
    ['cell pointer outside the page', (b) => { b.writeUInt16BE(0xfff0, rootOff + 12); return b; }, /outside the page/],
    ['absurd cell count', (b) => { b.writeUInt16BE(0xffff, rootOff + 3); return b; }, /claims 65535 cells/],
    ['bad page type', (b) => { b[rootOff] = 0x0a; return b; }, /not a table B-tree page/],
    ['bad magic', (b) => { b.write('SQLite format 4', 0); return b; }, /bad magic/],
    ['bad page size', (b) => { b.writeUInt16BE(1000, 16); return b; }, /bad page size/],
  ];
  for (const [name, mutate, want] of cases) {
    const layer = tempDir(t, 'tss-rpm-');
    place(layer, 'var/lib/rpm/rpmdb.sqlite', mutate(Buffer.from(good)));
    const inv = rpmInventory([layer]);
    t.equal(inv.packages.length, 0, name);
    t.match(inv.problems[0]?.reason, new RegExp(`^read package database \`var/lib/rpm/rpmdb.sqlite\`: .*${want.source}`), name);
  }
  // an absurd record size in a leaf cell: find the first leaf page's first cell
  const b = Buffer.from(good);
  const leaf = b.readUInt32BE(rootOff + b.readUInt16BE(rootOff + 12));
  const cell = (leaf - 1) * info.ps + b.readUInt16BE((leaf - 1) * info.ps + 8);
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).copy(b, cell);
  const layer = tempDir(t, 'tss-rpm-');
  place(layer, 'var/lib/rpm/rpmdb.sqlite', b);
  t.match(rpmInventory([layer]).problems[0]?.reason, /a record of \d+ bytes \(over the limit/);
});

/** fuzz: seeded random mutations; the readers may only return or throw DbCorrupt (a RangeError or a hang is a bug). */
t.test('seeded fuzz of every format: only DbCorrupt, never another error', async (t) => {
  const dir = tempDir(t, 'tss-rpm-');
  const seeds: Array<[RpmDbFormat, Buffer]> = [['ndb', ndbDb(HAND(6))]];
  if (!PY_REASON) { sqliteDb(join(dir, 's'), HAND(30), { pageSize: 1024 }); seeds.push(['sqlite', readFileSync(join(dir, 's'))]); }
  if (!BDB_REASON) { bdbDb(join(dir, 'b'), HAND(20), 4096); seeds.push(['bdb', readFileSync(join(dir, 'b'))]); }
  let state = 0x2545f491;
  const rnd = (n: number): number => { state ^= state << 13; state ^= state >>> 17; state ^= state << 5; return (state >>> 0) % n; };
  const file = join(dir, 'fuzz');
  for (const [format, seed] of seeds) {
    let corrupt = 0;
    let other = 0;
    for (let i = 0; i < 400; i++) {
      const b = Buffer.from(seed);
      for (let k = 1 + rnd(8); k > 0; k--) {
        const at = rnd(b.length);
        // structure is hit far more often than blob data would be at random: the first 4 KiB
        // (sqlite_master, BerkeleyDB meta, NDB slots) and the first 16 bytes of any 512-byte page
        const where = [at, at % Math.min(b.length, 4096), Math.min(b.length - 1, at - (at % 512) + rnd(16))][rnd(3)]!;
        b[where] = rnd(3) === 0 ? 0xff : rnd(256);
      }
      writeFileSync(file, rnd(10) === 0 ? b.subarray(0, rnd(b.length)) : b);
      try {
        for (const blob of rpmBlobs(file, 'fuzz', format)) { try { parseRpmHeader(blob); } catch (err) { if (!(err instanceof RpmHeaderError)) throw err; } }
      } catch (err) {
        if (err instanceof DbCorrupt) corrupt++;
        else { other++; if (other < 4) t.fail(`${format} mutation ${i}: ${(err as Error).stack}`); }
      }
    }
    t.equal(other, 0, `${format}: 400 mutations, ${corrupt} rejected as corrupt, no other error`);
  }
});
