// test/policy/random-policy.ts — seeded random policies and inputs for the differential tests (tests)
import { AUDIT_ARCH, argTypes, syscallNumber, X32_SYSCALL_BIT, type Arch } from '../../abi/index.js';
import type { Action, ArgMatcher, Predicate, SeccompData, SeccompPolicy, SeccompRule } from '../../policy/seccomp/types.js';

/** mulberry32: a tiny seeded PRNG, so every run tests the same cases. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** Syscalls with typed arguments of every class, so width and signedness are all exercised. */
export const ARG_SYSCALLS = ['socket', 'ioctl', 'clone', 'personality', 'prctl', 'fcntl', 'kill', 'mmap', 'mprotect', 'openat', 'setns', 'unshare', 'lseek', 'setsockopt'];
const PLAIN = ['read', 'write', 'close', 'getpid', 'execve', 'futex', 'exit_group', 'brk', 'open', 'dup3', 'pipe2', 'nanosleep', 'getrandom', 'statx'];

/** Values around every boundary a matcher has: 0, ±1, sign bits, 32-bit and 64-bit edges. */
export const EDGE: readonly bigint[] = [
  0n, 1n, 2n, 3n, 40n, 0x7fn, 0x80n, 0xffn, 0x7fffffffn, 0x80000000n, 0x80000001n, 0xfffffffen, 0xffffffffn,
  0x100000000n, 0x100000028n, 0x1ffffffffn, 0x7fffffffffffffffn, 0x8000000000000000n, 0xfffffffffffffffen,
  0xffffffffffffffffn, 0xffffffff80000000n, 0xffffffff7fffffffn,
];

export function randomValue(r: () => number): bigint {
  const x = r();
  if (x < 0.6) return pick(r, EDGE);
  if (x < 0.8) return BigInt(Math.floor(r() * 64));
  return (BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32));
}

function randomMatcher(r: () => number): ArgMatcher {
  const v = (): string => {
    const b = randomValue(r);
    return (r() < 0.2 ? b - (1n << 64n) : b).toString(); // sometimes spelt negative
  };
  switch (Math.floor(r() * 9)) {
    case 0: return { op: 'eq', value: v() };
    case 1: return { op: 'ne', value: v() };
    case 2: return { op: 'lt', value: v() };
    case 3: return { op: 'le', value: v() };
    case 4: return { op: 'gt', value: v() };
    case 5: return { op: 'ge', value: v() };
    case 6: { const m = randomValue(r); return { op: 'maskedEq', mask: m.toString(), value: (r() < 0.8 ? randomValue(r) & m : randomValue(r)).toString() }; }
    case 7: return { op: 'bitsAllowed', mask: v() };
    default: return { op: 'any' };
  }
}

function randomPredicate(r: () => number, nargs: number, depth = 0): Predicate {
  const x = r();
  if (nargs === 0 || x < 0.1) return { kind: 'any' };
  if (depth < 2 && x < 0.3) return { kind: r() < 0.5 ? 'and' : 'or', of: Array.from({ length: 1 + Math.floor(r() * 3) }, () => randomPredicate(r, nargs, depth + 1)) };
  const args: (ArgMatcher | null)[] = [];
  for (let i = 0; i < nargs; i++) args.push(r() < 0.5 ? randomMatcher(r) : null);
  return { kind: 'perArg', args };
}

const ACTIONS: Action[] = [
  { kind: 'allow' }, { kind: 'errno', errno: 1 }, { kind: 'errno', errno: 13 }, { kind: 'kill_process' },
  { kind: 'kill_thread' }, { kind: 'trap', data: 7 }, { kind: 'log' }, { kind: 'trace', data: 3 }, { kind: 'notify' },
];

export function randomPolicy(r: () => number, n = 1 + Math.floor(r() * 25)): SeccompPolicy {
  const rules: SeccompRule[] = [];
  for (let i = 0; i < n; i++) {
    const withArgs = r() < 0.6;
    const syscall = withArgs ? pick(r, ARG_SYSCALLS) : pick(r, PLAIN);
    const nargs = argTypes(syscall)?.length ?? 0;
    const rule: SeccompRule = { syscall, action: pick(r, ACTIONS), when: withArgs ? randomPredicate(r, nargs) : { kind: 'any' }, source: `rand:${i}` };
    rules.push(r() < 0.1 ? { ...rule, arches: [pick(r, ['x86_64', 'i386', 'aarch64'] as Arch[])] } : rule);
  }
  const arches: Arch[] = ['x86_64', 'aarch64'];
  if (r() < 0.4) arches.push('i386');
  if (r() < 0.3) arches.push('x32');
  return { name: 'random', defaultAction: pick(r, ACTIONS), foreignAction: pick(r, ACTIONS), arches, rules };
}

/** randomInput: mostly syscalls the policy names, sometimes any number, other ABIs and arches. */
export function randomInput(r: () => number, policy: SeccompPolicy): SeccompData & { abi: Arch } {
  const abi: Arch = r() < 0.7 ? 'x86_64' : pick(r, ['i386', 'x32', 'x86_64'] as Arch[]);
  let nr: number;
  const named = policy.rules.length && r() < 0.8 ? syscallNumber(abi, pick(r, policy.rules).syscall) : undefined;
  if (named !== undefined) nr = named;
  else if (r() < 0.5) nr = Math.floor(r() * 480) + (abi === 'x32' ? X32_SYSCALL_BIT : 0);
  else nr = Number(randomValue(r) & 0xffffffffn);
  const arch = r() < 0.05 ? AUDIT_ARCH.arm : (abi === 'i386' ? AUDIT_ARCH.i386 : AUDIT_ARCH.x86_64);
  const args = Array.from({ length: 6 }, () => randomValue(r));
  return { abi, nr, arch, args };
}
