// policy/oci-json.ts — Docker/OCI seccomp argument values survive JSON.parse exactly (everywhere, pure, no imports: OCI create reads config.json with it)

/**
 * quoteWideArgValues turns `"value": 18446744073709551615` (and valueTwo) into a string before
 * JSON.parse: JSON numbers lose precision above 2^53, and seccomp argument values up to 2^64 are
 * common (masks, -1 as unsigned). The importer accepts the decimal string.
 */
export function quoteWideArgValues(text: string): string {
  return text.replace(/("value(?:Two)?"\s*:\s*)(\d{16,})/g, '$1"$2"');
}
