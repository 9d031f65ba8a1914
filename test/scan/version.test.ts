// test/scan/version.test.ts — dpkg's and apk's version order: tricky-case tables, and every pair checked against `dpkg --compare-versions` (pure + host dpkg)
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { compareApk, compareDeb } from '../../image/scan/version.js';

// [a, b, expected sign of a vs b]
const DEB: Array<[string, string, number]> = [
  ['1.0', '1.0', 0], ['1.0', '1.0-0', 0], ['0:1.0', '1.0', 0], ['1.0-1', '1.0-01', 0],
  ['1.0~rc1', '1.0', -1], ['1.0~~', '1.0~', -1], ['1.0~~a', '1.0~~', 1], ['1.0~', '1.0', -1], ['1.0', '1.0+', -1],
  ['1.0a', '1.0', 1], ['1.0a', '1.0+', -1], ['1.0.', '1.0', 1], ['1.0-1', '1.0-1~bpo1', 1],
  ['1:0.1', '9.9', 1], ['2:1.0', '10:0.1', -1], ['1.2.3', '1.2.10', -1], ['1.002', '1.2', 0], ['1.10', '1.9', 1],
  ['2.30-1', '2.30-1+deb12u1', -1], ['2.36-9+deb12u4', '2.36-9+deb12u10', -1], ['7.88.1-10+deb12u5', '7.88.1-10+deb12u12', -1],
  ['1.0-1ubuntu1', '1.0-1', 1], ['1.0-1', '1.0-1build1', -1], ['a', 'b', -1], ['1a', '1b', -1], ['1-a', '1-b', -1],
  ['1.0-a.1', '1.0-a.01', 0], ['3.0.11-1~deb12u2', '3.0.11-1', -1], ['1.0+dfsg', '1.0', 1], ['1.0+dfsg-1', '1.0-1', 1],
  ['0.0', '0', 1], ['1.0-1-1', '1.0-1', 1], ['1.2-3-4', '1.2-3-5', -1], ['9:', '9:0', 0],
];

const APK: Array<[string, string, number]> = [
  ['1.0', '1.0', 0], ['1.0-r1', '1.0-r0', 1], ['1.0', '1.0-r0', 0], ['1.0.1', '1.0', 1], ['1.2', '1.10', -1],
  ['1.0_alpha1', '1.0_beta1', -1], ['1.0_beta', '1.0_pre', -1], ['1.0_pre1', '1.0_rc1', -1], ['1.0_rc1', '1.0', -1],
  ['1.0', '1.0_p1', -1], ['1.0_git20240101', '1.0', 1], ['1.0a', '1.0', 1], ['1.0a', '1.0b', -1], ['1.01', '1.1', -1],
  ['3.1.4-r5', '3.1.4-r10', -1], ['2.38.1-r0', '2.38.10-r0', -1],
];

t.test('dpkg order: tricky cases', async (t) => {
  for (const [a, b, want] of DEB) {
    t.equal(compareDeb(a, b), want, `${a} vs ${b}`);
    t.equal(compareDeb(b, a), -want, `${b} vs ${a}`);
  }
});

const hasDpkg = spawnSync('dpkg', ['--version']).status === 0;

t.test('dpkg order matches `dpkg --compare-versions` on every pair of a large table', { skip: !hasDpkg && 'dpkg not installed', timeout: 300_000 }, async (t) => {
  const versions = [...new Set(DEB.flatMap(([a, b]) => [a, b]).filter((v) => /^(?:\d+:)?\d/.test(v) && !v.endsWith(':')))];
  // fixed pseudo-random extras: digits, letters, ~, +, ., - mixed
  let seed = 12345;
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const chars = '0123456789ab~+.';
  for (let i = 0; i < 60; i++) {
    let v = String(rand(3));
    for (let k = rand(6); k > 0; k--) v += chars[rand(chars.length)];
    if (rand(2)) v = `${v}-${rand(5)}${rand(2) ? '~b' : '+u1'}`;
    if (rand(5) === 0) v = `${rand(3)}:${v}`;
    versions.push(v);
  }
  // one dpkg call per pair is slow: a shell loop prints lt/eq/gt per pair
  // the tricky table, then 500 fixed pseudo-random pairs over all versions (a dpkg call costs ~10 ms)
  const pairs: Array<[string, string]> = DEB.filter(([a, b]) => !a.endsWith(':') && !b.endsWith(':')).map(([a, b]) => [a, b]);
  for (let i = 0; i < 500; i++) pairs.push([versions[rand(versions.length)]!, versions[rand(versions.length)]!]);
  const script = 'while read a b; do if dpkg --compare-versions "$a" lt "$b" 2>/dev/null; then echo -1; elif dpkg --compare-versions "$a" eq "$b" 2>/dev/null; then echo 0; else echo 1; fi; done';
  const out = spawnSync('sh', ['-c', script], { input: pairs.map(([a, b]) => `${a} ${b}`).join('\n') + '\n', encoding: 'utf8', maxBuffer: 1 << 26 });
  const got = out.stdout.trim().split('\n').map(Number);
  t.equal(got.length, pairs.length);
  let mismatches = 0;
  for (const [i, [a, b]] of pairs.entries()) {
    if (compareDeb(a, b) !== got[i]) { mismatches++; if (mismatches < 10) t.fail(`${a} vs ${b}: ours ${compareDeb(a, b)}, dpkg ${got[i]}`); }
  }
  t.equal(mismatches, 0, `${pairs.length} pairs agree with dpkg`);
});

t.test('apk order: tricky cases', async (t) => {
  for (const [a, b, want] of APK) {
    t.equal(compareApk(a, b), want, `${a} vs ${b}`);
    t.equal(compareApk(b, a), -want, `${b} vs ${a}`);
  }
});
