// policy/seccomp/semantics.ts — what a policy means for one ABI and syscall number; shared by the compiler and the evaluator (everywhere, pure)
import {
  argTypes, argSigned, argWidth, maxSyscall, syscallName, syscallNumber, X32_SYSCALL_BIT,
  type Arch, type ArgClass, type HostArch,
} from '../../abi/index.js';
import { fail } from '../../common/errors.js';
import { ENOSYS, actionKey } from './actions.js';
import type { Action, ArgMatcher, Predicate, SeccompPolicy, SeccompRule } from './types.js';

/** Decision for one syscall on one ABI: a constant action, or ordered rules then a fallback. */
export type Decision =
  | { readonly kind: 'const'; readonly action: Action; readonly rule?: SeccompRule }
  | { readonly kind: 'rules'; readonly name: string; readonly rules: readonly SeccompRule[]; readonly fallback: Action; readonly fallbackRule?: SeccompRule };

/** ABIs a filter compiled for this host handles (the rest get foreignAction). */
export function handledArches(policy: SeccompPolicy, host: HostArch): Arch[] {
  const out: Arch[] = [host];
  if (host === 'x86_64') {
    if (policy.arches.includes('i386')) out.push('i386');
    if (policy.arches.includes('x32')) out.push('x32');
  }
  return out;
}

/** rulesFor picks the rules that apply to a syscall on an ABI, in order. */
export function rulesFor(policy: SeccompPolicy, arch: Arch, name: string): SeccompRule[] {
  return policy.rules.filter((r) => r.syscall === name && (!r.arches || r.arches.includes(arch)));
}

/** decide: the decision for a syscall name on an ABI (before number ranges are considered). */
export function decide(policy: SeccompPolicy, arch: Arch, name: string): Decision {
  const rules = rulesFor(policy, arch, name);
  const out: SeccompRule[] = [];
  for (const r of rules) {
    out.push(r);
    if (r.when.kind === 'any') break; // later rules are unreachable
  }
  // Trailing rules whose action equals the fallback change nothing.
  let fallback = policy.defaultAction;
  let fallbackRule: SeccompRule | undefined;
  const last = out[out.length - 1];
  if (last && last.when.kind === 'any') { fallback = last.action; fallbackRule = last; out.pop(); }
  while (out.length && actionKey(out[out.length - 1]!.action) === actionKey(fallback)) out.pop();
  if (out.length === 0) return fallbackRule ? { kind: 'const', action: fallback, rule: fallbackRule } : { kind: 'const', action: fallback };
  return fallbackRule ? { kind: 'rules', name, rules: out, fallback, fallbackRule } : { kind: 'rules', name, rules: out, fallback };
}

/** numberDecision: the decision for a raw number on an ABI's section of the filter. */
export function numberDecision(policy: SeccompPolicy, arch: Arch, nr: number): Decision {
  const name = syscallName(arch, nr);
  if (name !== undefined) return decide(policy, arch, name);
  if (nr > maxSyscall(arch)) return { kind: 'const', action: ENOSYS };
  return { kind: 'const', action: policy.defaultAction };
}

/** ArgView: how the kernel-visible value of argument i is compared on this ABI. */
export interface ArgView { readonly index: number; readonly width: 32 | 64; readonly signed: boolean }

export function argView(name: string, index: number, arch: Arch): ArgView {
  const types = argTypes(name);
  const t = types?.[index];
  if (!t) fail('TSS_EPOLICY', 'compile rule', `${name} arg ${index}`, types ? `${name} has ${types.length} arguments` : 'argument types unknown for this syscall');
  const cls: ArgClass = t[1];
  return { index, width: argWidth(cls, arch), signed: argSigned(cls) };
}

const MASK64 = (1n << 64n) - 1n;
/** wrap reduces a value to width bits (two's complement), unsigned. */
export function wrap(v: bigint, width: 32 | 64): bigint {
  return v & (width === 32 ? 0xffffffffn : MASK64);
}
/** asSigned reads a width-bit unsigned value as signed. */
export function asSigned(v: bigint, width: 32 | 64): bigint {
  const top = 1n << BigInt(width - 1);
  return v >= top ? v - (1n << BigInt(width)) : v;
}

/** matchArg: the reference meaning of a matcher on a raw 64-bit argument. */
export function matchArg(m: ArgMatcher, raw: bigint, view: ArgView): boolean {
  const a = wrap(raw, view.width);
  switch (m.op) {
    case 'any': return true;
    case 'maskedEq': { const mask = wrap(BigInt(m.mask), view.width); return (a & mask) === wrap(BigInt(m.value), view.width); }
    case 'bitsAllowed': return (a & ~wrap(BigInt(m.mask), view.width) & wrap(-1n, view.width)) === 0n;
    default: {
      let x = a;
      let v = wrap(BigInt(m.value), view.width);
      if (view.signed) { x = asSigned(x, view.width); v = asSigned(v, view.width); }
      switch (m.op) {
        case 'eq': return x === v;
        case 'ne': return x !== v;
        case 'lt': return x < v;
        case 'le': return x <= v;
        case 'gt': return x > v;
        case 'ge': return x >= v;
      }
    }
  }
}

export function matchPredicate(p: Predicate, name: string, arch: Arch, args: readonly bigint[]): boolean {
  switch (p.kind) {
    case 'any': return true;
    case 'perArg': return p.args.every((m, i) => !m || m.op === 'any' || matchArg(m, args[i] ?? 0n, argView(name, i, arch)));
    case 'and': return p.of.every((q) => matchPredicate(q, name, arch, args));
    case 'or': return p.of.some((q) => matchPredicate(q, name, arch, args));
  }
}

/** sectionFor: which ABI handles (arch token, nr), or undefined for a foreign one. */
export function sectionFor(policy: SeccompPolicy, host: HostArch, auditArchValue: number, nr: number, auditOf: (a: Arch) => number): Arch | undefined {
  for (const a of handledArches(policy, host)) {
    if (a === 'x32') continue;
    if (auditOf(a) !== auditArchValue) continue;
    if (a === 'x86_64' && nr >= X32_SYSCALL_BIT) return handledArches(policy, host).includes('x32') ? 'x32' : undefined;
    return a;
  }
  return undefined;
}

export { syscallNumber };
