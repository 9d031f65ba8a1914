// image/scan/types.ts — findings, reports and options of the image scanner (everywhere, types only)
//
// Every finding names the NIST SP 800-190 section it answers, so a report reads as an assessment
// against that document rather than a bag of warnings.

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type Category = 'vulnerabilities' | 'configuration' | 'malware' | 'secrets' | 'trust';

/** NIST SP 800-190 risk (§3.1.x) and countermeasure (§4.1.x) sections per category. */
export const NIST_SECTION: Readonly<Record<Category, string>> = {
  vulnerabilities: '3.1.1/4.1.1',
  configuration: '3.1.2/4.1.2',
  malware: '3.1.3/4.1.3',
  secrets: '3.1.4/4.1.4',
  trust: '3.1.5/4.1.5',
};

export interface Finding {
  readonly category: Category;
  /** NIST_SECTION[category], repeated so JSON consumers need no table */
  readonly nist: string;
  /** stable rule id, e.g. "secret.aws-access-key-id", "config.root-user" */
  readonly rule: string;
  readonly severity: Severity;
  /** one line, never a full secret */
  readonly message: string;
  /** diff id of the layer that holds the file (absent for config/history findings) */
  readonly layer?: string;
  /** path inside the layer ("etc/app.env"), or "config:Env", "config:Labels", "history[3]" */
  readonly path?: string;
  readonly line?: number;
  /** redacted value: first 4 characters + "****" */
  readonly value?: string;
}

export interface ScanReport {
  readonly image: { readonly id: string; readonly ref: string; readonly digest?: string; readonly diffIds: readonly string[] };
  readonly findings: readonly Finding[];
  /** things the reader should know that are not findings (skipped scanners, capped files, …) */
  readonly notes: readonly string[];
  readonly stats: { readonly layers: number; readonly files: number; readonly bytes: number; readonly seconds: number };
  readonly summary: Readonly<Record<Severity, number>>;
  /** CycloneDX 1.5 JSON of the package inventory, when asked for (ScanOptions.sbom) */
  readonly sbom?: Record<string, unknown>;
}

export interface ScanOptions {
  /** Debian Packages files (any apt compression), Alpine APKINDEX files, rpm repodata primary.xml / updateinfo.xml */
  readonly packageIndexes?: readonly string[];
  /** a file of sha256 hashes (one per line, optional name after whitespace) of known malware */
  readonly malwareHashes?: string;
  /** OSV JSON advisories directory (offline) */
  readonly advisories?: string;
  /** image ids/manifest digests the user trusts */
  readonly trustedDigests?: readonly string[];
  /** bytes read per file (default 10 MiB) */
  readonly maxFileBytes?: number;
  /** clamscan binary; false disables ClamAV; default: found on PATH */
  readonly clamscan?: string | false;
  /** clamscan -d DB (signature database) */
  readonly clamDatabase?: string;
  /** also build an SBOM of the installed packages (report.sbom) */
  readonly sbom?: 'cyclonedx';
  /** called with bytes scanned so far (progress bar) */
  readonly onBytes?: (n: number) => void;
  readonly onSize?: (total: number) => void;
}

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}
