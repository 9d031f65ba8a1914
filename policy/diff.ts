// policy/diff.ts — which syscalls (and which argument values) two seccomp policies decide differently (everywhere, pure)
//
// Argument-free decisions are compared exactly. Where a rule looks at arguments, the inputs tried
// are every value either policy compares against, its neighbours, its bits, and the 32/64-bit
// edges — the points where a decision can change — combined across the arguments that matter.
import { auditArch, syscallNumbers, X32_SYSCALL_BIT, type Arch, type HostArch } from '../abi/index.js';
import { actionKey, formatAction } from './seccomp/actions.js';
import { evaluate, type Verdict } from './seccomp/evaluate.js';
import { handledArches } from './seccomp/semantics.js';
import type { Action, ArgMatcher, Predicate, SeccompPolicy } from './seccomp/types.js';

export interface DecisionDiff {
  readonly arch: Arch;
  readonly syscall: string;
  /** the first differing argument vector, absent when the syscall differs whatever its arguments */
  readonly args?: readonly bigint[];
  readonly a: Action;
  readonly b: Action;
  readonly aWhy: string;
  readonly bWhy: string;
  /** how many of the sampled argument vectors differ, of how many */
  readonly differing: number;
  readonly sampled: number;
}

const M64 = (1n << 64n) - 1n;
const EDGES = [0n, 1n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n, M64];

function matchersOf(p: Predicate, out: Map<number, ArgMatcher[]>): void {
  switch (p.kind) {
    case 'any': return;
    case 'and': case 'or': p.of.forEach((q) => matchersOf(q, out)); return;
    case 'perArg': p.args.forEach((m, i) => {
      if (m && m.op !== 'any') { const l = out.get(i) ?? []; l.push(m); out.set(i, l); }
    });
  }
}

/** interesting values of one argument: each compared value ±1, masks and their bits, high-bit variants. */
function valuesFor(ms: readonly ArgMatcher[]): bigint[] {
  const s = new Set<bigint>(EDGES);
  const add = (v: bigint): void => {
    for (const x of [v, v - 1n, v + 1n]) {
      const u = x & M64;
      s.add(u); s.add(u & 0xffffffffn); s.add((u & 0xffffffffn) | 0x100000000n); s.add((u & 0xffffffffn) | 0xffffffff00000000n);
    }
  };
  for (const m of ms) {
    if (m.op === 'any') continue;
    if (m.op === 'maskedEq' || m.op === 'bitsAllowed') {
      const mask = BigInt(m.mask) & M64;
      add(mask); add(~mask & M64);
      if (m.op === 'maskedEq') add(BigInt(m.value));
      for (let b = 0n; b < 64n; b++) if ((mask >> b) & 1n) s.add(1n << b);
    } else add(BigInt(m.value));
  }
  return [...s];
}

/** sampleArgs: argument vectors exercising every matcher either policy has for `name` on `arch`. */
export function sampleArgs(policies: readonly SeccompPolicy[], name: string, arch: Arch, limit = 20000): bigint[][] {
  const byArg = new Map<number, ArgMatcher[]>();
  for (const p of policies) for (const r of p.rules) if (r.syscall === name && (!r.arches || r.arches.includes(arch))) matchersOf(r.when, byArg);
  const idx = [...byArg.keys()].sort();
  const vals = idx.map((i) => valuesFor(byArg.get(i)!));
  const zero = (): bigint[] => [0n, 0n, 0n, 0n, 0n, 0n];
  if (idx.length === 0) return [zero()];
  const product = vals.reduce((n, v) => n * v.length, 1);
  const out: bigint[][] = [];
  if (product <= limit) {
    const rec = (k: number, cur: bigint[]): void => {
      if (k === idx.length) { out.push([...cur]); return; }
      for (const v of vals[k]!) { cur[idx[k]!] = v; rec(k + 1, cur); }
    };
    rec(0, zero());
  } else {
    // too many combinations: vary one argument at a time over a base of each other argument's values
    idx.forEach((i, k) => vals[k]!.forEach((v) => {
      for (const basis of vals.map((vs) => vs[0]!).concat([0n])) { const a = zero(); idx.forEach((j) => { a[j] = basis; }); a[i] = v; out.push(a); }
    }));
  }
  return out;
}

function why(v: Verdict): string {
  if (v.reason === 'rule') return v.rule?.source ?? 'a rule';
  if (v.reason === 'default') return 'default action';
  return v.reason;
}

/**
 * diffPolicies lists, per ABI the filter for `host` handles and per syscall, where A and B
 * decide differently, with the first argument vector that shows it.
 */
export function diffPolicies(a: SeccompPolicy, b: SeccompPolicy, host: HostArch): DecisionDiff[] {
  const out: DecisionDiff[] = [];
  const abis = [...new Set([...handledArches(a, host), ...handledArches(b, host)])];
  for (const abi of abis) {
    for (const [nr, name] of syscallNumbers(abi)) {
      const samples = sampleArgs([a, b], name, abi);
      let first: { args: bigint[]; va: Verdict; vb: Verdict } | undefined;
      let differing = 0;
      for (const args of samples) {
        const d = { nr, arch: auditArch(abi), args };
        const va = evaluate(a, host, d); const vb = evaluate(b, host, d);
        if (actionKey(va.action) !== actionKey(vb.action)) { differing++; first ??= { args, va, vb }; }
      }
      if (!first) continue;
      const argFree = differing === samples.length;
      out.push({
        arch: abi, syscall: name, ...(argFree ? {} : { args: first.args }), a: first.va.action, b: first.vb.action,
        aWhy: why(first.va), bWhy: why(first.vb), differing, sampled: samples.length,
      });
    }
  }
  // the foreign-ABI and x32 answers
  const probes: Array<[string, number, number]> = [['foreign ABI (arm)', 0x40000028, 0]];
  if (host === 'x86_64') probes.push(['i386 ABI', auditArch('i386'), 0], ['x32 ABI', auditArch('x86_64'), X32_SYSCALL_BIT]);
  for (const [label, arch, nr] of probes) {
    const va = evaluate(a, host, { nr, arch, args: [] }); const vb = evaluate(b, host, { nr, arch, args: [] });
    const foreignA = va.reason === 'foreign-arch' || va.reason === 'x32'; const foreignB = vb.reason === 'foreign-arch' || vb.reason === 'x32';
    if (foreignA !== foreignB || (foreignA && actionKey(va.action) !== actionKey(vb.action))) {
      out.push({ arch: host, syscall: label, a: va.action, b: vb.action, aWhy: foreignA ? 'not handled' : 'handled', bWhy: foreignB ? 'not handled' : 'handled', differing: 1, sampled: 1 });
    }
  }
  return out;
}

/** formatDiff: one line per difference. */
export function formatDiff(d: DecisionDiff): string {
  const args = d.args ? `(${d.args.slice(0, lastNonZero(d.args) + 1).map((x) => `0x${x.toString(16)}`).join(', ')})` : '';
  const part = d.args ? ` [${d.differing}/${d.sampled} sampled argument vectors differ]` : '';
  return `${d.arch} ${d.syscall}${args}: A ${formatAction(d.a)} (${d.aWhy}) · B ${formatAction(d.b)} (${d.bWhy})${part}`;
}

function lastNonZero(a: readonly bigint[]): number {
  for (let i = a.length - 1; i >= 0; i--) if (a[i] !== 0n) return i;
  return 0;
}
