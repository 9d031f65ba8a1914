// cli/commands/scan.ts — `tssandbox scan IMAGE`: findings after NIST SP 800-190, exit 1 over --fail-on (CLI process)
import { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { fail, errnoReason } from '../../common/errors.js';
import { openStore } from '../../image/index.js';
import { progressBar } from '../../image/progress.js';
import { scanImage, exceeds, renderJson, renderSarif, renderTable, SEVERITIES, type Severity, type ScanOptions } from '../../image/scan/index.js';
import { storeRoot } from './image.js';

const collect = (v: string, p: string[]): string[] => [...p, v];

function readDigests(path: string): string[] {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (err) { return fail('TSS_EUSAGE', 'read --trusted-digests', path, errnoReason(err), err); }
  return text.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
}

export function register(program: Command): void {
  program.command('scan')
    .description('scan an image for vulnerable packages, configuration defects, malware, secrets and trust (NIST SP 800-190 §3.1/§4.1)')
    .argument('<image>', 'image reference (name[:tag], name@digest or id)')
    .option('--format <fmt>', 'table, json or sarif', 'table')
    .option('--fail-on <severity>', `exit 1 when a finding reaches this severity (${SEVERITIES.join('|')})`)
    .option('--package-index <file>', 'Debian Packages (plain/gz/xz/lz4/zst/bz2), Alpine APKINDEX, or rpm repodata primary.xml / updateinfo.xml; repeatable', collect, [] as string[])
    .option('--advisories <dir>', 'OSV JSON advisories (offline)')
    .option('--malware-hashes <file>', 'sha256 list of known malware ("<hash> [name]" lines)')
    .option('--trusted-digests <file>', 'image ids / manifest digests you trust, one per line')
    .option('--clamav-db <file>', 'ClamAV signature database for clamscan -d')
    .option('--no-clamav', 'do not run clamscan even when installed')
    .option('--max-file-size <bytes>', 'bytes read per file', (v) => Number(v))
    .option('--sbom <format>', 'also build an SBOM of the installed packages (cyclonedx: CycloneDX 1.5 JSON; in --format json as "sbom")')
    .option('--sbom-file <file>', 'write the SBOM to this file (implies --sbom cyclonedx)')
    .action(async (ref: string, o: { format: string; failOn?: string; sbom?: string; sbomFile?: string; packageIndex: string[]; advisories?: string; malwareHashes?: string; trustedDigests?: string; clamavDb?: string; clamav: boolean; maxFileSize?: number }) => {
      if (!['table', 'json', 'sarif'].includes(o.format)) fail('TSS_EUSAGE', 'use --format', o.format, 'expected table, json or sarif');
      if (o.failOn !== undefined && !SEVERITIES.includes(o.failOn as Severity)) fail('TSS_EUSAGE', 'use --fail-on', o.failOn, `expected ${SEVERITIES.join('|')}`);
      if (o.maxFileSize !== undefined && !(Number.isInteger(o.maxFileSize) && o.maxFileSize > 0)) fail('TSS_EUSAGE', 'use --max-file-size', String(o.maxFileSize), 'expected a positive integer');
      if (o.sbom !== undefined && o.sbom !== 'cyclonedx') fail('TSS_EUSAGE', 'use --sbom', o.sbom, 'expected cyclonedx');
      const bar = progressBar('Scanning', process.stderr);
      const opts: ScanOptions = {
        packageIndexes: o.packageIndex,
        ...(o.advisories ? { advisories: o.advisories } : {}),
        ...(o.malwareHashes ? { malwareHashes: o.malwareHashes } : {}),
        ...(o.trustedDigests ? { trustedDigests: readDigests(o.trustedDigests) } : {}),
        ...(o.clamavDb ? { clamDatabase: o.clamavDb } : {}),
        ...(o.clamav ? {} : { clamscan: false as const }),
        ...(o.maxFileSize ? { maxFileBytes: o.maxFileSize } : {}),
        ...(o.sbom || o.sbomFile ? { sbom: 'cyclonedx' as const } : {}),
        onSize: (n) => bar.onSize(n), onBytes: (n) => bar.onBytes(n),
      };
      const report = await scanImage(openStore(storeRoot(program)), ref, opts).finally(() => bar.done());
      if (o.sbomFile && report.sbom) {
        try { writeFileSync(o.sbomFile, `${JSON.stringify(report.sbom, null, 2)}\n`); } catch (err) { fail('TSS_ESCAN', 'write --sbom-file', o.sbomFile, errnoReason(err), err); }
      }
      process.stdout.write(o.format === 'json' ? renderJson(report) : o.format === 'sarif' ? renderSarif(report) : renderTable(report));
      if (o.failOn && exceeds(report, o.failOn as Severity)) process.exitCode = 1;
    });
}
