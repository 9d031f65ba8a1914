// image/scan/inventory.ts — installed packages from the stacked image: dpkg (status, status.d/), apk, rpm (CLI process)
import { readFileSync } from 'node:fs';
import { stanzas, type Ecosystem } from './package-index.js';
import { stackedDir, stackedPath } from './walk.js';
import { rpmInventory } from './rpm-db.js';

export interface InstalledPackage {
  readonly ecosystem: Ecosystem;
  readonly name: string;
  readonly version: string;
  /** source package (Debian), origin (apk) or source rpm name (rpm), for advisories keyed by source */
  readonly source?: string;
  /** dpkg Architecture / apk A: / rpm ARCH (absent when the database does not say) */
  readonly arch?: string;
  /** rpm VENDOR ("Fedora Project", "Red Hat, Inc."), when the header has one */
  readonly vendor?: string;
  /** database path and the index of the layer that holds it */
  readonly db: string;
  readonly layer: number;
}

export interface Inventory {
  readonly packages: InstalledPackage[];
  readonly notes: string[];
  /** package databases that could not be read (corrupt or hostile), each with the reason */
  readonly problems: Array<{ db: string; layer: number; reason: string }>;
}

const read = (abs: string): string => { try { return readFileSync(abs, 'utf8'); } catch { return ''; } };

function dpkgStanzas(text: string, db: string, layer: number, requireInstalled: boolean): InstalledPackage[] {
  const out: InstalledPackage[] = [];
  for (const st of stanzas(text)) {
    const name = st.get('Package');
    const version = st.get('Version');
    if (!name || !version) continue;
    // "install ok installed": half-installed or config-files-only packages ship no code
    if (requireInstalled && !/\binstalled$/.test(st.get('Status') ?? '')) continue;
    const src = st.get('Source')?.split(' ')[0];
    const arch = st.get('Architecture');
    out.push({ ecosystem: 'deb', name, version, source: src ?? name, ...(arch ? { arch } : {}), db, layer });
  }
  return out;
}

/** inventory reads every package database found in the stacked image. */
export function inventory(layers: readonly string[]): Inventory {
  const packages: InstalledPackage[] = [];
  const notes: string[] = [];
  const status = stackedPath(layers, 'var/lib/dpkg/status');
  if (status?.st.isFile()) packages.push(...dpkgStanzas(read(status.abs), 'var/lib/dpkg/status', status.layer, true));
  // distroless images: one stanza file per package, no Status field
  for (const name of stackedDir(layers, 'var/lib/dpkg/status.d')) {
    if (name.endsWith('.md5sums')) continue;
    const p = stackedPath(layers, `var/lib/dpkg/status.d/${name}`)!;
    packages.push(...dpkgStanzas(read(p.abs), `var/lib/dpkg/status.d/${name}`, p.layer, false));
  }
  const apk = stackedPath(layers, 'lib/apk/db/installed');
  if (apk?.st.isFile()) {
    for (const st of stanzas(read(apk.abs))) {
      const name = st.get('P');
      const version = st.get('V');
      const arch = st.get('A');
      if (name && version) packages.push({ ecosystem: 'apk', name, version, source: st.get('o') ?? name, ...(arch ? { arch } : {}), db: 'lib/apk/db/installed', layer: apk.layer });
    }
  }
  const rpm = rpmInventory(layers);
  packages.push(...rpm.packages);
  notes.push(...rpm.notes);
  return { packages, notes, problems: rpm.problems };
}

/** osRelease reads ID and VERSION_ID from etc/os-release (or usr/lib/os-release). */
export function osRelease(layers: readonly string[]): { id: string; versionId: string; pretty: string } | undefined {
  // etc/os-release is usually a symlink to ../usr/lib/os-release
  const p = [stackedPath(layers, 'etc/os-release'), stackedPath(layers, 'usr/lib/os-release')].find((x) => x?.st.isFile());
  if (!p) return undefined;
  const kv = new Map<string, string>();
  for (const line of read(p.abs).split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) kv.set(m[1]!, m[2]!.replace(/^["']|["']$/g, ''));
  }
  const id = kv.get('ID');
  if (!id) return undefined;
  return { id, versionId: kv.get('VERSION_ID') ?? '', pretty: kv.get('PRETTY_NAME') ?? id };
}
