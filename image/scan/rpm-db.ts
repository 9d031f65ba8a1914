// image/scan/rpm-db.ts — the rpm inventory of a stacked image: rpmdb.sqlite, NDB Packages.db or BerkeleyDB Packages (CLI process)
//
// rpm keeps one database in one of three formats: sqlite (Fedora ≥ 33, RHEL/UBI/Rocky/Alma 9),
// ndb (openSUSE/SLES ≥ 15.?), BerkeleyDB hash (RHEL ≤ 8, CentOS 7). The first one found in that
// order is read — rpm itself reads only the configured backend — and any other is named in a note.
// Fedora ≥ 36 moved the database to usr/lib/sysimage/rpm with var/lib/rpm a symlink; symlinked
// parents resolve inside the image only (walk.ts), the database file itself is never a symlink.
import type { InstalledPackage } from './inventory.js';
import { DbCorrupt, withDb, type DbFile } from './db-file.js';
import { SqliteFile } from './sqlite-file.js';
import { bdbHashValues } from './rpm-bdb.js';
import { ndbBlobs } from './rpm-ndb.js';
import { evr, parseRpmHeader, RpmHeaderError, sourceName } from './rpm-header.js';
import { stackedPath } from './walk.js';

export type RpmDbFormat = 'sqlite' | 'ndb' | 'bdb';

export const RPM_DBS: ReadonlyArray<readonly [string, RpmDbFormat]> = [
  ['usr/lib/sysimage/rpm/rpmdb.sqlite', 'sqlite'], ['var/lib/rpm/rpmdb.sqlite', 'sqlite'],
  ['usr/lib/sysimage/rpm/Packages.db', 'ndb'], ['var/lib/rpm/Packages.db', 'ndb'],
  ['usr/lib/sysimage/rpm/Packages', 'bdb'], ['var/lib/rpm/Packages', 'bdb'],
];

export interface RpmInventory {
  readonly packages: InstalledPackage[];
  /** a database that could not be read (hostile or corrupt): the path, its layer and why */
  readonly problems: Array<{ db: string; layer: number; reason: string }>;
  readonly notes: string[];
}

/** rpmBlobs returns the header blobs of one database file, by format. */
export function rpmBlobs(abs: string, label: string, format: RpmDbFormat, walAbs?: string): Buffer[] {
  return withDb(abs, label, (f) => {
    if (format === 'ndb') return [...ndbBlobs(f)].map((b) => b.blob);
    if (format === 'bdb') {
      // key 0 is not a package (rpm keeps no header under instance 0)
      return [...bdbHashValues(f)].filter((v) => !(v.key.length === 4 && v.key.readUInt32LE(0) === 0)).map((v) => v.value);
    }
    const read = (wal?: DbFile): Buffer[] => {
      const db = new SqliteFile(f, wal);
      const table = db.schema().find((s) => s.type === 'table' && s.name === 'Packages');
      if (!table) return f.bad('no Packages table in sqlite_master');
      const out: Buffer[] = [];
      for (const row of db.rows(table.rootpage)) {
        const blob = row.values.find((v): v is Buffer => Buffer.isBuffer(v));
        if (blob) out.push(blob);
      }
      return out;
    };
    return walAbs ? withDb(walAbs, `${label}-wal`, (w) => read(w)) : read();
  });
}

/** packagesOf decodes blobs into packages; a malformed header is skipped and counted. */
function packagesOf(blobs: readonly Buffer[], db: string, layer: number): { packages: InstalledPackage[]; bad: string[] } {
  const packages: InstalledPackage[] = [];
  const bad: string[] = [];
  for (const [i, blob] of blobs.entries()) {
    let h;
    try { h = parseRpmHeader(blob); } catch (err) {
      if (err instanceof RpmHeaderError) { bad.push(`header ${i + 1}: ${err.message}`); continue; }
      throw err;
    }
    // gpg-pubkey "packages" are imported signing keys, not software
    if (h.name === 'gpg-pubkey') continue;
    const src = h.sourceRpm ? sourceName(h.sourceRpm) : undefined;
    packages.push({ ecosystem: 'rpm', name: h.name, version: evr(h), source: src ?? h.name, ...(h.arch ? { arch: h.arch } : {}), ...(h.vendor ? { vendor: h.vendor } : {}), db, layer });
  }
  return { packages, bad };
}

/** rpmInventory reads the image's rpm database, if it has one. */
export function rpmInventory(layers: readonly string[]): RpmInventory {
  const seen = new Set<string>();
  // var/lib/rpm is often a symlink to usr/lib/sysimage/rpm: one file, reached twice
  const found = RPM_DBS.map(([rel, format]) => ({ rel, format, at: stackedPath(layers, rel) }))
    .filter((d) => d.at?.st.isFile() && !seen.has(d.at.abs) && seen.add(d.at.abs));
  const out: RpmInventory = { packages: [], problems: [], notes: [] };
  const first = found[0];
  if (!first) return out;
  const { rel, format, at } = first;
  if (found.length > 1) out.notes.push(`rpm: read /${rel} (${format}); also present, not read: ${found.slice(1).map((d) => `/${d.rel}`).join(', ')}`);
  const wal = format === 'sqlite' ? stackedPath(layers, `${rel}-wal`) : undefined;
  try {
    const blobs = rpmBlobs(at!.abs, rel, format, wal?.st.isFile() && wal.st.size > 0 ? wal.abs : undefined);
    const r = packagesOf(blobs, rel, at!.layer);
    out.packages.push(...r.packages);
    if (r.bad.length) out.problems.push({ db: rel, layer: at!.layer, reason: `${r.bad.length} of ${blobs.length} package headers are malformed (${r.bad.slice(0, 3).join('; ')}${r.bad.length > 3 ? '; …' : ''})` });
  } catch (err) {
    // a decoder bug on hostile input must not end the scan either: it is reported like corruption
    out.problems.push({ db: rel, layer: at!.layer, reason: err instanceof DbCorrupt ? err.message : `read package database \`${rel}\`: ${(err as Error).message}` });
  }
  return out;
}
