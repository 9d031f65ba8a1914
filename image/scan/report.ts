// image/scan/report.ts — render a scan report: table grouped by NIST section, JSON, SARIF 2.1.0 (CLI process, pure)
import { table } from '../format.js';
import { NIST_SECTION, SEVERITIES, severityRank, type Category, type Finding, type ScanReport, type Severity } from './types.js';

const TITLES: Readonly<Record<Category, string>> = {
  vulnerabilities: 'Image vulnerabilities',
  configuration: 'Image configuration defects',
  malware: 'Embedded malware',
  secrets: 'Embedded clear-text secrets',
  trust: 'Use of untrusted images',
};

/** location: where a finding is, as one short string. */
export function location(f: Finding): string {
  const where = f.layer ? `${f.layer.slice(7, 19)}:/${f.path ?? ''}` : (f.path ?? '');
  return f.line ? `${where}:${f.line}` : where;
}

/** renderTable: one section per NIST SP 800-190 risk, worst first, then notes and a summary line. */
export function renderTable(r: ScanReport): string {
  const parts: string[] = [`Image ${r.image.ref} (${r.image.id.slice(7, 19)}), ${r.stats.layers} layer(s), ${r.stats.files} files, ${(r.stats.bytes / 1e6).toFixed(1)} MB scanned in ${r.stats.seconds.toFixed(2)} s\n`];
  for (const cat of Object.keys(TITLES) as Category[]) {
    const fs = r.findings.filter((f) => f.category === cat);
    parts.push(`\n§${NIST_SECTION[cat]} ${TITLES[cat]}: ${fs.length ? `${fs.length} finding(s)` : 'none'}\n`);
    if (!fs.length) continue;
    parts.push(table(['SEVERITY', 'RULE', 'LOCATION', 'DETAIL'], fs.map((f) => [f.severity.toUpperCase(), f.rule, location(f), f.value ? `${f.message} (${f.value})` : f.message])));
  }
  if (r.notes.length) parts.push(`\nNotes:\n${r.notes.map((n) => `  - ${n}\n`).join('')}`);
  parts.push(`\nSummary: ${[...SEVERITIES].reverse().map((s) => `${r.summary[s]} ${s}`).join(', ')}\n`);
  return parts.join('');
}

export function renderJson(r: ScanReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

const LEVEL: Readonly<Record<Severity, 'error' | 'warning' | 'note'>> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };
// GitHub code scanning reads "security-severity" (CVSS-like 0–10) to rank results
const SCORE: Readonly<Record<Severity, string>> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.0' };

/** artifactUri: "layer/<diff id>/<path>" for files, "config/<what>" for the image config. */
export function artifactUri(f: Finding): string {
  const path = (f.path ?? '').split('/').map(encodeURIComponent).join('/');
  if (f.layer) return `layer/${f.layer}/${path}`;
  return `config/${path.replace(/^config%3A/, '')}`;
}

/** renderSarif: SARIF 2.1.0, one run, one rule per rule id seen (its worst severity as default level). */
export function renderSarif(r: ScanReport, version = '0.1.0'): string {
  const rules = new Map<string, { f: Finding; worst: Severity }>();
  for (const f of r.findings) {
    const cur = rules.get(f.rule);
    if (!cur) rules.set(f.rule, { f, worst: f.severity });
    else if (severityRank(f.severity) > severityRank(cur.worst)) cur.worst = f.severity;
  }
  const ids = [...rules.keys()].sort();
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'tssandbox-scan', version, informationUri: 'https://csrc.nist.gov/pubs/sp/800/190/final',
          rules: ids.map((id) => {
            const { f, worst } = rules.get(id)!;
            return {
              id, name: id.replace(/[^A-Za-z0-9]+(.)/g, (_, c: string) => c.toUpperCase()),
              shortDescription: { text: f.category === 'secrets' ? f.message : id },
              fullDescription: { text: `NIST SP 800-190 §${f.nist}: ${TITLES[f.category]}` },
              defaultConfiguration: { level: LEVEL[worst] },
              properties: { category: f.category, nist: f.nist, 'security-severity': SCORE[worst], tags: ['security', `nist-800-190-${f.nist}`] },
            };
          }),
        },
      },
      results: r.findings.map((f) => ({
        ruleId: f.rule, ruleIndex: ids.indexOf(f.rule), level: LEVEL[f.severity],
        message: { text: f.value ? `${f.message} (${f.value})` : f.message },
        locations: [{ physicalLocation: { artifactLocation: { uri: artifactUri(f) }, ...(f.line ? { region: { startLine: f.line } } : {}) } }],
        properties: { severity: f.severity, nist: f.nist, ...(f.layer ? { layer: f.layer } : {}) },
      })),
      properties: { image: r.image, notes: r.notes, summary: r.summary },
    }],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
