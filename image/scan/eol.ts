// image/scan/eol.ts — distribution end-of-life dates: a built-in table, refined by the host's distro-info data (CLI process)
//
// Dates are the end of regular security support as published by each project (Debian security
// team, Ubuntu standard support, Alpine main repository, RHEL full/maintenance support). Where the
// host has /usr/share/distro-info/{debian,ubuntu}.csv, its "eol" column takes precedence.
import { readFileSync } from 'node:fs';

const TABLE: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  debian: { 7: '2016-04-25', 8: '2018-06-17', 9: '2020-07-18', 10: '2022-09-10', 11: '2024-08-14', 12: '2026-06-10', 13: '2028-08-09' },
  ubuntu: { '14.04': '2019-04-25', '16.04': '2021-04-30', '18.04': '2023-05-31', '20.04': '2025-05-31', '22.04': '2027-06-01', '23.04': '2024-01-25', '23.10': '2024-07-11', '24.04': '2029-05-31', '24.10': '2025-07-10', '25.04': '2026-01-15' },
  alpine: { '3.12': '2022-05-01', '3.13': '2022-11-01', '3.14': '2023-05-01', '3.15': '2023-11-01', '3.16': '2024-05-23', '3.17': '2024-11-22', '3.18': '2025-05-09', '3.19': '2025-11-01', '3.20': '2026-04-01', '3.21': '2026-11-01', '3.22': '2027-05-01' },
  rhel: { 6: '2020-11-30', 7: '2024-06-30', 8: '2029-05-31', 9: '2032-05-31', 10: '2035-05-31' },
  // centos 8 is CentOS Linux 8 (Stream 8 ended 2024-05-31, also past); 9 exists only as Stream 9
  centos: { 6: '2020-11-30', 7: '2024-06-30', 8: '2021-12-31', 9: '2027-05-31' },
  rocky: { 8: '2029-05-31', 9: '2032-05-31', 10: '2035-05-31' },
  almalinux: { 8: '2029-03-01', 9: '2032-05-31', 10: '2035-05-31' },
  ol: { 7: '2024-12-01', 8: '2029-07-01', 9: '2032-06-01' },
  // rpm distributions, added 2026-11-23 from the projects' published lifecycles as known to the
  // author (not fetched: no network here) — Fedora wiki "End of life" (41–43: the schedule's
  // planned dates), SUSE lifecycle pages (SLES: general support of each service pack),
  // openSUSE Leap lifetime page, Amazon Linux FAQs, RHEL 10 life cycle. Re-check when updating.
  fedora: { 30: '2020-05-26', 31: '2020-11-24', 32: '2021-05-25', 33: '2021-11-30', 34: '2022-06-07', 35: '2022-12-13', 36: '2023-05-16', 37: '2023-12-05', 38: '2024-05-21', 39: '2024-11-26', 40: '2025-05-13', 41: '2025-12-15', 42: '2026-05-13', 43: '2026-12-09' },
  'opensuse-leap': { '15.0': '2019-12-03', '15.1': '2021-02-02', '15.2': '2022-01-04', '15.3': '2022-12-31', '15.4': '2023-12-07', '15.5': '2024-12-31', '15.6': '2026-04-30' },
  sles: { '12.5': '2024-10-31', '15.1': '2021-01-31', '15.2': '2021-12-31', '15.3': '2022-12-31', '15.4': '2023-12-31', '15.5': '2024-12-31', '15.6': '2025-12-31', '15.7': '2031-07-31' },
  amzn: { 2: '2026-06-30', 2023: '2029-06-30' },
};

/** versionKey: the table key for an os-release VERSION_ID ("12", "22.04", "3.19.1" → "3.19", "8.9" → "8", sles "15.5"). */
function versionKey(id: string, versionId: string): string {
  // Leap and SLES support each minor release (service pack) on its own: "15.5" stays "15.5"
  if (id === 'alpine' || id === 'opensuse-leap' || id === 'sles') return versionId.split('.').slice(0, 2).join('.');
  if (id === 'ubuntu') return versionId;
  return versionId.split('.')[0]!;
}

function distroInfo(id: string, key: string, dir: string): string | undefined {
  if (id !== 'debian' && id !== 'ubuntu') return undefined;
  let text: string;
  try { text = readFileSync(`${dir}/${id}.csv`, 'utf8'); } catch { return undefined; }
  const [head, ...rows] = text.trim().split('\n');
  const cols = head!.split(',');
  const v = cols.indexOf('version');
  const eol = cols.indexOf('eol');
  for (const r of rows) {
    const f = r.split(',');
    // ubuntu.csv says "22.04 LTS"
    if (f[v]?.replace(/ LTS$/, '') === key && f[eol]) return f[eol];
  }
  return undefined;
}

export interface EolVerdict { readonly eol?: string; readonly source: 'distro-info' | 'built-in' | 'unknown' }

/** endOfLife: the end-of-support date of a distribution release, when known. */
export function endOfLife(id: string, versionId: string, distroInfoDir = '/usr/share/distro-info'): EolVerdict {
  const key = versionKey(id, versionId);
  const host = distroInfo(id, key, distroInfoDir);
  if (host) return { eol: host, source: 'distro-info' };
  const builtIn = TABLE[id]?.[key];
  return builtIn ? { eol: builtIn, source: 'built-in' } : { source: 'unknown' };
}
