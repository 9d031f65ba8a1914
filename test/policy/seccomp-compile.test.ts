// test/policy/seccomp-compile.test.ts — each DESIGN §4 requirement of the compiler, on the interpreter (tests, pure)
import t from 'tap';
import { AUDIT_ARCH, maxSyscall, syscallNumber, syscallNumbers, X32_SYSCALL_BIT } from '../../abi/index.js';
import { actionValue } from '../../policy/seccomp/actions.js';
import { BPF, decode } from '../../policy/seccomp/bpf.js';
import { compileUncached } from '../../policy/seccomp/compile.js';
import { evaluate } from '../../policy/seccomp/evaluate.js';
import { constAllow, run } from '../../policy/seccomp/interpret.js';
import type { SeccompPolicy, SeccompRule } from '../../policy/seccomp/types.js';
import { loadProfile } from '../../policy/index.js';
import { SandboxError } from '../../common/errors.js';

const ALLOW = 0x7fff0000;
const KILL = 0x80000000;
const errno = (n: number): number => (0x50000 | n) >>> 0;
const x64 = (name: string, ...args: bigint[]) => ({ nr: syscallNumber('x86_64', name)!, arch: AUDIT_ARCH.x86_64, args: [...args, 0n, 0n, 0n, 0n, 0n, 0n].slice(0, 6) });
const strict = loadProfile('strict').seccomp as SeccompPolicy;
const c = compileUncached(strict, 'x86_64');

t.test('the bytes are 8 per instruction and decode back', async (t) => {
  t.equal(c.bytes.length, c.instructions * 8);
  t.same(decode(c.bytes), c.insns);
});

t.test('the arch is checked first; a foreign arch is killed; i386 only when listed', async (t) => {
  t.same(c.insns[0], { code: BPF.LD | BPF.W | BPF.ABS, jt: 0, jf: 0, k: 4 });
  t.equal(run(c.insns, { nr: 0, arch: AUDIT_ARCH.i386, args: [] }).value, KILL, 'i386 (int 0x80) killed under strict');
  t.equal(run(c.insns, { nr: 0, arch: AUDIT_ARCH.arm, args: [] }).value, KILL);
  t.equal(run(c.insns, { nr: 0, arch: AUDIT_ARCH.aarch64, args: [] }).value, KILL, 'aarch64 token on an x86_64 filter');
  const withI386 = compileUncached({ ...strict, arches: [...strict.arches, 'i386'] }, 'x86_64');
  t.equal(run(withI386.insns, { nr: syscallNumber('i386', 'read')!, arch: AUDIT_ARCH.i386, args: [] }).value, ALLOW);
  t.equal(run(withI386.insns, { nr: syscallNumber('i386', 'mount')!, arch: AUDIT_ARCH.i386, args: [] }).value, errno(1));
});

t.test('x32 numbers are rejected on x86_64, never masked off', async (t) => {
  for (const name of ['read', 'write', 'getpid']) {
    t.equal(run(c.insns, { nr: syscallNumber('x86_64', name)! | X32_SYSCALL_BIT, arch: AUDIT_ARCH.x86_64, args: [] }).value, KILL, `x32 ${name}`);
  }
  t.equal(run(c.insns, { nr: 0xffffffff, arch: AUDIT_ARCH.x86_64, args: [] }).value, KILL, 'nr -1 has the x32 bit set');
  const withX32 = compileUncached({ ...strict, arches: [...strict.arches, 'x32'] }, 'x86_64');
  t.equal(run(withX32.insns, { nr: syscallNumber('x32', 'read')!, arch: AUDIT_ARCH.x86_64, args: [] }).value, ALLOW, 'x32 read when asked for');
});

t.test('int arguments are compared on their low 32 bits: socket(0x1_0000_0028) is still AF_VSOCK', async (t) => {
  const p: SeccompPolicy = { ...strict, rules: [{ syscall: 'socket', action: { kind: 'allow' }, when: { kind: 'perArg', args: [{ op: 'ne', value: '40' }] } }] };
  const f = compileUncached(p, 'x86_64');
  t.equal(run(f.insns, x64('socket', 0x100000028n)).value, errno(1));
  t.equal(run(f.insns, x64('socket', 2n)).value, ALLOW);
  t.equal(run(c.insns, x64('ioctl', 1n, 0x100005412n)).value, errno(1), 'strict: TIOCSTI with high bits set is still TIOCSTI');
  t.equal(run(c.insns, x64('ioctl', 1n, 0x5401n)).value, ALLOW);
});

t.test('signed int comparisons use signed order; long arguments use all 64 bits', async (t) => {
  const p: SeccompPolicy = { ...strict, rules: [
    { syscall: 'kill', action: { kind: 'allow' }, when: { kind: 'perArg', args: [{ op: 'gt', value: '0' }] } },
    { syscall: 'lseek', action: { kind: 'allow' }, when: { kind: 'perArg', args: [null, { op: 'lt', value: '0' }] } },
  ] };
  const f = compileUncached(p, 'x86_64');
  t.equal(run(f.insns, x64('kill', 5n)).value, ALLOW);
  t.equal(run(f.insns, x64('kill', 0xffffffffn)).value, errno(1), 'kill(-1) is not > 0');
  t.equal(run(f.insns, x64('kill', 0xffffffff00000005n)).value, ALLOW, 'high half ignored for an int');
  t.equal(run(f.insns, x64('lseek', 0n, 0xffffffffffffffffn)).value, ALLOW, 'offset -1 < 0');
  t.equal(run(f.insns, x64('lseek', 0n, 0xffffffffn)).value, errno(1), '0xffffffff is positive as a long');
});

t.test('constant-action syscalls load only arch and nr (the kernel action cache proves ALLOW)', async (t) => {
  let allowed = 0;
  for (const [nr, name] of syscallNumbers('x86_64')) {
    const d = { nr, arch: AUDIT_ARCH.x86_64, args: [1n, 2n, 3n, 4n, 5n, 6n] };
    const v = evaluate(strict, 'x86_64', d);
    const argFree = !strict.rules.some((r) => r.syscall === name && r.when.kind !== 'any');
    if (v.action.kind === 'allow' && argFree) {
      allowed++;
      if (!constAllow(c.insns, AUDIT_ARCH.x86_64, nr)) t.fail(`${name} is not provably ALLOW`);
      if (run(c.insns, d).loadedArgs) t.fail(`${name} loads an argument`);
    }
  }
  t.ok(allowed > 250, `${allowed} constant-allow syscalls checked`);
  t.notOk(constAllow(c.insns, AUDIT_ARCH.x86_64, syscallNumber('x86_64', 'socket')!), 'socket depends on its arguments');
});

t.test('dispatch is a range search: few instructions executed per syscall', async (t) => {
  let worst = 0; let sum = 0; let n = 0;
  for (const [nr] of syscallNumbers('x86_64')) {
    const r = run(c.insns, { nr, arch: AUDIT_ARCH.x86_64, args: [] });
    if (r.value === ALLOW && !r.loadedArgs) { worst = Math.max(worst, r.executed); sum += r.executed; n++; }
  }
  t.ok(worst <= 14, `worst ${worst} executed`);
  t.ok(sum / n < 12, `average ${(sum / n).toFixed(1)} executed`);
  const jumps = c.insns.filter((i) => (i.code & 0x07) === BPF.JMP && (i.code & 0xf0) === BPF.JGE && i.k !== X32_SYSCALL_BIT);
  t.ok(jumps.length > 20, 'uses jge over ranges');
});

t.test('numbers above the known table answer ENOSYS; clone3 ENOSYS; clone namespace flags denied', async (t) => {
  t.equal(run(c.insns, { nr: maxSyscall('x86_64') + 1, arch: AUDIT_ARCH.x86_64, args: [] }).value, errno(38));
  t.equal(run(c.insns, { nr: 0x3fffffff, arch: AUDIT_ARCH.x86_64, args: [] }).value, errno(38));
  t.equal(run(c.insns, x64('clone3')).value, errno(38));
  t.equal(run(c.insns, x64('clone', 0x1200011n)).value, ALLOW, 'fork-style clone');
  t.equal(run(c.insns, x64('clone', 0x3d0f00n)).value, ALLOW, 'pthread clone');
  for (const flag of [0x20000n, 0x10000000n, 0x20000000n, 0x40000000n, 0x4000000n, 0x8000000n, 0x2000000n]) {
    t.equal(run(c.insns, x64('clone', 0x1200011n | flag)).value, errno(1), `clone with 0x${flag.toString(16)}`);
  }
  for (const name of ['unshare', 'setns', 'mount', 'bpf', 'io_uring_setup', 'ptrace', 'keyctl', 'open_by_handle_at']) {
    t.equal(run(c.insns, x64(name)).value, errno(1), name);
  }
  t.equal(run(c.insns, x64('ioctl', 0n, 0x541cn)).value, errno(1), 'TIOCLINUX');
  t.equal(run(c.insns, x64('socket', 2n, 3n)).value, errno(1), 'raw inet socket');
  t.equal(run(c.insns, x64('socket', 17n, 3n)).value, errno(97), 'AF_PACKET');
  t.equal(run(c.insns, x64('write', 1n)).value, ALLOW);
  t.equal(run(c.insns, x64('execve')).value, ALLOW);
  t.equal(run(c.insns, x64('execveat')).value, ALLOW);
  t.equal(run(c.insns, x64('close')).value, ALLOW);
});

t.test('conditional jumps past 255 go through ja trampolines', async (t) => {
  // Many argument rules on one syscall make a block far longer than 255 instructions.
  const rules: SeccompRule[] = [];
  for (let i = 0; i < 200; i++) rules.push({ syscall: 'ioctl', action: { kind: 'errno', errno: 1 + (i % 50) }, when: { kind: 'perArg', args: [null, { op: 'eq', value: String(1000 + i) }] } });
  for (let i = 0; i < 200; i++) rules.push({ syscall: 'read', action: { kind: 'allow' }, when: { kind: 'any' } });
  const p: SeccompPolicy = { name: 'far', defaultAction: { kind: 'errno', errno: 1 }, foreignAction: { kind: 'kill_process' }, arches: ['x86_64'], rules: [...rules, { syscall: 'write', action: { kind: 'allow' }, when: { kind: 'any' } }] };
  const f = compileUncached(p, 'x86_64');
  t.ok(f.instructions > 600);
  t.ok(f.insns.some((i) => i.code === (BPF.JMP | BPF.JA)), 'has ja');
  for (const ins of f.insns) if ((ins.code & 0x07) === BPF.JMP) t.ok(ins.jt <= 255 && ins.jf <= 255);
  for (const nr of [0, 1, 16, 300]) {
    for (const a of [0n, 1000n, 1100n, 1199n, 1200n]) {
      const d = { nr, arch: AUDIT_ARCH.x86_64, args: [0n, a, 0n, 0n, 0n, 0n] };
      t.equal(run(f.insns, d).value, actionValue(evaluate(p, 'x86_64', d).action));
    }
  }
});

t.test('more than 4096 instructions is an error naming the policy', async (t) => {
  const rules: SeccompRule[] = [];
  for (let i = 0; i < 3000; i++) rules.push({ syscall: 'ioctl', action: { kind: 'errno', errno: 1 + (i % 2) }, when: { kind: 'perArg', args: [null, { op: 'eq', value: String(i) }] } });
  const p: SeccompPolicy = { name: 'huge-policy', defaultAction: { kind: 'allow' }, foreignAction: { kind: 'kill_process' }, arches: ['x86_64'], rules };
  let err: unknown;
  try { compileUncached(p, 'x86_64'); } catch (e) { err = e; }
  t.ok(err instanceof SandboxError && err.code === 'TSS_EPOLICY', 'a SandboxError TSS_EPOLICY');
  t.match((err as Error).message, /huge-policy.*4096/);
});
