// image/scan/packages.ts — package inventories against package indexes (CLI process)
import type { Finding, ScanOptions } from './types.js';

export interface PackageScan { findings: Finding[]; notes: string[] }

/** scanPackages: placeholder until the inventories land. */
export async function scanPackages(_layers: readonly string[], _diffIds: readonly string[], _opts: ScanOptions): Promise<PackageScan> {
  return { findings: [], notes: [] };
}
