// policy/seccomp/evaluate.ts — the reference meaning of a policy for one syscall, without BPF (everywhere, pure)
//
// The compiler must agree with this function on every input; the differential tests check that
// against the interpreter (and the interpreter against the kernel).
import { auditArch, type Arch, type HostArch } from '../../abi/index.js';
import { ENOSYS } from './actions.js';
import { matchPredicate, numberDecision, sectionFor } from './semantics.js';
import type { Action, SeccompData, SeccompPolicy, SeccompRule } from './types.js';

export interface Verdict {
  readonly action: Action;
  /** the ABI section that decided, or undefined for a foreign arch */
  readonly arch?: Arch;
  readonly syscall?: string;
  /** the rule that decided; undefined for the default, foreign and ENOSYS answers */
  readonly rule?: SeccompRule;
  readonly reason: 'rule' | 'default' | 'foreign-arch' | 'x32' | 'unknown-number' | 'unreachable';
}

/** evaluate decides a syscall the way the compiled filter for `host` must. */
export function evaluate(policy: SeccompPolicy, host: HostArch, data: SeccompData): Verdict {
  const nr = data.nr >>> 0;
  const arch = sectionFor(policy, host, data.arch >>> 0, nr, auditArch);
  if (arch === undefined) {
    const x32 = data.arch >>> 0 === auditArch('x86_64') && host === 'x86_64' && nr >= 0x40000000;
    return { action: policy.foreignAction, reason: x32 ? 'x32' : 'foreign-arch' };
  }
  const d = numberDecision(policy, arch, nr);
  if (d.kind === 'const') {
    if (d.rule) return { action: d.action, arch, syscall: d.rule.syscall, rule: d.rule, reason: 'rule' };
    return { action: d.action, arch, reason: d.action === ENOSYS ? 'unknown-number' : 'default' };
  }
  for (const r of d.rules) {
    if (matchPredicate(r.when, d.name, arch, data.args)) return { action: r.action, arch, syscall: d.name, rule: r, reason: 'rule' };
  }
  if (d.fallbackRule) return { action: d.fallback, arch, syscall: d.name, rule: d.fallbackRule, reason: 'rule' };
  return { action: d.fallback, arch, syscall: d.name, reason: 'default' };
}
