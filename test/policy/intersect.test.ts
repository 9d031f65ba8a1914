// test/policy/intersect.test.ts — intersectPolicies(A, B) decides every call as A and B stacked (the stricter action, its rule), on built-in profiles and random policies; interpret(compile) agrees (tests, pure)
import t, { type Test } from 'tap';
import { auditArch, syscallNumbers } from '../../abi/index.js';
import { actionKey, actionValue } from '../../policy/seccomp/actions.js';
import { compileUncached } from '../../policy/seccomp/compile.js';
import { evaluate } from '../../policy/seccomp/evaluate.js';
import { run } from '../../policy/seccomp/interpret.js';
import { intersectPolicies } from '../../policy/seccomp/intersect.js';
import type { SeccompData, SeccompPolicy } from '../../policy/seccomp/types.js';
import { loadProfile, loadProfileText } from '../../policy/load.js';
import { EDGE, randomInput, randomPolicy, rng } from './random-policy.js';

/**
 * what the kernel answers for A then B installed, computed here as seccomp_run_filters does (not
 * with the module's own ranking): newest first, a filter's value kept only when its action part,
 * as a signed 32-bit number, is strictly lower — so the stricter wins, and on a tie B (the newer)
 */
function stacked(a: SeccompPolicy, b: SeccompPolicy, d: SeccompData) {
  const va = evaluate(a, 'x86_64', d), vb = evaluate(b, 'x86_64', d);
  const actionOnly = (v: number) => (v & 0xffff0000) | 0;
  return actionOnly(actionValue(va.action)) < actionOnly(actionValue(vb.action)) ? { v: va, p: a } : { v: vb, p: b };
}

const sourceOf = (v: ReturnType<typeof evaluate>, p: SeccompPolicy) => v.rule?.source ?? (v.reason === 'default' ? p.source : undefined);

function check(t: Test, a: SeccompPolicy, b: SeccompPolicy, inputs: Iterable<SeccompData>, what: string, sources = true): void {
  const m = intersectPolicies(a, b, 'x86_64');
  const c = compileUncached(m, 'x86_64');
  let n = 0, bad = 0, badSource = 0, badKernel = 0;
  for (const d of inputs) {
    n++;
    const want = stacked(a, b, d);
    const got = evaluate(m, 'x86_64', d);
    if (actionKey(got.action) !== actionKey(want.v.action)) { if (bad++ < 3) t.fail(`${what}: nr ${d.nr} args ${d.args.join(',')}: ${actionKey(got.action)} ≠ ${actionKey(want.v.action)}`); continue; }
    const src = sourceOf(want.v, want.p);
    if (sources && src && sourceOf(got, m) !== src && badSource++ < 3) t.fail(`${what}: nr ${d.nr}: rule ${sourceOf(got, m)} ≠ ${src}`);
    if (run(c.insns, d).value !== actionValue(got.action) && badKernel++ < 3) t.fail(`${what}: nr ${d.nr}: the compiled filter disagrees`);
  }
  t.equal(bad + badSource + badKernel, 0, `${what}: ${n} inputs decided as the two stacked, with the deciding rule`);
}

function* everyNumber(args: readonly (readonly bigint[])[]): Iterable<SeccompData> {
  for (const [nr] of syscallNumbers('x86_64')) for (const a of args) yield { nr, arch: auditArch('x86_64'), args: a };
  for (const nr of [600, 0x40000000 + 1]) yield { nr, arch: auditArch('x86_64'), args: [0n, 0n, 0n, 0n, 0n, 0n] };
  yield { nr: 1, arch: auditArch('i386'), args: [0n, 0n, 0n, 0n, 0n, 0n] };
}

const argSets = [[0n, 0n, 0n, 0n, 0n, 0n], ...EDGE.slice(0, 14).map((v) => [v, v, v, v, v, v]), [2n, 1n, 0n, 0n, 0n, 0n], [10n, 3n, 0n, 0n, 0n, 0n], [0x10000000n, 0n, 0n, 0n, 0n, 0n]];

t.test('default ∩ strict and strict ∩ default: every x86_64 number on edge arguments', async (t) => {
  const d = loadProfile('default').seccomp!, s = loadProfile('strict').seccomp!;
  check(t, d, s, everyNumber(argSets), 'default ∩ strict');
  check(t, s, d, everyNumber(argSets), 'strict ∩ default');
});

t.test('a node profile denying what strict allows: the merged policy denies it with the node rule\'s file:line', async (t) => {
  const node = loadProfileText('extends: default\nseccomp:\n  rules:\n    - { action: errno(EROFS), syscalls: [symlink, symlinkat] }\n', '/node/sym.yaml', '/').seccomp!;
  const s = loadProfile('strict').seccomp!;
  const m = intersectPolicies(node, s, 'x86_64');
  const v = evaluate(m, 'x86_64', { nr: syscallNumbers('x86_64').find(([, n]) => n === 'symlinkat')![0], arch: auditArch('x86_64'), args: [0n, 0n, 0n, 0n, 0n, 0n] });
  t.same(v.action, { kind: 'errno', errno: 30 }, 'symlinkat: EROFS (the node\'s), though strict allows it');
  t.match(v.rule?.source, /^\/node\/sym\.yaml:4$/, 'decided by the node profile\'s rule');
  check(t, node, s, everyNumber(argSets), 'node ∩ strict');
});

t.test('random policies: the intersection agrees with the two stacked on random inputs', async (t) => {
  const r = rng(0x1a7e);
  for (let i = 0; i < 60; i++) {
    const a = { ...randomPolicy(r), arches: ['x86_64', 'aarch64'] as const, foreignAction: { kind: 'kill_process' } as const, source: 'a:default' };
    const b = { ...randomPolicy(r), arches: ['x86_64', 'aarch64'] as const, foreignAction: { kind: 'kill_process' } as const, source: 'b:default' };
    const inputs = Array.from({ length: 300 }, (_, k) => { const x = randomInput(r, k % 2 ? a : b); return { nr: x.nr, arch: x.arch, args: x.args }; });
    // actions only: evaluate() names the default for trailing rules that repeat it, so on random
    // policies which of two equal answers "decided" is the evaluator's choice, not a meaning
    check(t, a, b, inputs, `pair ${i}`, false);
  }
});

t.test('ABIs one policy handles and the other does not: refused unless the other kills foreign calls', async (t) => {
  const p = (arches: SeccompPolicy['arches'], foreign: SeccompPolicy['foreignAction']): SeccompPolicy => ({ name: 'p', defaultAction: { kind: 'allow' }, foreignAction: foreign, arches, rules: [] });
  t.throws(() => intersectPolicies(p(['x86_64', 'i386'], { kind: 'kill_process' }), p(['x86_64'], { kind: 'errno', errno: 1 }), 'x86_64'), /i386 is handled by one policy only/);
  const m = intersectPolicies(p(['x86_64', 'i386'], { kind: 'errno', errno: 1 }), p(['x86_64'], { kind: 'kill_process' }), 'x86_64');
  t.same(m.arches, ['x86_64'], 'i386 is foreign to the merged policy');
  t.same(m.foreignAction, { kind: 'kill_process' });
});
