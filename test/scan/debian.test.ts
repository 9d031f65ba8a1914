// test/scan/debian.test.ts — acceptance: a real Debian minbase with one dpkg entry downgraded, against the host's apt lists (host, root, mmdebstrap cached)
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scanImage, type Finding } from '../../image/scan/index.js';
import { stanzas, readPackageIndex } from '../../image/scan/package-index.js';
import { COMPARE } from '../../image/scan/packages.js';
import { compareDeb } from '../../image/scan/version.js';
import { debianMissing, debianRootfs } from '../helpers/debian-rootfs.js';
import { tarOf } from '../helpers/image-archives.js';
import { withDirs } from './fixtures.js';
import { tempStore } from '../image/fixtures.js';
import { writeTwoLayerArchive } from './debian-image.js';

const LISTS = '/var/lib/apt/lists';
const lists = existsSync(LISTS) ? readdirSync(LISTS).filter((n) => /_Packages(?:\.(?:gz|xz|lz4|zst))?$/.test(n)).map((n) => join(LISTS, n)) : [];
const skip = debianMissing() || (!lists.length && `no apt Packages lists in ${LISTS} (run apt-get update)`);
const stale = (fs: readonly Finding[]): Finding[] => fs.filter((f) => f.rule === 'vuln.stale-package' || f.rule === 'vuln.security-update');

/** lower: a version dpkg orders just below v (the last number decremented, else a trailing "~"). */
function lower(v: string): string {
  const m = /^(.*?)(\d+)$/.exec(v);
  return m && Number(m[2]) > 0 ? `${m[1]}${Number(m[2]) - 1}` : `${v}~`;
}

t.test('Debian minbase: one downgraded dpkg entry is the only stale package', { skip, timeout: 900_000 }, async (t) => {
  const rootfs = await debianRootfs();
  const { store, dir } = tempStore(t);
  await store.importRootfs(rootfs, 'debian:minbase');
  const base = await store.resolve('debian:minbase');
  const status = readFileSync(join(base.layers[0]!, 'var/lib/dpkg/status'), 'utf8');

  const clean = await scanImage(store, 'debian:minbase', { clamscan: false, packageIndexes: lists, sbom: 'cyclonedx' });
  t.same(stale(clean.findings), [], 'the image as mmdebstrap made it: nothing stale');
  t.match(clean.notes.join('\n'), /packages: \d{2,} installed, checked against/);
  const purls = ((clean.sbom as { components: Array<{ purl?: string }> }).components).map((c) => c.purl).filter(Boolean);
  t.ok(purls.length > 50, `SBOM lists the installed packages (${purls.length})`);
  t.ok(purls.some((p) => /^pkg:deb\/debian\/libc6@[^?]+\?arch=amd64&distro=debian-12$/.test(p!)), 'libc6 with arch and distro');

  // the package to downgrade: one the security suite carries at the installed version, if any
  const security = lists.filter((l) => /security/.test(l)).map((l) => readPackageIndex(l, COMPARE));
  const installed = stanzas(status).filter((s) => /\binstalled$/.test(s.get('Status') ?? '')).map((s) => ({ name: s.get('Package')!, version: s.get('Version')! }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const pick = installed.find((p) => security.some((i) => i.versions.get(p.name) === p.version)) ?? installed[0]!;
  const old = lower(pick.version);
  t.ok(compareDeb(old, pick.version) < 0, `${old} < ${pick.version}`);
  if (spawnSync('dpkg', ['--version']).status === 0) t.equal(spawnSync('dpkg', ['--compare-versions', old, 'lt', pick.version]).status, 0, 'dpkg agrees');
  const inSecurity = security.some((i) => i.versions.has(pick.name));
  t.comment(`downgrading ${pick.name} ${pick.version} → ${old} (${inSecurity ? 'in' : 'not in'} the security suite)`);

  const changed = status.replace(new RegExp(`^(Package: ${pick.name.replace(/[.+]/g, '\\$&')}\\n(?:[^\\n]+\\n)*?Version: )${pick.version.replace(/[.+~]/g, '\\$&')}$`, 'm'), `$1${old}`);
  t.not(changed, status, 'the status file was changed');
  const top = await tarOf(withDirs([{ name: 'var/lib/dpkg/status', data: changed }]));
  const archive = join(dir, 'downgraded.tar');
  await writeTwoLayerArchive(archive, rootfs, top, 'debian:downgraded');
  await store.load(archive);

  const r = await scanImage(store, 'debian:downgraded', { clamscan: false, packageIndexes: lists });
  t.equal(r.image.diffIds.length, 2);
  const found = stale(r.findings);
  t.equal(found.length, 1, `exactly one stale package: ${found.map((f) => f.message).join('; ')}`);
  t.match(found[0]?.message ?? '', new RegExp(`^${pick.name.replace(/[.+]/g, '\\$&')} ${old.replace(/[.+~]/g, '\\$&')} is older than`));
  t.equal(found[0]?.rule, inSecurity ? 'vuln.security-update' : 'vuln.stale-package');
  t.equal(found[0]?.severity, inSecurity ? 'high' : 'medium');
  t.equal(found[0]?.nist, '3.1.1/4.1.1');
  t.equal(found[0]?.layer, r.image.diffIds[1], 'reported in the layer that holds the status file');
  t.equal(found[0]?.path, 'var/lib/dpkg/status');
});
