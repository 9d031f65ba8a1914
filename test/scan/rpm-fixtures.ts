// test/scan/rpm-fixtures.ts — make rpm databases for the tests: rpmbuild + rpm --justdb, hand-built header blobs, python sqlite3, db5.3_load, NDB (tests)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const has = (cmd: string, arg = '--version'): boolean => spawnSync(cmd, [arg], { stdio: 'ignore' }).status === 0;
export const RPM_REASON = !(has('rpm') && has('rpmbuild')) && 'rpm/rpmbuild are not installed (apt-get install rpm)';
export const PY_REASON = spawnSync('python3', ['-c', 'import sqlite3'], { stdio: 'ignore' }).status !== 0 && 'python3 with sqlite3 is not installed';
export const BDB_REASON = !has('db5.3_load', '-V') && 'db5.3_load is not installed (apt-get install db5.3-util)';

export interface PkgSpec { name: string; version: string; release: string; epoch?: number; arch?: string; sourceRpm?: string; vendor?: string; padding?: number }

/** headerBlob builds an rpmdb header blob (no magic) by hand: il, dl, index entries, data. */
export function headerBlob(p: PkgSpec, extra: Array<{ tag: number; type: number; data: Buffer; count?: number }> = []): Buffer {
  const entries: Array<{ tag: number; type: number; data: Buffer; count: number; align: number }> = [];
  const s = (tag: number, v: string | undefined): void => { if (v !== undefined) entries.push({ tag, type: 6, data: Buffer.from(`${v}\0`), count: 1, align: 1 }); };
  s(1000, p.name); s(1001, p.version); s(1002, p.release);
  if (p.epoch !== undefined) { const b = Buffer.alloc(4); b.writeUInt32BE(p.epoch); entries.push({ tag: 1003, type: 4, data: b, count: 1, align: 4 }); }
  s(1011, p.vendor); s(1022, p.arch); s(1044, p.sourceRpm);
  if (p.padding) entries.push({ tag: 1005, type: 6, data: Buffer.from(`${'d'.repeat(p.padding)}\0`), count: 1, align: 1 }); // DESCRIPTION-sized filler
  for (const e of extra) entries.push({ ...e, count: e.count ?? 1, align: 1 });
  const parts: Buffer[] = [];
  const index: Buffer[] = [];
  let off = 0;
  for (const e of entries) {
    const pad = (e.align - (off % e.align)) % e.align;
    if (pad) { parts.push(Buffer.alloc(pad)); off += pad; }
    const ie = Buffer.alloc(16);
    ie.writeUInt32BE(e.tag, 0); ie.writeUInt32BE(e.type, 4); ie.writeUInt32BE(off, 8); ie.writeUInt32BE(e.count, 12);
    index.push(ie);
    parts.push(e.data);
    off += e.data.length;
  }
  const head = Buffer.alloc(8);
  head.writeUInt32BE(entries.length, 0);
  head.writeUInt32BE(off, 4);
  return Buffer.concat([head, ...index, ...parts]);
}

/** rpmbuildAll builds one noarch rpm per spec (one spec file, subpackages) and returns their paths. */
export function rpmbuildAll(dir: string, pkgs: readonly PkgSpec[]): string[] {
  const top = join(dir, 'rpmbuild');
  mkdirSync(join(top, 'SPECS'), { recursive: true });
  const lines = ['Name: tss-fixture', 'Version: 1', 'Release: 1', 'Summary: fixture', 'License: MIT', 'BuildArch: noarch', '%description', 'fixture'];
  for (const p of pkgs) {
    lines.push(`%package -n ${p.name}`, `Summary: ${p.name}`, `Version: ${p.version}`, `Release: ${p.release}`);
    if (p.epoch !== undefined) lines.push(`Epoch: ${p.epoch}`);
    if (p.vendor) lines.push(`Vendor: ${p.vendor}`);
    lines.push(`%description -n ${p.name}`, p.padding ? 'x'.repeat(p.padding) : p.name, `%files -n ${p.name}`);
  }
  writeFileSync(join(top, 'SPECS', 'f.spec'), `${lines.join('\n')}\n`);
  execFileSync('rpmbuild', ['--define', `_topdir ${top}`, '-bb', join(top, 'SPECS', 'f.spec')], { stdio: 'ignore' });
  const out = join(top, 'RPMS', 'noarch');
  return readdirSync(out).filter((f) => pkgs.some((p) => f.startsWith(`${p.name}-${p.version}-`))).map((f) => join(out, f));
}

/** rpmJustDb registers rpms into a fresh database under root/dbpath with rpm itself. */
export function rpmJustDb(root: string, dbpath: string, rpms: readonly string[], backend = 'sqlite'): void {
  mkdirSync(root, { recursive: true });
  execFileSync('rpm', ['--root', root, '--dbpath', dbpath, '--define', `_db_backend ${backend}`, '-i', '--nodeps', '--justdb', '--nosignature', '--nodigest', ...rpms], { stdio: 'ignore' });
}

/** rpmQa lists "name evr arch" as rpm itself reads the database (the oracle for our reader). */
export function rpmQa(root: string, dbpath: string, backend = 'sqlite'): string[] {
  const out = execFileSync('rpm', ['--root', root, '--dbpath', dbpath, '--define', `_db_backend ${backend}`, '-qa', '--qf', '%{NAME} %|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE} %{ARCH}\\n'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.trim().split('\n').filter(Boolean).map((l) => l.replace(/ 0:/, ' ')).sort();
}

/**
 * sqliteDb writes rpm's Packages table with the given blobs using python's sqlite3. With
 * wal.extra, the database is put in WAL mode and those blobs are committed to the -wal only
 * (python keeps the connection open while the files are copied, so nothing is checkpointed).
 */
export function sqliteDb(path: string, blobs: readonly Buffer[], opts: { pageSize?: number; walExtra?: readonly Buffer[]; walCopyTo?: string } = {}): void {
  const py = `
import sqlite3, sys, shutil, json
args = json.loads(sys.stdin.read())
c = sqlite3.connect(args['path'], isolation_level=None)
c.execute('pragma page_size=%d' % args['pageSize'])
c.execute("CREATE TABLE IF NOT EXISTS 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT,blob BLOB NOT NULL)")
c.execute("CREATE TABLE IF NOT EXISTS 'Name' (key 'TEXT' NOT NULL, hnum INTEGER NOT NULL, idx INTEGER NOT NULL)")
c.execute('begin')
for b in args['blobs']: c.execute('insert into Packages(blob) values (?)', (bytes.fromhex(b),))
c.execute('commit')
if args['walCopyTo']:
    c.execute('pragma journal_mode=wal'); c.execute('pragma wal_autocheckpoint=0')
    c.execute('begin')
    for b in args['walExtra']: c.execute('insert into Packages(blob) values (?)', (bytes.fromhex(b),))
    c.execute('commit')
    shutil.copyfile(args['path'], args['walCopyTo']); shutil.copyfile(args['path'] + '-wal', args['walCopyTo'] + '-wal')
c.close()
`;
  execFileSync('python3', ['-c', py], { input: JSON.stringify({ path, pageSize: opts.pageSize ?? 4096, blobs: blobs.map((b) => b.toString('hex')), walExtra: (opts.walExtra ?? []).map((b) => b.toString('hex')), walCopyTo: opts.walCopyTo ?? '' }), stdio: ['pipe', 'ignore', 'inherit'] });
}

/** bdbDb writes a BerkeleyDB hash database keyed like rpm's (u32 little-endian instance) with db5.3_load. */
export function bdbDb(path: string, blobs: readonly Buffer[], pageSize: number): void {
  const lines = ['VERSION=3', 'format=bytevalue', 'type=hash', `db_pagesize=${pageSize}`, 'HEADER=END'];
  for (const [i, b] of blobs.entries()) { const k = Buffer.alloc(4); k.writeUInt32LE(i + 1); lines.push(` ${k.toString('hex')}`, ` ${b.toString('hex')}`); }
  lines.push('DATA=END');
  execFileSync('db5.3_load', [path], { input: `${lines.join('\n')}\n`, stdio: ['pipe', 'ignore', 'inherit'] });
}

const u32le = (...v: number[]): Buffer => { const b = Buffer.alloc(4 * v.length); v.forEach((x, i) => b.writeUInt32LE(x >>> 0, 4 * i)); return b; };
const magic = (s: string): number => Buffer.from(s, 'latin1').readUInt32LE(0);

/** ndbDb builds an NDB Packages.db as rpm's lib/backend/ndb/rpmpkg.c lays it out (one slot page). */
export function ndbDb(blobs: readonly Buffer[]): Buffer {
  const PAGE = 4096;
  const slots = Buffer.alloc(PAGE);
  u32le(magic('RpmP'), 0, 1, 1, blobs.length + 1).copy(slots, 0);
  for (let off = 32; off < PAGE; off += 16) u32le(magic('Slot'), 0, 0, 0).copy(slots, off); // free: block offset 0
  const areas: Buffer[] = [];
  let blk = PAGE / 16;
  for (const [i, b] of blobs.entries()) {
    const span = Math.ceil((16 + b.length + 12) / 16) * 16;
    const area = Buffer.alloc(span);
    u32le(magic('BlbS'), i + 1, 1, b.length).copy(area, 0);
    b.copy(area, 16);
    let s1 = 1; let s2 = 0;
    for (const c of area.subarray(0, span - 12)) { s1 = (s1 + c) % 65521; s2 = (s2 + s1) % 65521; }
    u32le(((s2 << 16) | s1) >>> 0, b.length, magic('BlbE')).copy(area, span - 12);
    u32le(magic('Slot'), i + 1, blk, span / 16).copy(slots, 32 + 16 * i);
    areas.push(area);
    blk += span / 16;
  }
  return Buffer.concat([slots, ...areas]);
}
