// image/scan/scan-image.ts — scanImage: every scanner over one stored image, one report (CLI process)
import { SandboxError, fail } from '../../common/errors.js';
import type { ImageStore } from '../store.js';
import { scanConfig } from './config-scan.js';
import { scanLayer } from './layer-scan.js';
import { clamscanLayers, findClamscan, readHashList } from './malware.js';
import { scanPackages } from './packages.js';
import { cycloneDx } from './sbom.js';
import { SEVERITIES, NIST_SECTION, severityRank, type Finding, type ScanOptions, type ScanReport, type Severity } from './types.js';

const DEFAULT_MAX = 10 * 1024 * 1024;

/** scanImage scans the image `ref` in `store`; throws TSS_EIMAGE/TSS_ESCAN when it cannot. */
export async function scanImage(store: ImageStore, ref: string, opts: ScanOptions = {}): Promise<ScanReport> {
  const t0 = process.hrtime.bigint();
  const img = await store.resolve(ref);
  const info = store.info(ref);
  const diffIds = img.diffIds ?? info.record.layers.map((l) => l.diffId);
  const findings: Finding[] = [];
  const notes: string[] = [];
  const maxFileBytes = opts.maxFileBytes ?? DEFAULT_MAX;
  const hashes = opts.malwareHashes ? readHashList(opts.malwareHashes) : undefined;
  opts.onSize?.(info.size);

  let files = 0;
  let bytes = 0;
  const capped: string[] = [];
  for (const [i, dir] of img.layers.entries()) {
    const r = scanLayer(dir, diffIds[i]!, { maxFileBytes, ...(hashes ? { hashes } : {}), ...(opts.onBytes ? { onBytes: opts.onBytes } : {}) });
    findings.push(...r.findings);
    files += r.files;
    bytes += r.bytes;
    capped.push(...r.capped);
  }
  if (capped.length) notes.push(`${capped.length} file(s) larger than ${maxFileBytes} bytes were scanned only in their first ${maxFileBytes} bytes: ${capped.slice(0, 5).join(', ')}${capped.length > 5 ? ', …' : ''}`);

  findings.push(...scanConfig({
    ref: img.ref, id: img.id, config: (info.config.config ?? {}) as Record<string, unknown>, history: info.config.history ?? [],
    ...(info.record.manifestDigest ? { manifestDigest: info.record.manifestDigest } : {}),
    ...(opts.trustedDigests ? { trustedDigests: opts.trustedDigests } : {}),
  }));

  const pkgs = await scanPackages(img.layers, diffIds, opts);
  findings.push(...pkgs.findings);
  notes.push(...pkgs.notes);

  const clam = opts.clamscan === false ? undefined : (opts.clamscan ?? findClamscan());
  if (!clam) {
    notes.push(opts.clamscan === false ? 'ClamAV: disabled' : 'ClamAV: clamscan is not installed; malware checks were EICAR and the hash list only');
  } else {
    try {
      const hits = await clamscanLayers(clam, img.layers, opts.clamDatabase);
      for (const h of hits) findings.push({ category: 'malware', nist: NIST_SECTION.malware, rule: 'malware.clamav', severity: 'critical', layer: diffIds[h.dir]!, path: h.rel, message: `ClamAV: ${h.signature}` });
      notes.push(`ClamAV: used (${clam}${opts.clamDatabase ? `, database ${opts.clamDatabase}` : ''})`);
    } catch (err) {
      if (opts.clamscan) fail('TSS_ESCAN', 'run', clam, (err as Error).message, err);
      notes.push(`ClamAV: clamscan failed (${(err as Error).message}); not used`);
    }
  }

  const sorted = sortFindings(findings);
  const summary = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of sorted) summary[f.severity]++;
  const image = { id: img.id, ref: img.ref, ...(info.record.manifestDigest ? { digest: info.record.manifestDigest } : {}), diffIds };
  let sbom: Record<string, unknown> | undefined;
  if (opts.sbom === 'cyclonedx') {
    sbom = cycloneDx({ image, packages: pkgs.packages, ...(pkgs.os ? { os: pkgs.os } : {}) });
    notes.push(`SBOM: CycloneDX 1.5, ${pkgs.packages.length} package(s)${pkgs.packages.length ? '' : ' (no dpkg, apk or rpm database found)'}`);
  }
  return {
    image, findings: sorted, notes, summary, ...(sbom ? { sbom } : {}),
    stats: { layers: img.layers.length, files, bytes, seconds: Number(process.hrtime.bigint() - t0) / 1e9 },
  };
}

const CATEGORY_ORDER = ['vulnerabilities', 'configuration', 'malware', 'secrets', 'trust'];

/** sortFindings: by NIST section, then severity (worst first), then where. */
export function sortFindings(fs: readonly Finding[]): Finding[] {
  return [...fs].sort((a, b) => CATEGORY_ORDER.indexOf(a.category) - CATEGORY_ORDER.indexOf(b.category)
    || severityRank(b.severity) - severityRank(a.severity)
    || (a.layer ?? '').localeCompare(b.layer ?? '') || (a.path ?? '').localeCompare(b.path ?? '') || (a.line ?? 0) - (b.line ?? 0));
}

/** exceeds: some finding is at or above `threshold` (the quality gate of NIST SP 800-190 §4.1.1). */
export function exceeds(report: ScanReport, threshold: Severity): boolean {
  if (!SEVERITIES.includes(threshold)) throw new SandboxError('TSS_EUSAGE', `use severity \`${String(threshold)}\`: expected ${SEVERITIES.join('|')}`);
  return report.findings.some((f) => severityRank(f.severity) >= severityRank(threshold));
}
