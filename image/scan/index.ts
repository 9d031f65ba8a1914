// image/scan/index.ts — the image scanner's public surface (re-exports only)
export { scanImage, exceeds, sortFindings } from './scan-image.js';
export { renderTable, renderJson, renderSarif } from './report.js';
export { cycloneDx, purl } from './sbom.js';
export { scanText, entropy, redact, isPlaceholder, SECRET_RULES } from './secrets.js';
export type { SecretRule } from './secret-rule.js';
export { SEVERITIES, NIST_SECTION, severityRank, type Finding, type ScanReport, type ScanOptions, type Severity, type Category } from './types.js';
