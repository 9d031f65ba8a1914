// test/scan/rpm-scan.test.ts — an rpm-based image scanned end to end: repodata primary.xml / updateinfo.xml staleness, OSV, EOL, SBOM purls (host, root)
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { scanImage, type Finding } from '../../image/scan/index.js';
import { endOfLife } from '../../image/scan/eol.js';
import { purl } from '../../image/scan/sbom.js';
import { readPackageIndex } from '../../image/scan/package-index.js';
import { COMPARE } from '../../image/scan/packages.js';
import { isRoot, ROOT_REASON, storeWith, tempDir } from './fixtures.js';
import { PY_REASON, headerBlob, sqliteDb } from './rpm-fixtures.js';
import type { Test } from '../image/fixtures.js';

const skip = (!isRoot && ROOT_REASON) || PY_REASON;
const vulns = (fs: readonly Finding[]): string[] => fs.filter((f) => f.category === 'vulnerabilities').map((f) => `${f.rule} ${f.severity} ${f.message.split(' is ')[0]}`).sort();

const PRIMARY = `<?xml version="1.0" encoding="UTF-8"?>
<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="5">
<package type="rpm"><name>bash</name><arch>x86_64</arch><version epoch="0" ver="5.2.26" rel="3.fc39"/><checksum type="sha256" pkgid="YES">00</checksum></package>
<package type="rpm"><name>bash</name><arch>src</arch><version epoch="0" ver="9.9" rel="1.fc39"/></package>
<package type="rpm"><name>openssl</name><arch>x86_64</arch><version epoch="1" ver="3.1.1" rel="4.fc39"/></package>
<package type="rpm"><name>glibc</name><arch>x86_64</arch><version epoch="0" ver="2.38" rel="14.fc39"/></package>
<package type="rpm"><name>tzdata</name><arch>noarch</arch><version epoch="0" ver="2024a" rel="1.fc39~pre"/></package>
</metadata>
`;
const UPDATEINFO = `<?xml version="1.0" encoding="UTF-8"?>
<updates>
<update from="updates@fedoraproject.org" status="stable" type="security" version="2.0"><id>FEDORA-2024-0001</id><severity>Important</severity>
<pkglist><collection short="F39"><package name="openssl" version="3.1.4" release="1.fc39" epoch="1" arch="x86_64" src="openssl-3.1.4-1.fc39.src.rpm"><filename>openssl-3.1.4-1.fc39.x86_64.rpm</filename></package></collection></pkglist></update>
<update from="updates@fedoraproject.org" status="stable" type="bugfix" version="2.0"><id>FEDORA-2024-0002</id>
<pkglist><collection short="F39"><package name="glibc" version="2.38" release="99.fc39" epoch="0" arch="x86_64"/></collection></pkglist></update>
</updates>
`;

async function fedora(t: Test) {
  const dir = tempDir(t, 'tss-rpmimg-');
  const db = join(dir, 'rpmdb.sqlite');
  sqliteDb(db, [
    headerBlob({ name: 'bash', version: '5.2.26', release: '1.fc39', arch: 'x86_64', sourceRpm: 'bash-5.2.26-1.fc39.src.rpm' }),
    headerBlob({ name: 'openssl-libs', version: '3.1.1', release: '4.fc39', epoch: 1, arch: 'x86_64', sourceRpm: 'openssl-3.1.1-4.fc39.src.rpm' }),
    headerBlob({ name: 'openssl', version: '3.1.1', release: '4.fc39', epoch: 1, arch: 'x86_64', sourceRpm: 'openssl-3.1.1-4.fc39.src.rpm' }),
    headerBlob({ name: 'glibc', version: '2.38', release: '14.fc39', arch: 'x86_64', sourceRpm: 'glibc-2.38-14.fc39.src.rpm', vendor: 'Fedora Project' }),
    headerBlob({ name: 'tzdata', version: '2024a', release: '1.fc39', arch: 'noarch' }),
    headerBlob({ name: 'gpg-pubkey', version: '18b8e74c', release: '62f2920f' }),
  ]);
  return storeWith(t, [{ tags: ['t/fedora:39'], config: { User: 'app' }, layers: [[
    { name: 'usr/lib/os-release', data: 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=39\nPRETTY_NAME="Fedora Linux 39 (Container Image)"\n' },
    { name: 'usr/lib/sysimage/rpm/rpmdb.sqlite', data: readFileSync(db) },
  ]] }]);
}

t.test('rpm image: stale against primary.xml (plain, gz, xz, zst), security against updateinfo.xml, EOL', { skip }, async (t) => {
  const { store, dir } = await fedora(t);
  const plain = join(dir, 'primary.xml');
  writeFileSync(plain, PRIMARY);
  const variants = [plain, (() => { const p = `${plain}.gz`; writeFileSync(p, gzipSync(PRIMARY)); return p; })()];
  for (const [ext, cmd] of [['xz', 'xz'], ['zst', 'zstd']] as const) {
    if (spawnSync(cmd, ['--version']).status === 0) { const p = `${plain}.${ext}`; writeFileSync(p, execFileSync(cmd, ['-c', '-q'], { input: PRIMARY })); variants.push(p); }
  }
  for (const p of variants) {
    const r = await scanImage(store, 't/fedora:39', { clamscan: false, packageIndexes: [p] });
    t.same(vulns(r.findings), [
      'vuln.distro-eol high Fedora Linux 39 (Container Image) reached end of life on 2024-11-26 (built-in); it gets no security updates',
      'vuln.stale-package medium bash 5.2.26-1.fc39',
    ], `${p}: bash only (tzdata's ~pre release is older; the src entry is ignored)`);
    t.match(r.notes.join('\n'), /packages: 5 installed, checked against/, 'gpg-pubkey is not a package');
  }
  const upd = join(dir, 'updateinfo.xml');
  writeFileSync(upd, UPDATEINFO);
  const r = await scanImage(store, 't/fedora:39', { clamscan: false, packageIndexes: [plain, upd] });
  t.same(vulns(r.findings).filter((l) => !l.includes('distro-eol')), [
    'vuln.security-update high openssl 1:3.1.1-4.fc39',
    'vuln.stale-package medium bash 5.2.26-1.fc39',
  ], 'a security erratum raises the severity; a bugfix erratum is not read');
  const f = r.findings.find((x) => x.rule === 'vuln.security-update')!;
  t.equal(f.path, 'usr/lib/sysimage/rpm/rpmdb.sqlite');
  t.equal(f.layer, r.image.diffIds[0]);
  t.equal(f.nist, '3.1.1/4.1.1');
});

t.test('rpm image: OSV advisories by source rpm name with rpm version order; SBOM purls', { skip }, async (t) => {
  const { store, dir } = await fedora(t);
  const adv = join(dir, 'osv');
  mkdirSync(adv);
  writeFileSync(join(adv, 'ALSA-1.json'), JSON.stringify({ id: 'ALSA-2024:0001', summary: 'openssl flaw', database_specific: { severity: 'Important' },
    affected: [{ package: { ecosystem: 'AlmaLinux:9', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:3.1.1-4.fc39.1' }] }] }] }));
  writeFileSync(join(adv, 'RHSA-2.json'), JSON.stringify({ id: 'RHSA-2024:0002', affected: [{ package: { ecosystem: 'Red Hat:enterprise_linux:9::baseos', name: 'glibc' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.38-14.fc39' }] }] }] }));
  const r = await scanImage(store, 't/fedora:39', { clamscan: false, advisories: adv, sbom: 'cyclonedx' });
  t.same(r.findings.filter((x) => x.rule === 'vuln.advisory').map((x) => `${x.severity} ${x.message}`).sort(), [
    'high openssl 1:3.1.1-4.fc39: ALSA-2024:0001 (fixed in 1:3.1.1-4.fc39.1) — openssl flaw',
    'high openssl-libs 1:3.1.1-4.fc39: ALSA-2024:0001 (fixed in 1:3.1.1-4.fc39.1) — openssl flaw',
  ], 'both binaries of the source rpm; glibc is at the fixed release');
  const comps = (r.sbom!.components as Array<{ purl?: string; properties?: Array<{ name: string; value: string }> }>);
  const ssl = comps.find((c) => c.purl?.startsWith('pkg:rpm/fedora/openssl@'))!;
  t.equal(ssl.purl, 'pkg:rpm/fedora/openssl@3.1.1-4.fc39?arch=x86_64&distro=fedora-39&epoch=1');
  t.same(ssl.properties?.find((p) => p.name === 'tssandbox:source-package'), undefined, 'source equals name: no property');
  t.equal((comps.find((c) => c.purl?.startsWith('pkg:rpm/fedora/glibc@')) as { publisher?: string }).publisher, 'Fedora Project', 'rpm VENDOR is the publisher');
  t.ok(comps.find((c) => c.purl === 'pkg:rpm/fedora/openssl-libs@3.1.1-4.fc39?arch=x86_64&distro=fedora-39&epoch=1')?.properties?.some((p) => p.name === 'tssandbox:source-package' && p.value === 'openssl'));
});

t.test('rpm distributions in the end-of-life table; repodata index parsing', async (t) => {
  t.same(endOfLife('fedora', '39', '/nonexistent'), { eol: '2024-11-26', source: 'built-in' });
  t.same(endOfLife('sles', '15.5', '/nonexistent'), { eol: '2024-12-31', source: 'built-in' }, 'per service pack');
  t.same(endOfLife('opensuse-leap', '15.6', '/nonexistent'), { eol: '2026-04-30', source: 'built-in' });
  t.same(endOfLife('rocky', '9.3', '/nonexistent'), { eol: '2032-05-31', source: 'built-in' });
  t.same(endOfLife('amzn', '2023', '/nonexistent'), { eol: '2029-06-30', source: 'built-in' });
  t.same(endOfLife('centos', '9', '/nonexistent'), { eol: '2027-05-31', source: 'built-in' });
  const dir = tempDir(t, 'tss-rpmidx-');
  writeFileSync(join(dir, 'primary.xml'), PRIMARY);
  writeFileSync(join(dir, 'updateinfo.xml'), UPDATEINFO);
  const p = readPackageIndex(join(dir, 'primary.xml'), COMPARE);
  t.equal(p.ecosystem, 'rpm');
  t.equal(p.security, false);
  t.same([...p.versions].sort(), [['bash', '5.2.26-3.fc39'], ['glibc', '2.38-14.fc39'], ['openssl', '1:3.1.1-4.fc39'], ['tzdata', '2024a-1.fc39~pre']]);
  const u = readPackageIndex(join(dir, 'updateinfo.xml'), COMPARE);
  t.same({ eco: u.ecosystem, sec: u.security, v: [...u.versions] }, { eco: 'rpm', sec: true, v: [['openssl', '1:3.1.4-1.fc39']] });
  t.equal(purl({ ecosystem: 'rpm', name: 'bash', version: '5.2.26-1.fc39', db: 'x', layer: 0 }), 'pkg:rpm/redhat/bash@5.2.26-1.fc39', 'no os-release: the purl spec\'s default namespace');
});
