// image/scan/advisories.ts — offline OSV advisories (a directory of OSV JSON files) matched to installed packages (CLI process)
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail, errnoReason } from '../../common/errors.js';
import type { InstalledPackage } from './inventory.js';
import { compareApk, compareDeb } from './version.js';
import { compareRpm } from './rpm-version.js';
import type { Severity } from './types.js';

interface OsvEvent { introduced?: string; fixed?: string; last_affected?: string }
interface OsvAffected { package?: { ecosystem?: string; name?: string }; ranges?: Array<{ type?: string; events?: OsvEvent[] }>; versions?: string[] }
interface Osv { id?: string; summary?: string; affected?: OsvAffected[]; database_specific?: { severity?: string } }

export interface AdvisoryMatch { readonly id: string; readonly pkg: InstalledPackage; readonly severity: Severity; readonly fixed?: string; readonly summary?: string }

/** OSV ecosystems whose versions are rpm EVRs ("Red Hat:enterprise_linux:9::appstream" → "red hat") */
const RPM_ECOSYSTEMS = new Set(['red hat', 'rocky linux', 'almalinux', 'suse', 'opensuse', 'mageia', 'openeuler']);

const SEV: Record<string, Severity> = { critical: 'critical', high: 'high', important: 'high', moderate: 'medium', medium: 'medium', low: 'low', negligible: 'low' };

function affected(version: string, events: OsvEvent[], cmp: (a: string, b: string) => number): { hit: boolean; fixed?: string } {
  // OSV ECOSYSTEM ranges: events sorted; vulnerable from an "introduced" up to the next "fixed"
  let vulnerable = false;
  let fixed: string | undefined;
  for (const e of events) {
    if (e.introduced !== undefined && (e.introduced === '0' || cmp(version, e.introduced) >= 0)) { vulnerable = true; fixed = undefined; }
    if (e.fixed !== undefined && cmp(version, e.fixed) >= 0) vulnerable = false;
    else if (e.fixed !== undefined && vulnerable) { fixed = e.fixed; break; }
    if (e.last_affected !== undefined && cmp(version, e.last_affected) > 0) vulnerable = false;
  }
  return fixed ? { hit: vulnerable, fixed } : { hit: vulnerable };
}

/** matchAdvisories reads every *.json under dir and matches Debian/Ubuntu/Alpine/rpm-distribution entries by (source) name. */
export function matchAdvisories(dir: string, pkgs: readonly InstalledPackage[]): { matches: AdvisoryMatch[]; count: number } {
  let files: string[];
  try { files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort(); } catch (err) { return fail('TSS_ESCAN', 'read advisories', dir, errnoReason(err), err); }
  const matches: AdvisoryMatch[] = [];
  for (const f of files) {
    let osv: Osv;
    try { osv = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Osv; } catch { fail('TSS_ESCAN', 'read advisory', join(dir, f), 'not JSON'); }
    for (const a of osv.affected ?? []) {
      const eco = (a.package?.ecosystem ?? '').split(':')[0]!.toLowerCase();
      const kind = eco === 'debian' || eco === 'ubuntu' ? 'deb' : eco === 'alpine' ? 'apk' : RPM_ECOSYSTEMS.has(eco) ? 'rpm' : undefined;
      if (!kind) continue;
      const cmp = kind === 'deb' ? compareDeb : kind === 'apk' ? compareApk : compareRpm;
      for (const p of pkgs) {
        if (p.ecosystem !== kind || (p.source !== a.package?.name && p.name !== a.package?.name)) continue;
        let hit = a.versions?.includes(p.version) ?? false;
        let fixed: string | undefined;
        for (const r of a.ranges ?? []) {
          if (r.type !== 'ECOSYSTEM') continue;
          const v = affected(p.version, r.events ?? [], cmp);
          if (v.hit) { hit = true; fixed = v.fixed; }
        }
        if (hit) matches.push({ id: osv.id ?? f, pkg: p, severity: SEV[(osv.database_specific?.severity ?? 'high').toLowerCase()] ?? 'high', ...(fixed ? { fixed } : {}), ...(osv.summary ? { summary: osv.summary } : {}) });
      }
    }
  }
  return { matches, count: files.length };
}
