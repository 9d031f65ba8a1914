// policy/seccomp/codegen.ts — SeccompPolicy → labelled cBPF: arch check, range binary search, argument checks (everywhere, pure)
//
// Layout, and why:
//   ld arch; jeq per handled ABI; ret foreignAction      — arch first: numbers mean nothing without it
//   per ABI: ld nr; binary search over ranges of numbers with equal decisions
//   leaf: ret ACTION                                        — constant decisions load only arch and nr,
//                                                             so the kernel's action cache (5.11+) can
//                                                             prove ALLOW and skip the filter entirely
//   leaf: argument checks, first matching rule wins, ret fallback
// x32 numbers (nr >= 0x40000000 under AUDIT_ARCH_X86_64) are one more range of the x86_64 search
// answered with foreignAction unless x32 is handled; the bit is never masked off.
import { auditArch, maxSyscall, syscallNumbers, X32_SYSCALL_BIT, type Arch, type HostArch } from '../../abi/index.js';
import { ENOSYS, actionKey, actionValue, formatAction } from './actions.js';
import { BPF, SECCOMP_DATA } from './bpf.js';
import { ProgramBuilder, type Label } from './builder.js';
import { simplifyPredicate } from './optimize.js';
import { argView, decide, handledArches, wrap, type ArgView, type Decision } from './semantics.js';
import type { ArgMatcher, Predicate, SeccompPolicy } from './types.js';

export interface Range { readonly lo: number; readonly hi: number; readonly decision: Decision; readonly key: string }

function decisionKey(d: Decision): string {
  if (d.kind === 'const') return `c${actionKey(d.action)}`;
  return `r${d.name}:${JSON.stringify(d.rules.map((r) => [r.when, actionKey(r.action), r.source]))}:${actionKey(d.fallback)}`;
}

/** ranges: the number line 0..2^32-1 of one ABI section cut into runs of equal decisions. */
export function ranges(policy: SeccompPolicy, host: HostArch, arch: Arch): Range[] {
  const handled = handledArches(policy, host);
  const out: Range[] = [];
  const push = (lo: number, hi: number, decision: Decision): void => {
    const key = decisionKey(decision);
    const last = out[out.length - 1];
    if (last && last.key === key && last.hi + 1 === lo) out[out.length - 1] = { ...last, hi };
    else out.push({ lo, hi, decision, key });
  };
  const section = (a: Arch, base: number, end: number): void => {
    const named = new Map(syscallNumbers(a));
    const max = maxSyscall(a);
    const cache = new Map<string, Decision>();
    for (let nr = base; nr <= max; nr++) {
      const name = named.get(nr);
      if (name === undefined) { push(nr, nr, { kind: 'const', action: policy.defaultAction }); continue; }
      let d = cache.get(name);
      if (!d) { d = decide(policy, a, name); cache.set(name, d); }
      push(nr, nr, d);
    }
    push(max + 1, end, { kind: 'const', action: ENOSYS });
  };
  if (arch === 'x86_64') {
    section('x86_64', 0, X32_SYSCALL_BIT - 1);
    if (handled.includes('x32')) section('x32', X32_SYSCALL_BIT, 0xffffffff);
    else push(X32_SYSCALL_BIT, 0xffffffff, { kind: 'const', action: policy.foreignAction });
  } else {
    section(arch, 0, 0xffffffff);
  }
  return out;
}

/** generate emits the whole filter into a builder. */
export function generate(policy: SeccompPolicy, host: HostArch): ProgramBuilder {
  const b = new ProgramBuilder();
  const sections = handledArches(policy, host).filter((a) => a !== 'x32');
  b.source = policy.source;
  b.ldAbs(SECCOMP_DATA.arch);
  const labels = sections.map((a) => b.label(`arch_${a}`));
  sections.forEach((a, i) => {
    const next = b.label();
    b.jump(BPF.JEQ, auditArch(a), labels[i]!, next);
    b.bind(next);
  });
  b.ret(actionValue(policy.foreignAction));
  sections.forEach((a, i) => {
    b.bind(labels[i]!);
    b.source = undefined;
    b.ldAbs(SECCOMP_DATA.nr);
    search(b, ranges(policy, host, a), a);
  });
  return b;
}

/** search emits a balanced binary search; A holds nr on entry to every node. */
function search(b: ProgramBuilder, rs: readonly Range[], arch: Arch): void {
  if (rs.length === 1) { leaf(b, rs[0]!, arch); return; }
  const mid = rs.length >> 1;
  const right = b.label();
  const left = b.label();
  b.source = undefined;
  b.jump(BPF.JGE, rs[mid]!.lo, right, left);
  b.bind(left);
  search(b, rs.slice(0, mid), arch);
  b.bind(right);
  search(b, rs.slice(mid), arch);
}

function leaf(b: ProgramBuilder, r: Range, arch: Arch): void {
  const d = r.decision;
  if (d.kind === 'const') {
    b.source = d.rule?.source;
    b.ret(actionValue(d.action));
    return;
  }
  // Argument checks clobber A; nothing after a leaf needs nr again.
  for (const rule of d.rules) {
    b.source = rule.source;
    const match = b.label();
    const next = b.label();
    predicate(b, simplifyPredicate(rule.when), d.name, arch, match, next);
    b.bind(match);
    b.ret(actionValue(rule.action));
    b.bind(next);
  }
  b.source = undefined;
  b.ret(actionValue(d.fallback));
}

function predicate(b: ProgramBuilder, p: Predicate, name: string, arch: Arch, match: Label, fail: Label): void {
  switch (p.kind) {
    case 'any': b.ja(match); return;
    case 'perArg': {
      p.args.forEach((m, i) => {
        if (!m || m.op === 'any') return;
        const ok = b.label();
        matcher(b, m, argView(name, i, arch), ok, fail);
        b.bind(ok);
      });
      b.ja(match);
      return;
    }
    case 'and':
      for (const q of p.of) { const ok = b.label(); predicate(b, q, name, arch, ok, fail); b.bind(ok); }
      b.ja(match);
      return;
    case 'or':
      for (const q of p.of) { const next = b.label(); predicate(b, q, name, arch, match, next); b.bind(next); }
      b.ja(fail);
      return;
  }
}

const SIGN = 0x80000000;
const lo32 = (v: bigint): number => Number(v & 0xffffffffn);
const hi32 = (v: bigint): number => Number((v >> 32n) & 0xffffffffn);

/** matcher: jump to ok or fail on one argument; 32-bit views read only the low word. */
function matcher(b: ProgramBuilder, m: ArgMatcher, v: ArgView, ok: Label, fail: Label): void {
  const loOff = SECCOMP_DATA.argLo(v.index);
  const hiOff = SECCOMP_DATA.argHi(v.index);
  if (m.op === 'any') { b.ja(ok); return; }
  if (m.op === 'maskedEq' || m.op === 'bitsAllowed') {
    const mask = wrap(BigInt(m.mask), v.width);
    const words: Array<[number, number, number]> = []; // [offset, mask word, value word]
    if (m.op === 'maskedEq') {
      const val = wrap(BigInt(m.value), v.width);
      if ((val & ~mask) !== 0n) { b.ja(fail); return; } // bits outside the mask can never be equal
      if (v.width === 64) words.push([hiOff, hi32(mask), hi32(val)]);
      words.push([loOff, lo32(mask), lo32(val)]);
      for (const [off, mw, vw] of words) {
        if (mw === 0) continue;
        const next = b.label();
        b.ldAbs(off);
        if (mw !== 0xffffffff) b.alu(BPF.AND, mw);
        b.jump(BPF.JEQ, vw, next, fail);
        b.bind(next);
      }
    } else {
      if (v.width === 64) words.push([hiOff, ~hi32(mask) >>> 0, 0]);
      words.push([loOff, ~lo32(mask) >>> 0, 0]);
      for (const [off, forbidden] of words) {
        if (forbidden === 0) continue;
        const next = b.label();
        b.ldAbs(off);
        b.jump(BPF.JSET, forbidden, fail, next);
        b.bind(next);
      }
    }
    b.ja(ok);
    return;
  }
  const val = wrap(BigInt(m.value), v.width);
  // Signed order on unsigned jumps: flipping the sign bit maps signed order onto unsigned order.
  const flip = v.signed && m.op !== 'eq' && m.op !== 'ne' ? SIGN : 0;
  if (v.width === 32) {
    b.ldAbs(loOff);
    if (flip) b.alu(BPF.XOR, flip);
    compareWord(b, m.op, (lo32(val) ^ flip) >>> 0, ok, fail);
    return;
  }
  // 64 bits: decide on the high word unless it is equal, then on the low word (always unsigned).
  const vh = (hi32(val) ^ flip) >>> 0;
  const vl = lo32(val);
  const low = b.label();
  b.ldAbs(hiOff);
  if (flip) b.alu(BPF.XOR, flip);
  switch (m.op) {
    case 'eq': b.jump(BPF.JEQ, vh, low, fail); break;
    case 'ne': b.jump(BPF.JEQ, vh, low, ok); break;
    case 'lt': case 'le': { const eq = b.label(); b.jump(BPF.JGT, vh, fail, eq); b.bind(eq); b.jump(BPF.JEQ, vh, low, ok); break; }
    case 'gt': case 'ge': { const eq = b.label(); b.jump(BPF.JGT, vh, ok, eq); b.bind(eq); b.jump(BPF.JEQ, vh, low, fail); break; }
  }
  b.bind(low);
  b.ldAbs(loOff);
  compareWord(b, m.op, vl, ok, fail);
}

function compareWord(b: ProgramBuilder, op: string, k: number, ok: Label, fail: Label): void {
  switch (op) {
    case 'eq': b.jump(BPF.JEQ, k, ok, fail); break;
    case 'ne': b.jump(BPF.JEQ, k, fail, ok); break;
    case 'lt': b.jump(BPF.JGE, k, fail, ok); break;
    case 'le': b.jump(BPF.JGT, k, fail, ok); break;
    case 'gt': b.jump(BPF.JGT, k, ok, fail); break;
    case 'ge': b.jump(BPF.JGE, k, ok, fail); break;
  }
}

export { formatAction };
