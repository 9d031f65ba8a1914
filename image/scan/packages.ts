// image/scan/packages.ts — installed packages against package indexes, and distribution end of life (CLI process)
//
// NIST SP 800-190 §4.1.1: an image whose packages lag the distribution's index carries fixes it
// lacks; lagging a security suite's index means a known, published vulnerability is unfixed.
import { compareApk, compareDeb } from './version.js';
import { compareRpm } from './rpm-version.js';
import { readPackageIndex, type Ecosystem, type PackageIndex } from './package-index.js';
import { inventory, osRelease, type InstalledPackage } from './inventory.js';
import { endOfLife } from './eol.js';
import { matchAdvisories } from './advisories.js';
import { NIST_SECTION, type Finding, type ScanOptions } from './types.js';

export interface PackageScan {
  findings: Finding[];
  notes: string[];
  /** the installed packages and the distribution (for the SBOM) */
  packages: InstalledPackage[];
  os?: { id: string; versionId: string; pretty: string };
}

export const COMPARE: Readonly<Record<Ecosystem, (a: string, b: string) => number>> = { deb: compareDeb, apk: compareApk, rpm: compareRpm };

/** scanPackages checks the stacked image's package databases and its os-release. */
export async function scanPackages(layers: readonly string[], diffIds: readonly string[], opts: ScanOptions, now = new Date()): Promise<PackageScan> {
  const findings: Finding[] = [];
  const inv = inventory(layers);
  const notes = [...inv.notes];
  const add = (f: Omit<Finding, 'nist' | 'category'>): void => { findings.push({ ...f, category: 'vulnerabilities', nist: NIST_SECTION.vulnerabilities }); };

  // an unreadable database hides its packages from every check below: that is itself a finding
  for (const p of inv.problems) add({ rule: 'vuln.package-db-unreadable', severity: 'medium', layer: diffIds[p.layer]!, path: p.db, message: `${p.reason}; its packages were not checked` });

  const indexes: PackageIndex[] = (opts.packageIndexes ?? []).map((p) => readPackageIndex(p, COMPARE));
  for (const pkg of inv.packages) {
    const cmp = COMPARE[pkg.ecosystem];
    let worst: { index: PackageIndex; version: string } | undefined;
    for (const idx of indexes) {
      if (idx.ecosystem !== pkg.ecosystem) continue;
      const v = idx.versions.get(pkg.name);
      if (!v || cmp(pkg.version, v) >= 0) continue;
      if (!worst || (idx.security && !worst.index.security)) worst = { index: idx, version: v };
    }
    if (!worst) continue;
    const sec = worst.index.security;
    add({
      rule: sec ? 'vuln.security-update' : 'vuln.stale-package', severity: sec ? 'high' : 'medium',
      layer: diffIds[pkg.layer]!, path: pkg.db,
      message: `${pkg.name} ${pkg.version} is older than ${worst.version} in ${worst.index.file}${sec ? ' (a security update)' : ''}`,
    });
  }
  if (indexes.length) notes.push(`packages: ${inv.packages.length} installed, checked against ${indexes.map((i) => `${i.file} (${i.versions.size})`).join(', ')}`);
  else if (inv.packages.length) notes.push(`packages: ${inv.packages.length} installed; no --package-index given, staleness not checked`);

  if (opts.advisories) {
    const adv = matchAdvisories(opts.advisories, inv.packages);
    for (const a of adv.matches) add({ rule: 'vuln.advisory', severity: a.severity, layer: diffIds[a.pkg.layer]!, path: a.pkg.db, message: `${a.pkg.name} ${a.pkg.version}: ${a.id}${a.fixed ? ` (fixed in ${a.fixed})` : ''}${a.summary ? ` — ${a.summary}` : ''}` });
    notes.push(`advisories: ${adv.count} read from ${opts.advisories}`);
  }

  const os = osRelease(layers);
  if (os) {
    const v = endOfLife(os.id, os.versionId);
    if (v.eol && Date.parse(v.eol) < now.getTime()) {
      add({ rule: 'vuln.distro-eol', severity: 'high', path: 'etc/os-release', message: `${os.pretty} reached end of life on ${v.eol} (${v.source}); it gets no security updates` });
    } else if (!v.eol) notes.push(`end of life of ${os.pretty} (${os.id} ${os.versionId}) is unknown`);
  }
  return { findings, notes, packages: inv.packages, ...(os ? { os } : {}) };
}
