// test/scan/packages.test.ts — dpkg/apk inventories against Packages/APKINDEX in every compression, security suites, EOL, rpm, OSV (host, root)
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { scanImage, type Finding } from '../../image/scan/index.js';
import { endOfLife } from '../../image/scan/eol.js';
import { isRoot, ROOT_REASON, storeWith } from './fixtures.js';
import type { Test } from '../image/fixtures.js';

const skip = !isRoot && ROOT_REASON;
const has = (cmd: string): boolean => spawnSync(cmd, ['--version']).status === 0;
// end of life depends on today's date: only the rpm/EOL test looks at it
const vulns = (fs: readonly Finding[], eol = false): string[] => fs.filter((f) => f.category === 'vulnerabilities' && (eol || f.rule !== 'vuln.distro-eol')).map((f) => `${f.rule} ${f.severity} ${f.message.split(' is ')[0]}`).sort();

const STATUS = [
  'Package: libc6\nStatus: install ok installed\nVersion: 2.36-9+deb12u4\nSource: glibc\n',
  'Package: curl\nStatus: install ok installed\nVersion: 7.88.1-10+deb12u5\n',
  'Package: tzdata\nStatus: install ok installed\nVersion: 2024a-0+deb12u1\n',
  'Package: removed-pkg\nStatus: deinstall ok config-files\nVersion: 1.0-1\n',
].join('\n');
const PACKAGES = 'Package: libc6\nVersion: 2.36-9+deb12u7\nArchitecture: amd64\n\nPackage: curl\nVersion: 7.88.1-10+deb12u5\n\nPackage: tzdata\nVersion: 2024a-0+deb12u1\n\nPackage: removed-pkg\nVersion: 2.0-1\n';
const SECURITY = 'Package: curl\nVersion: 7.88.1-10+deb12u8\n';

async function debianish(t: Test, osRelease = 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n') {
  return storeWith(t, [{ tags: ['t/deb:1'], config: { User: 'app' }, layers: [
    [{ name: 'etc/os-release', data: osRelease }, { name: 'var/lib/dpkg/status', data: STATUS },
      { name: 'var/lib/dpkg/status.d/base-files', data: 'Package: base-files\nVersion: 12.4+deb12u1\n' }],
  ] }]);
}
t.test('dpkg: stale vs the index, higher against a security suite, in every compression apt uses', { skip }, async (t) => {
  const { store, dir } = await debianish(t);
  const plain = join(dir, 'main_Packages');
  writeFileSync(plain, `${PACKAGES}\nPackage: base-files\nVersion: 12.4+deb12u5\n`);
  const variants: Array<[string, () => string]> = [
    ['plain', () => plain],
    ['gz', () => { const p = `${plain}.gz`; writeFileSync(p, gzipSync(Buffer.from(PACKAGES))); return p; }],
  ];
  for (const [ext, cmd] of [['xz', 'xz'], ['lz4', 'lz4'], ['zst', 'zstd']] as const) {
    if (has(cmd)) variants.push([ext, () => { const p = `${plain}.${ext}`; writeFileSync(p, execFileSync(cmd, ['-c', '-q'], { input: PACKAGES })); return p; }]);
    else t.comment(`${cmd} not installed: ${ext} not tested`);
  }
  for (const [name, make] of variants) {
    const r = await scanImage(store, 't/deb:1', { clamscan: false, packageIndexes: [make()] });
    const want = ['vuln.stale-package medium libc6 2.36-9+deb12u4'];
    if (name === 'plain') want.push('vuln.stale-package medium base-files 12.4+deb12u1');
    t.same(vulns(r.findings), want.sort(), `${name}: only the older packages, not the deinstalled one`);
    const f = r.findings.find((x) => x.rule === 'vuln.stale-package')!;
    t.equal(f.nist, '3.1.1/4.1.1');
    t.equal(f.layer, r.image.diffIds[0]);
  }
  const sec = join(dir, 'bookworm-security_main_Packages');
  writeFileSync(sec, SECURITY);
  const r = await scanImage(store, 't/deb:1', { clamscan: false, packageIndexes: [`${plain}.gz`, sec] });
  t.same(vulns(r.findings), ['vuln.security-update high curl 7.88.1-10+deb12u5', 'vuln.stale-package medium libc6 2.36-9+deb12u4']);
});

t.test('apk: installed db against an APKINDEX (plain and .tar.gz)', { skip }, async (t) => {
  const { store, dir } = await storeWith(t, [{ tags: ['t/apk:1'], config: { User: 'app' }, layers: [[
    { name: 'etc/os-release', data: 'ID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n' },
    { name: 'lib/apk/db/installed', data: 'C:Q1abc=\nP:musl\nV:1.2.4_git20230717-r4\nA:x86_64\no:musl\n\nP:busybox\nV:1.36.1-r15\nA:x86_64\n\nP:zlib\nV:1.3.1-r0\n' },
  ]] }]);
  const idx = 'C:Q1x=\nP:musl\nV:1.2.4_git20230717-r5\n\nP:busybox\nV:1.36.1-r15\n\nP:zlib\nV:1.3_rc1-r0\n';
  const plain = join(dir, 'APKINDEX');
  writeFileSync(plain, idx);
  const tgzDir = join(dir, 'tgz');
  mkdirSync(tgzDir);
  writeFileSync(join(tgzDir, 'APKINDEX'), idx);
  writeFileSync(join(tgzDir, 'DESCRIPTION'), 'v3.19');
  execFileSync('tar', ['-czf', join(dir, 'APKINDEX.tar.gz'), '-C', tgzDir, 'DESCRIPTION', 'APKINDEX']);
  for (const p of [plain, join(dir, 'APKINDEX.tar.gz')]) {
    const r = await scanImage(store, 't/apk:1', { clamscan: false, packageIndexes: [p] });
    t.same(vulns(r.findings), ['vuln.stale-package medium musl 1.2.4_git20230717-r4'], p);
  }
});

t.test('rpm database: a garbage BerkeleyDB is a finding naming it; EOL from os-release', { skip }, async (t) => {
  const { store } = await storeWith(t, [{ tags: ['t/rpm:1'], config: { User: 'app' }, layers: [[
    { name: 'etc/os-release', data: 'ID="centos"\nVERSION_ID="7"\nPRETTY_NAME="CentOS Linux 7 (Core)"\n' },
    { name: 'var/lib/rpm/Packages', data: Buffer.alloc(4096, 1) },
  ]] }]);
  const r = await scanImage(store, 't/rpm:1', { clamscan: false });
  const bad = r.findings.find((f) => f.rule === 'vuln.package-db-unreadable');
  t.match(bad?.message, /^read package database `var\/lib\/rpm\/Packages`: not a BerkeleyDB hash database/);
  t.equal(bad?.path, 'var/lib/rpm/Packages');
  t.match(vulns(r.findings, true), ['vuln.distro-eol high CentOS Linux 7 (Core) reached end of life on 2024-06-30 (built-in); it gets no security updates', /^vuln.package-db-unreadable medium/]);
});

t.test('end-of-life table and distro-info', async (t) => {
  t.same(endOfLife('alpine', '3.12.4', '/nonexistent'), { eol: '2022-05-01', source: 'built-in' });
  t.same(endOfLife('ubuntu', '22.04', '/nonexistent'), { eol: '2027-06-01', source: 'built-in' });
  t.same(endOfLife('plan9', '4', '/nonexistent'), { source: 'unknown' });
  const csv = spawnSync('test', ['-f', '/usr/share/distro-info/debian.csv']).status === 0;
  if (csv) t.equal(endOfLife('debian', '10').source, 'distro-info', 'host distro-info used when present');
});

t.test('OSV advisories match by source package and ECOSYSTEM ranges', { skip }, async (t) => {
  const { store, dir } = await debianish(t);
  const adv = join(dir, 'osv');
  mkdirSync(adv);
  writeFileSync(join(adv, 'DSA-0001.json'), JSON.stringify({ id: 'DSA-0001-1', summary: 'glibc bug', affected: [{ package: { ecosystem: 'Debian:12', name: 'glibc' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.36-9+deb12u5' }] }] }] }));
  writeFileSync(join(adv, 'DSA-0002.json'), JSON.stringify({ id: 'DSA-0002-1', affected: [{ package: { ecosystem: 'Debian:12', name: 'curl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '7.88.1-10+deb12u1' }] }] }] }));
  const r = await scanImage(store, 't/deb:1', { clamscan: false, advisories: adv });
  t.same(r.findings.filter((f) => f.rule === 'vuln.advisory').map((f) => f.message), ['libc6 2.36-9+deb12u4: DSA-0001-1 (fixed in 2.36-9+deb12u5) — glibc bug']);
});
