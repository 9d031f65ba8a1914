// image/scan/sbom.ts — CycloneDX 1.5 JSON SBOM of an image's dpkg/apk/rpm inventory, with package URLs (CLI process, pure)
//
// NIST SP 800-190 §4.1.1 asks for an inventory of what an image contains; CycloneDX is what
// vulnerability tools read. Package URLs follow the purl spec's deb, apk and rpm types (rpm: the epoch
// is an `epoch` qualifier, not part of the version): the namespace is
// the distribution (os-release ID), qualifiers arch and distro are sorted, values percent-encoded.
import { randomUUID } from 'node:crypto';
import type { InstalledPackage } from './inventory.js';

export interface SbomInput {
  readonly image: { readonly id: string; readonly ref: string; readonly digest?: string; readonly diffIds: readonly string[] };
  readonly packages: readonly InstalledPackage[];
  readonly os?: { readonly id: string; readonly versionId: string; readonly pretty: string };
  readonly toolVersion?: string;
  /** for reproducible tests */
  readonly serial?: string;
  readonly now?: Date;
}

// purl: "+" must be encoded (a decoder may read it as a space); ":" (epochs) need not be
const enc = (s: string): string => encodeURIComponent(s).replace(/%3A/g, ':');

/** purl builds pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12 (or pkg:apk/alpine/…). */
export function purl(p: InstalledPackage, os?: { id: string; versionId: string }): string {
  const vendor = (os?.id || { deb: 'debian', apk: 'alpine', rpm: 'redhat' }[p.ecosystem]).toLowerCase();
  const q: Array<[string, string]> = [];
  if (p.arch) q.push(['arch', p.arch]);
  // purl's rpm type carries the epoch as a qualifier, not in the version
  let version = p.version;
  const epoch = p.ecosystem === 'rpm' ? /^(\d+):/.exec(version) : null;
  if (epoch) { q.push(['epoch', epoch[1]!]); version = version.slice(epoch[0].length); }
  if (os?.id) q.push(['distro', os.versionId ? `${os.id.toLowerCase()}-${os.versionId}` : os.id.toLowerCase()]);
  q.sort(([a], [b]) => a.localeCompare(b));
  const qs = q.length ? `?${q.map(([k, v]) => `${k}=${enc(v)}`).join('&')}` : '';
  return `pkg:${p.ecosystem}/${enc(vendor)}/${enc(p.name)}@${enc(version)}${qs}`;
}

/** cycloneDx returns the SBOM document (CycloneDX 1.5, JSON). */
export function cycloneDx(input: SbomInput): Record<string, unknown> {
  const seen = new Set<string>();
  const components: Array<Record<string, unknown>> = [];
  if (input.os) {
    components.push({ type: 'operating-system', 'bom-ref': `os:${input.os.id}-${input.os.versionId}`, name: input.os.id, version: input.os.versionId, description: input.os.pretty });
  }
  for (const p of input.packages) {
    const ref = purl(p, input.os);
    if (seen.has(ref)) continue; // the same package in status and status.d/
    seen.add(ref);
    components.push({
      type: 'library', 'bom-ref': ref, name: p.name, version: p.version, purl: ref, ...(p.vendor ? { publisher: p.vendor } : {}),
      properties: [
        { name: 'tssandbox:package-db', value: p.db },
        { name: 'tssandbox:layer', value: input.image.diffIds[p.layer] ?? String(p.layer) },
        ...(p.source && p.source !== p.name ? [{ name: p.ecosystem === 'apk' ? 'tssandbox:origin' : 'tssandbox:source-package', value: p.source }] : []),
      ],
    });
  }
  return {
    bomFormat: 'CycloneDX', specVersion: '1.5', serialNumber: `urn:uuid:${input.serial ?? randomUUID()}`, version: 1,
    metadata: {
      timestamp: (input.now ?? new Date()).toISOString(),
      tools: { components: [{ type: 'application', name: 'tssandbox-scan', version: input.toolVersion ?? '0.1.0' }] },
      component: {
        type: 'container', 'bom-ref': input.image.id, name: input.image.ref, version: input.image.id,
        ...(input.image.digest ? { hashes: [{ alg: 'SHA-256', content: input.image.digest.replace(/^sha256:/, '') }] } : {}),
      },
    },
    components,
  };
}
