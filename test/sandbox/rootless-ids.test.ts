// test/sandbox/rootless-ids.test.ts — rootless id ranges and the limits line, as pure functions (tests)
import t from 'tap';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { rootlessIds, subRange } from '../../sandbox/rootless.js';
import { limitsWarning, refuseUnenforcedLimits } from '../../sandbox/rootless-limits.js';
import type { RunOptions } from '../../sandbox/flags.js';

t.test('subRange: by name or number, the first valid line, capped at 65536', async (t) => {
  const text = '# comment\nalice:100000:65536\nbob:bad:1\n1002:300000:200000\nbob:200000:1000\n';
  t.same(subRange(text, 'alice', 1001), { start: 100000, count: 65536 });
  t.same(subRange(text, 'bob', 1003), { start: 200000, count: 1000 }, 'a malformed line is skipped');
  t.same(subRange(text, 'carol', 1002), { start: 300000, count: 65536 }, 'by number, capped');
  t.equal(subRange(text, 'dave', 1004), null);
  t.equal(subRange('eve:0:65536\n', 'eve', 1), null, 'a range starting at 0 (host root) is never taken');
});

t.test('rootlessIds: the launcher maps 0 → the user, 1…N → the range; the container mirrors it extent by extent',
  { skip: existsSync('/usr/bin/newuidmap') ? false : '/usr/bin/newuidmap missing (Debian package uidmap)' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tss-rootless-ids-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const me = userInfo().username, uid = process.getuid!(), gid = process.getgid!();
  const subuid = join(dir, 'subuid'), subgid = join(dir, 'subgid');
  writeFileSync(subuid, `${me}:100000:65536\n`);
  writeFileSync(subgid, `${me}:200000:4096\n`);
  const ids = rootlessIds({ subuid, subgid });
  t.same(ids.maps.uidMap, [{ inside: 0, outside: uid, count: 1 }, { inside: 1, outside: 100000, count: 4096 }], 'the smaller range size on both sides');
  t.same(ids.maps.gidMap, [{ inside: 0, outside: gid, count: 1 }, { inside: 1, outside: 200000, count: 4096 }]);
  t.same(ids.inner, [{ inside: 0, outside: 0, count: 1 }, { inside: 1, outside: 1, count: 4096 }], 'never one extent straddling two of the parent\'s');
  t.equal(ids.count, 4097);
  t.equal(ids.note, undefined);
  writeFileSync(subgid, '');
  const one = rootlessIds({ subuid, subgid });
  t.equal(one.count, 1, 'no gid range: one id');
  t.same(one.maps.uidMap, [{ inside: 0, outside: uid, count: 1 }]);
  t.match(one.note, new RegExp(`no range in ${subgid}`), 'the note names the file without a range');
});

t.test('limits: one line naming them; an explicit flag among them refused', async (t) => {
  const cg = { missing: ['memory', 'pids'] as const, warnings: ['--memory is not enforced: v1 is root\'s', '--pids-limit is not enforced: v1 is root\'s'] };
  t.equal(limitsWarning({ ...cg, missing: [...cg.missing] }), 'rootless: limits not enforced (no writable cgroup for them on this host): --memory, --pids-limit');
  t.equal(limitsWarning({ missing: [], warnings: [] }), undefined);
  t.doesNotThrow(() => refuseUnenforcedLimits({ cpus: '1' } as unknown as RunOptions, { ...cg, missing: [...cg.missing] }), 'a flag whose limit is enforced passes');
  t.throws(() => refuseUnenforcedLimits({ pidsLimit: '50' } as unknown as RunOptions, { ...cg, missing: [...cg.missing] }), /run `--pids-limit 50`: cannot be enforced rootless here \(v1 is root's\)/);
});
