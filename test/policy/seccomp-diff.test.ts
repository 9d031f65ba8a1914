// test/policy/seccomp-diff.test.ts — evaluate(policy) === interpret(compile(policy)) on edge values and random policies (tests, pure)
import t from 'tap';
import { AUDIT_ARCH, syscallNumber } from '../../abi/index.js';
import { actionValue } from '../../policy/seccomp/actions.js';
import { compileUncached } from '../../policy/seccomp/compile.js';
import { evaluate } from '../../policy/seccomp/evaluate.js';
import { run } from '../../policy/seccomp/interpret.js';
import type { ArgMatcher, SeccompPolicy } from '../../policy/seccomp/types.js';
import { EDGE, randomInput, randomPolicy, rng } from './random-policy.js';

const base = (rules: SeccompPolicy['rules']): SeccompPolicy => ({
  name: 'edge', defaultAction: { kind: 'errno', errno: 1 }, foreignAction: { kind: 'kill_process' }, arches: ['x86_64', 'aarch64', 'i386'], rules,
});

t.test('every matcher agrees with the evaluator on every edge value, for int, unsigned int, long and unsigned long arguments', async (t) => {
  // kill(pid int, sig int) · ioctl(fd uint, cmd uint, arg ulong) · lseek(fd uint, offset off_t=long)
  const cases: Array<[string, number]> = [['kill', 0], ['ioctl', 1], ['lseek', 1], ['ioctl', 2]];
  let checked = 0;
  for (const [syscall, idx] of cases) {
    for (const v of EDGE) {
      for (const spelled of [v, v - (1n << 64n)]) {
        const ms: ArgMatcher[] = [
          ...(['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const).map((op) => ({ op, value: spelled.toString() })),
          { op: 'maskedEq', mask: v.toString(), value: (v & 0xf0f0f0f0f0f0f0f0n).toString() },
          { op: 'bitsAllowed', mask: v.toString() },
        ];
        for (const m of ms) {
          const args = Array.from({ length: idx + 1 }, (_, i) => (i === idx ? m : null));
          const p = base([{ syscall, action: { kind: 'allow' }, when: { kind: 'perArg', args } }]);
          const c = compileUncached(p, 'x86_64');
          for (const abi of ['x86_64', 'i386'] as const) {
            for (const a of EDGE) {
              const data = { nr: syscallNumber(abi, syscall)!, arch: AUDIT_ARCH[abi], args: Array.from({ length: 6 }, (_, i) => (i === idx ? a : 0n)) };
              const want = actionValue(evaluate(p, 'x86_64', data).action);
              const got = run(c.insns, data).value;
              if (want !== got) t.fail(`${syscall} arg${idx} ${m.op} ${JSON.stringify(m)} on ${abi} with ${a}: evaluate ${want.toString(16)}, filter ${got.toString(16)}`);
              checked++;
            }
          }
        }
      }
    }
  }
  t.pass(`${checked} edge comparisons agree`);
});

t.test('thousands of random policies agree with their compiled filters (seed 1234)', async (t) => {
  const r = rng(1234);
  let inputs = 0;
  let mismatches = 0;
  for (let i = 0; i < 1500; i++) {
    const p = randomPolicy(r);
    const c = compileUncached(p, 'x86_64');
    for (let j = 0; j < 40; j++) {
      const d = randomInput(r, p);
      const want = actionValue(evaluate(p, 'x86_64', d).action);
      const got = run(c.insns, d).value;
      inputs++;
      if (want !== got && mismatches++ < 5) t.fail(`policy ${i} input ${JSON.stringify(d, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}: evaluate ${want.toString(16)}, filter ${got.toString(16)}\n${JSON.stringify(p)}`);
    }
  }
  t.equal(mismatches, 0, `${inputs} random inputs agree`);
});

t.test('random policies compiled for aarch64 agree too (seed 99)', async (t) => {
  const r = rng(99);
  let mismatches = 0;
  for (let i = 0; i < 300; i++) {
    const p = randomPolicy(r);
    const c = compileUncached(p, 'aarch64');
    for (let j = 0; j < 30; j++) {
      const d0 = randomInput(r, p);
      const d = { ...d0, arch: r() < 0.9 ? AUDIT_ARCH.aarch64 : d0.arch, nr: d0.nr & 0x3ff };
      if (actionValue(evaluate(p, 'aarch64', d).action) !== run(c.insns, d).value) mismatches++;
    }
  }
  t.equal(mismatches, 0);
});
