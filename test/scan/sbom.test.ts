// test/scan/sbom.test.ts — `--sbom cyclonedx`: CycloneDX 1.5 of the dpkg/apk inventory with package URLs, API and CLI (host, root)
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scanImage } from '../../image/scan/index.js';
import { purl } from '../../image/scan/sbom.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { isRoot, ROOT_REASON, storeWith } from './fixtures.js';

const skip = !isRoot && ROOT_REASON;
interface Bom { bomFormat: string; specVersion: string; serialNumber: string; version: number; metadata: { component: { type: string; name: string; 'bom-ref': string } }; components: Array<{ type: string; name: string; version: string; purl?: string; 'bom-ref': string; properties?: Array<{ name: string; value: string }> }> }
const purls = (b: Bom): string[] => b.components.filter((c) => c.purl).map((c) => c.purl!).sort();

t.test('purl: deb and apk types, "+" encoded, qualifiers sorted', async (t) => {
  t.equal(purl({ ecosystem: 'deb', name: 'libc6', version: '2.36-9+deb12u4', arch: 'amd64', db: 'x', layer: 0 }, { id: 'debian', versionId: '12' }), 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12');
  t.equal(purl({ ecosystem: 'deb', name: 'attr', version: '1:2.4.47-2', db: 'x', layer: 0 }), 'pkg:deb/debian/attr@1:2.4.47-2', 'epoch colon kept, no qualifiers without data');
  t.equal(purl({ ecosystem: 'apk', name: 'musl', version: '1.2.4_git20230717-r4', arch: 'x86_64', db: 'x', layer: 0 }, { id: 'alpine', versionId: '3.19.1' }), 'pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=alpine-3.19.1');
  t.equal(purl({ ecosystem: 'deb', name: 'libstdc++6', version: '12.2.0-14', arch: 'amd64', db: 'x', layer: 0 }, { id: 'ubuntu', versionId: '22.04' }), 'pkg:deb/ubuntu/libstdc%2B%2B6@12.2.0-14?arch=amd64&distro=ubuntu-22.04');
});

t.test('dpkg (status and status.d/) and apk images give CycloneDX 1.5 documents', { skip }, async (t) => {
  const deb = await storeWith(t, [{ tags: ['t/sbom-deb:1'], config: { User: 'app' }, layers: [
    [{ name: 'etc/os-release', data: 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' },
      { name: 'var/lib/dpkg/status', data: 'Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9+deb12u4\nSource: glibc\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n' }],
    [{ name: 'var/lib/dpkg/status.d/tzdata', data: 'Package: tzdata\nArchitecture: all\nVersion: 2024a-0+deb12u1\n' }],
  ] }]);
  const r = await scanImage(deb.store, 't/sbom-deb:1', { clamscan: false, sbom: 'cyclonedx' });
  const bom = r.sbom as unknown as Bom;
  t.equal(bom.bomFormat, 'CycloneDX');
  t.equal(bom.specVersion, '1.5');
  t.match(bom.serialNumber, /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  t.equal(bom.version, 1);
  t.same({ type: bom.metadata.component.type, ref: bom.metadata.component['bom-ref'] }, { type: 'container', ref: r.image.id });
  t.same(purls(bom), ['pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12', 'pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all&distro=debian-12'], 'installed packages only');
  t.same(bom.components.filter((c) => c.type === 'operating-system').map((c) => `${c.name} ${c.version}`), ['debian 12']);
  const tz = bom.components.find((c) => c.name === 'tzdata')!;
  t.same(tz.properties, [{ name: 'tssandbox:package-db', value: 'var/lib/dpkg/status.d/tzdata' }, { name: 'tssandbox:layer', value: r.image.diffIds[1] }]);
  t.same(bom.components.find((c) => c.name === 'libc6')!.properties![2], { name: 'tssandbox:source-package', value: 'glibc' });
  t.equal(new Set(bom.components.map((c) => c['bom-ref'])).size, bom.components.length, 'bom-refs are unique');
  t.match(r.notes.join('\n'), /SBOM: CycloneDX 1\.5, 2 package\(s\)/);
  t.notOk((await scanImage(deb.store, 't/sbom-deb:1', { clamscan: false })).sbom, 'no SBOM unless asked');

  const apk = await storeWith(t, [{ tags: ['t/sbom-apk:1'], config: { User: 'app' }, layers: [[
    { name: 'etc/os-release', data: 'ID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n' },
    { name: 'lib/apk/db/installed', data: 'C:Q1abc=\nP:musl\nV:1.2.4_git20230717-r4\nA:x86_64\no:musl\n\nP:busybox\nV:1.36.1-r15\nA:x86_64\n' },
  ]] }]);
  const a = await scanImage(apk.store, 't/sbom-apk:1', { clamscan: false, sbom: 'cyclonedx' });
  t.same(purls(a.sbom as unknown as Bom), ['pkg:apk/alpine/busybox@1.36.1-r15?arch=x86_64&distro=alpine-3.19.1', 'pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=alpine-3.19.1']);

  // CLI: --format json carries it; --sbom-file writes it alone; a wrong format is a usage error
  const cli = (...args: string[]) => spawnSync('node', [join(REPO_ROOT, 'bin/tssandbox.js'), '--root', apk.root, 'scan', 't/sbom-apk:1', '--no-clamav', ...args], { encoding: 'utf8' });
  const j = cli('--format', 'json', '--sbom', 'cyclonedx');
  t.equal(j.status, 0, j.stderr);
  t.same(purls((JSON.parse(j.stdout) as { sbom: Bom }).sbom), purls(a.sbom as unknown as Bom));
  t.notOk('sbom' in (JSON.parse(cli('--format', 'json').stdout) as object), 'absent without --sbom');
  const file = join(apk.dir, 'bom.json');
  const f = cli('--sbom-file', file);
  t.equal(f.status, 0, f.stderr);
  t.match(f.stdout, /SBOM: CycloneDX 1\.5, 2 package/);
  t.equal((JSON.parse(readFileSync(file, 'utf8')) as Bom).specVersion, '1.5');
  const bad = cli('--sbom', 'spdx');
  t.equal(bad.status, 125);
  t.match(bad.stderr, /--sbom.*spdx.*expected cyclonedx/);
});
