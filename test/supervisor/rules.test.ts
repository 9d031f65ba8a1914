// test/supervisor/rules.test.ts — the notify rewrite of strict: audited families and recorded denials go to the supervisor, the rest keeps its constant action (tests, pure)
import t from 'tap';
import { AUDIT_ARCH, syscallNumbers, syscallNumber } from '../../abi/index.js';
import { loadProfile } from '../../policy/index.js';
import { compileUncached } from '../../policy/seccomp/compile.js';
import { constAllow, run } from '../../policy/seccomp/interpret.js';
import type { SeccompPolicy } from '../../policy/seccomp/types.js';
import { superviseePolicy, OPEN_WRITE_MASK } from '../../sandbox/notify/rules.js';

const NOTIFY = 0x7fc00000;
const ALLOW = 0x7fff0000;
const errno = (n: number): number => (0x50000 | n) >>> 0;
const strict = loadProfile('strict');
const plain = compileUncached(strict.seccomp as SeccompPolicy, 'x86_64');
const sup = superviseePolicy(strict.seccomp as SeccompPolicy, strict.supervisor);
const c = compileUncached(sup.policy, 'x86_64');
const call = (insns: typeof c.insns, name: string, ...args: bigint[]) =>
  run(insns, { nr: syscallNumber('x86_64', name)!, arch: AUDIT_ARCH.x86_64, args: [...args, 0n, 0n, 0n, 0n, 0n, 0n].slice(0, 6) }).value >>> 0;

t.test('whole audited families are notified', async (t) => {
  for (const s of ['execve', 'execveat', 'connect', 'bind', 'creat', 'openat2']) t.equal(call(c.insns, s), NOTIFY, s);
  t.equal(call(c.insns, 'openat', 0n, 0n, 0n), ALLOW, 'openat O_RDONLY stays in the filter');
  t.equal(call(c.insns, 'openat', 0n, 0n, 0x80000n), ALLOW, 'openat O_CLOEXEC stays in the filter');
  for (const f of [1n, 2n, 0x40n, 0x200n, 0x400n, 0x241n]) t.equal(call(c.insns, 'openat', 0n, 0n, f), NOTIFY, `openat flags ${f}`);
  t.equal(call(c.insns, 'open', 0n, 1n), NOTIFY, 'open O_WRONLY');
  t.equal(call(c.insns, 'open', 0n, 0n), ALLOW, 'open O_RDONLY');
  t.equal(OPEN_WRITE_MASK, 0x643);
});

t.test('denials worth recording are notified, answered with their errno from the table with file:line', async (t) => {
  for (const s of ['mount', 'umount2', 'unshare', 'ptrace', 'bpf', 'setns']) {
    t.equal(call(c.insns, s), NOTIFY, s);
    const e = sup.table.entries[sup.table.bySyscall[s]![0]!]!;
    t.equal(e.kind, 'deny');
    t.equal(e.errno, 1);
    t.match(e.source, /^profiles\/.+\.yaml:\d+$/, `${s} names its rule`);
  }
  t.equal(call(c.insns, 'clone3'), errno(38), 'clone3 ENOSYS is a libc probe, not recorded');
  t.equal(call(c.insns, 'socket', 40n), errno(97), 'EAFNOSUPPORT probes stay in the filter');
  t.equal(call(c.insns, 'clone', 0x11n), ALLOW, 'clone without namespace flags is allowed by the filter');
  t.equal(call(c.insns, 'clone', 0x10000000n), NOTIFY, 'clone with CLONE_NEWUSER is a recorded denial');
});

t.test('everything else keeps its decision, and constant allows stay constant (the action bitmap)', async (t) => {
  const notified = new Set(Object.keys(sup.table.bySyscall));
  let same = 0;
  for (const [nr, name] of syscallNumbers('x86_64')) {
    if (notified.has(name) || name === 'open' || name === 'openat') continue;
    const a = constAllow(plain.insns, AUDIT_ARCH.x86_64, nr);
    t.equal(constAllow(c.insns, AUDIT_ARCH.x86_64, nr), a, `${name} constant-allow unchanged`);
    t.equal(call(c.insns, name, 1n, 2n, 3n), call(plain.insns, name, 1n, 2n, 3n), `${name} same action`);
    same++;
  }
  t.ok(same > 300);
});

t.test('mode off changes nothing', async (t) => {
  const off = superviseePolicy(strict.seccomp as SeccompPolicy, { mode: 'off', audit: ['execve'], recordAll: false });
  t.equal(off.policy, strict.seccomp);
  t.same(off.table.entries, []);
});

t.test('learn (recordAll): every syscall a rule allows or denies is notified, but the launcher\'s sendmsg', async (t) => {
  const learn = loadProfile('learn');
  const base = compileUncached(learn.seccomp as SeccompPolicy, 'x86_64');
  const s = superviseePolicy(learn.seccomp as SeccompPolicy, learn.supervisor);
  const lc = compileUncached(s.policy, 'x86_64');
  for (const name of ['read', 'write', 'openat', 'close', 'execve', 'mmap', 'exit_group', 'futex']) t.equal(call(lc.insns, name), NOTIFY, name);
  t.equal(call(lc.insns, 'sendmsg'), ALLOW, 'sendmsg stays in the filter (the listener hand-off)');
  for (const e of s.table.entries) t.ok(e.kind === 'observe' ? e.family === 'all' || e.family in { execve: 1, connect: 1, bind: 1, 'open-write': 1 } : e.errno! > 0);
  // what the filter alone answers (not notify) is what the learn profile answered before
  let same = 0;
  for (const [, name] of syscallNumbers('x86_64')) {
    const v = call(lc.insns, name, 1n, 2n, 3n);
    if (v === NOTIFY) continue;
    t.equal(v, call(base.insns, name, 1n, 2n, 3n), name);
    same++;
  }
  t.ok(same > 0);
});
