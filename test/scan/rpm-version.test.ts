// test/scan/rpm-version.test.ts — rpmvercmp against rpm's own test vectors (tests/rpmvercmp.at) and, when installed, rpm itself (host)
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { compareRpm, parseEvr, rpmvercmp } from '../../image/scan/rpm-version.js';

// rpm's tests/rpmvercmp.at, RPMVERCMP(a, b, expected), as remembered from rpm 4.18
const VECTORS: Array<[string, string, number]> = [
  ['1.0', '1.0', 0], ['1.0', '2.0', -1], ['2.0', '1.0', 1],
  ['2.0.1', '2.0.1', 0], ['2.0', '2.0.1', -1], ['2.0.1', '2.0', 1],
  ['2.0.1a', '2.0.1a', 0], ['2.0.1a', '2.0.1', 1], ['2.0.1', '2.0.1a', -1],
  ['5.5p1', '5.5p1', 0], ['5.5p1', '5.5p2', -1], ['5.5p2', '5.5p1', 1],
  ['5.5p10', '5.5p10', 0], ['5.5p1', '5.5p10', -1], ['5.5p10', '5.5p1', 1],
  ['10xyz', '10.1xyz', -1], ['10.1xyz', '10xyz', 1],
  ['xyz10', 'xyz10', 0], ['xyz10', 'xyz10.1', -1], ['xyz10.1', 'xyz10', 1],
  ['xyz.4', 'xyz.4', 0], ['xyz.4', '8', -1], ['8', 'xyz.4', 1], ['xyz.4', '2', -1], ['2', 'xyz.4', 1],
  ['5.5p2', '5.6p1', -1], ['5.6p1', '5.5p2', 1], ['5.6p1', '6.5p1', -1], ['6.5p1', '5.6p1', 1],
  ['6.0.rc1', '6.0', 1], ['6.0', '6.0.rc1', -1],
  ['10b2', '10a1', 1], ['10a2', '10b2', -1],
  ['1.0aa', '1.0aa', 0], ['1.0a', '1.0aa', -1], ['1.0aa', '1.0a', 1],
  ['10.0001', '10.0001', 0], ['10.0001', '10.1', 0], ['10.1', '10.0001', 0], ['10.0001', '10.0039', -1], ['10.0039', '10.0001', 1],
  ['4.999.9', '5.0', -1], ['5.0', '4.999.9', 1],
  ['20101121', '20101121', 0], ['20101121', '20101122', -1], ['20101122', '20101121', 1],
  ['2_0', '2_0', 0], ['2.0', '2_0', 0], ['2_0', '2.0', 0],
  ['a', 'a', 0], ['a+', 'a+', 0], ['a+', 'a_', 0], ['a_', 'a+', 0], ['+a', '+a', 0], ['+a', '_a', 0], ['_a', '+a', 0],
  ['+_', '+_', 0], ['_+', '+_', 0], ['_+', '_', 0], ['+', '_', 0], ['_', '+', 0],
  ['1.0~rc1', '1.0~rc1', 0], ['1.0~rc1', '1.0', -1], ['1.0', '1.0~rc1', 1], ['1.0~rc1', '1.0~rc2', -1], ['1.0~rc2', '1.0~rc1', 1],
  ['1.0~rc1~git123', '1.0~rc1~git123', 0], ['1.0~rc1~git123', '1.0~rc1', -1], ['1.0~rc1', '1.0~rc1~git123', 1],
  ['1.0^', '1.0^', 0], ['1.0^', '1.0', 1], ['1.0', '1.0^', -1],
  ['1.0^git1', '1.0^git1', 0], ['1.0^git1', '1.0', 1], ['1.0', '1.0^git1', -1], ['1.0^git1', '1.0^git2', -1], ['1.0^git2', '1.0^git1', 1],
  ['1.0^git1', '1.01', -1], ['1.01', '1.0^git1', 1],
  ['1.0^20160101', '1.0^20160101', 0], ['1.0^20160101', '1.0.1', -1], ['1.0.1', '1.0^20160101', 1],
  ['1.0^20160101^git1', '1.0^20160101^git1', 0], ['1.0^20160102', '1.0^20160101^git1', 1], ['1.0^20160101^git1', '1.0^20160102', -1],
  ['1.0~rc1^git1', '1.0~rc1^git1', 0], ['1.0~rc1^git1', '1.0~rc1', 1], ['1.0~rc1', '1.0~rc1^git1', -1],
  ['1.0^git1~pre', '1.0^git1~pre', 0], ['1.0^git1', '1.0^git1~pre', 1], ['1.0^git1~pre', '1.0^git1', -1],
  // "these are included here to document current, arguably buggy behaviors"
  ['1b.fc17', '1b.fc17', 0], ['1b.fc17', '1.fc17', -1], ['1.fc17', '1b.fc17', 1],
  ['1g.fc17', '1g.fc17', 0], ['1g.fc17', '1.fc17', 1], ['1.fc17', '1g.fc17', -1],
];

t.test("rpm's rpmvercmp vectors", async (t) => {
  for (const [a, b, want] of VECTORS) t.equal(rpmvercmp(a, b), want, `rpmvercmp(${a}, ${b})`);
});

t.test('epoch:version-release', async (t) => {
  t.same(parseEvr('2:1.2.3-4.fc39'), { epoch: '2', version: '1.2.3', release: '4.fc39' });
  t.same(parseEvr('1.2.3'), { epoch: '', version: '1.2.3', release: '' });
  t.same(parseEvr('a:1-2'), { epoch: '', version: 'a:1', release: '2' }, 'a non-numeric "epoch" is part of the version');
  t.equal(compareRpm('1:1.0-1', '2.0-1'), 1, 'epoch first');
  t.equal(compareRpm('0:1.0-1', '1.0-1'), 0, 'missing epoch is 0');
  t.equal(compareRpm('1.0-1.el9', '1.0-1.el9_2'), -1, 'release decides');
  t.equal(compareRpm('1.0', '1.0-5'), -1, 'a missing release sorts first (as rpm.vercmp; dependency ranges differ)');
  t.equal(compareRpm('10:1-1', '9:2-1'), 1, 'epochs compare as numbers');
  t.equal(compareRpm('1.0-1', '1.0-1'), 0);
});

// a differential check: rpm's embedded lua exposes rpm.vercmp (rpmverCmp on parsed EVRs)
const rpmOk = spawnSync('rpm', ['--version']).status === 0;
t.test('same order as rpm.vercmp on every pair of a table', { skip: !rpmOk && 'rpm is not installed (apt-get install rpm)' }, async (t) => {
  const evrs = [...new Set([...VECTORS.flatMap(([a, b]) => [a, b]), '1:1.0-1', '1.0-1', '1.0-2', '2:0.1-1.el9', '1.0-1.el9_2', '1.0-1.el9', '0:1.0-1', '3.2.1-10.fc39', '3.2.1-9.fc39', '1.0~rc1-1', '1.0^git1-1'])];
  const pairs: Array<[string, string]> = [];
  for (const a of evrs) for (const b of evrs) pairs.push([a, b]);
  // one rpm process for the whole table (rpm's start-up dominates)
  const lua = `%{lua: for _, p in ipairs({${pairs.map(([a, b]) => `{${JSON.stringify(a)},${JSON.stringify(b)}}`).join(',')}}) do print(rpm.vercmp(p[1], p[2]) .. "\\n") end}`;
  const r = spawnSync('rpm', ['--eval', lua], { encoding: 'utf8', maxBuffer: 1 << 26 });
  t.equal(r.status, 0, r.stderr);
  const got = r.stdout.trim().split('\n').map(Number);
  t.equal(got.length, pairs.length);
  let mismatches = 0;
  for (const [i, [a, b]] of pairs.entries()) {
    if (Math.sign(got[i]!) !== compareRpm(a, b)) { mismatches++; if (mismatches < 10) t.fail(`compareRpm(${a}, ${b}) = ${compareRpm(a, b)}, rpm says ${got[i]}`); }
  }
  t.equal(mismatches, 0, `${pairs.length} pairs agree with rpm`);
});
