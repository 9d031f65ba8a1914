// test/policy/emulate-rules.test.ts — emulate rules in a profile: whole families, normalised paths, file:line, refusals; the notify rewrite routes every allowed open to them (tests, pure)
import t from 'tap';
import { loadProfileText } from '../../policy/load.js';
import { superviseePolicy } from '../../sandbox/notify/rules.js';

const profile = (rules: string, mode = 'notify'): string => `extends: strict
supervisor:
  mode: ${mode}
  rules:
${rules}`;

t.test('one member names the whole open family; paths normalised; the rule keeps its file:line', async (t) => {
  const p = loadProfileText(profile('    - { action: emulate, syscalls: openat, denyPaths: ["/data//secret/"], errno: EPERM }\n'), 'emu.yaml');
  const e = p.supervisor.emulate!;
  t.equal(e.length, 1);
  t.same([...e[0]!.syscalls].sort(), ['creat', 'open', 'openat', 'openat2']);
  t.same(e[0]!.paths, ['/data/secret']);
  t.equal(e[0]!.mode, 'deny');
  t.equal(e[0]!.errno, 1);
  t.equal(e[0]!.source, 'emu.yaml:5');
  const { policy, table } = superviseePolicy(p.seccomp!, p.supervisor);
  for (const s of ['open', 'openat', 'openat2', 'creat']) {
    const entries = (table.bySyscall[s] ?? []).map((i) => table.entries[i]!);
    t.ok(entries.some((x) => x.kind === 'emulate' && x.source === 'emu.yaml:5' && x.emulate === 0), `${s} is emulated by the rule`);
    // reads too: no allow rule of the family is left in the filter to let a call past the supervisor
    t.notOk(policy.rules.some((r) => r.syscall === s && r.action.kind === 'allow'), `${s}: nothing of the family is allowed past the supervisor`);
  }
  t.same(table.emulate, e);
});

t.test('profiles without emulate rules keep their shape (and digests)', async (t) => {
  const p = loadProfileText('extends: strict\n', 'plain.yaml');
  t.equal(p.supervisor.emulate, undefined);
});

t.test('refusals name the file, line and reason', async (t) => {
  const bad: [string, string, RegExp][] = [
    ['    - { action: emulate, syscalls: [stat], denyPaths: [/x] }\n', 'notify', /emu\.yaml:5.*`stat` cannot be emulated/],
    ['    - { action: emulate, syscalls: [open], denyPaths: [/x], allowPaths: [/y] }\n', 'notify', /exactly one of denyPaths and allowPaths/],
    ['    - { action: emulate, syscalls: [open], denyPaths: [/a/../b] }\n', 'notify', /without `\.` or `\.\.`/],
    ['    - { action: emulate, syscalls: [open], denyPaths: [relative] }\n', 'notify', /an absolute path/],
    ['    - { action: emulate, syscalls: [open], denyPaths: [/x], errno: ENOPE }\n', 'notify', /unknown errno `ENOPE`/],
    ['    - { action: emulate, syscalls: [open], denyPaths: [/x] }\n    - { action: emulate, syscalls: [creat], allowPaths: [/y] }\n', 'notify', /already emulated by emu\.yaml:5/],
    ['    - { action: emulate, syscalls: [open], denyPaths: [/x] }\n', '"off"', /need `supervisor.mode: notify`/],
    ['    - { action: observe, syscalls: [open], denyPaths: [/x] }\n', 'notify', /emu\.yaml:5/],
  ];
  for (const [rules, mode, re] of bad) t.throws(() => loadProfileText(profile(rules, mode), 'emu.yaml'), re, rules.trim());
});
