// policy/seccomp/intersect.ts — two policies as one: what the kernel decides for their two filters stacked, as a single filter (everywhere, pure)
//
// Stacked filters answer every call with the most restrictive of their actions (kernel precedence,
// actionRank below); on a tie the newer filter's (its errno, its rule). intersectPolicies builds
// one first-match policy with that meaning, so a caller that rewrites or audits a policy (the
// notify supervisor, sandbox/notify/rules.ts) sees every decision, the older policy's denials too,
// each with the file:line of the rule that made it.
//
// For one syscall, policy A's rules a1..an then its default, B's b1..bm then its default: the
// product rules (ai AND bj) in i-major, j-minor order. The first of them a call matches is (i*, j*)
// where ai* is A's first match and bj* B's — so its action, the stricter of the two, is the stacked
// answer. test/policy/intersect.test.ts checks that against evaluate() on every syscall number.
import { SECCOMP_RET } from '../../abi/index.js';
import { actionValue } from './actions.js';
import { handledArches } from './semantics.js';
import type { Action, Predicate, SeccompPolicy, SeccompRule } from './types.js';
import type { Arch, HostArch } from '../../abi/index.js';

/**
 * the kernel's precedence, from the value a filter returns (kernel/seccomp.c seccomp_run_filters):
 * the action part compared as a signed 32-bit number, lower wins — KILL_PROCESS (0x80000000) first,
 * ALLOW last. Derived from actionValue, so it cannot disagree with what we compile.
 */
function actionRank(a: Action): number {
  return (actionValue(a) & SECCOMP_RET.ACTION_FULL) | 0;
}

/** the stacked answer: the more restrictive; on a tie the newer filter's (`newer`), as the kernel keeps it */
export function stricter<T extends { action: Action }>(older: T, newer: T): T {
  return actionRank(older.action) < actionRank(newer.action) ? older : newer;
}

interface Choice { readonly when: Predicate; readonly action: Action; readonly arches?: readonly Arch[]; readonly source?: string }

function choices(p: SeccompPolicy, syscall: string): Choice[] {
  const out: Choice[] = [];
  for (const r of p.rules) {
    if (r.syscall !== syscall) continue;
    out.push(r);
    if (r.when.kind === 'any' && !r.arches) return out; // later rules are unreachable
  }
  out.push({ when: { kind: 'any' }, action: p.defaultAction, ...(p.source ? { source: p.source } : {}) });
  return out;
}

function both(a: Predicate, b: Predicate): Predicate {
  if (a.kind === 'any') return b;
  if (b.kind === 'any') return a;
  return { kind: 'and', of: [a, b] };
}

/** undefined: every ABI; [] never matches */
function archesOf(a?: readonly Arch[], b?: readonly Arch[]): readonly Arch[] | undefined {
  if (!a) return b;
  if (!b) return a;
  return a.filter((x) => b.includes(x));
}

/**
 * intersectPolicies: one policy deciding every call as `older` and `newer` stacked (newer installed
 * last). Throws when the two handle different ABIs in a way one policy cannot say (an ABI handled
 * by one only, where the other's foreign action is not kill_process, the strictest).
 */
export function intersectPolicies(older: SeccompPolicy, newer: SeccompPolicy, host: HostArch, name = `${older.name}∩${newer.name}`): SeccompPolicy {
  const ha = handledArches(older, host), hb = handledArches(newer, host);
  for (const [mine, other, p] of [[ha, hb, newer], [hb, ha, older]] as const) {
    const only = mine.filter((x) => !other.includes(x));
    if (only.length && p.foreignAction.kind !== 'kill_process') throw new Error(`${only.join(', ')} is handled by one policy only and ${p.name}'s foreign-ABI action is not kill_process`);
  }
  const names = [...new Set([...older.rules, ...newer.rules].map((r) => r.syscall))];
  const rules: SeccompRule[] = [];
  for (const syscall of names) {
    for (const a of choices(older, syscall)) {
      for (const b of choices(newer, syscall)) {
        const arches = archesOf(a.arches, b.arches);
        if (arches && !arches.length) continue;
        const win = stricter(a, b);
        rules.push({ syscall, action: win.action, when: both(a.when, b.when), ...(arches ? { arches } : {}), ...(win.source ? { source: win.source } : {}) });
      }
    }
  }
  const def = stricter({ action: older.defaultAction, source: older.source }, { action: newer.defaultAction, source: newer.source });
  const foreign = stricter({ action: older.foreignAction }, { action: newer.foreignAction });
  return {
    name, defaultAction: def.action, foreignAction: foreign.action,
    // an ABI only one handles gets foreignAction (kill_process, checked above) from the other: not handled
    arches: older.arches.filter((x) => newer.arches.includes(x)),
    rules,
    ...(def.source ? { source: def.source } : {}),
  };
}
