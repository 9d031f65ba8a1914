// test/policy/seccomp-kernel.test.ts — the kernel differential: compiled filters installed for real agree with the interpreter (tests, forks a throwaway process)
//
// Every action of the policy under test is replaced by a distinct ERRNO, so the kernel answers
// each call with a number that names the decision and no syscall ever runs (./kernel-diff.ts).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { syscallNumber } from '../../abi/index.js';
import { compileUncached } from '../../policy/seccomp/compile.js';
import type { SeccompPolicy } from '../../policy/seccomp/types.js';
import { loadProfile } from '../../policy/index.js';
import { buildHelper, errnoVariant, HELPER, interp, KernelDiff, type Case } from './kernel-diff.js';
import { randomInput, randomPolicy, rng } from './random-policy.js';

if (process.arch !== 'x64') t.plan(0, 'the kernel differential drives x86_64 syscalls (int 0x80, x32)');
else {
  const err = buildHelper();
  if (err) t.fail(err);
}
const kd = new KernelDiff();
t.teardown(() => kd.close());
const kernel = (p: SeccompPolicy, cases: Case[]): string[] => kd.kernel(p, cases);
const unfiltered = (): Set<number> => kd.unfiltered();

if (process.arch === 'x64') {
  t.test('random policies: the kernel returns what the interpreter computes (seed 7)', async (t) => {
    const skip = unfiltered();
    if (skip.size) t.comment(`this kernel answers x86_64 syscalls ${[...skip].join(', ')} before seccomp; left out`);
    t.ok(skip.size < 8, 'the kernel filters nearly every number');
    const r = rng(7);
    let total = 0; let bad = 0;
    for (let i = 0; i < 60; i++) {
      const p = errnoVariant(randomPolicy(r)).policy;
      const cases: Case[] = [];
      for (let j = 0; j < 150; j++) {
        const d = randomInput(r, p);
        if (d.abi !== 'i386' && skip.has(d.nr)) continue;
        // x32 calls go through the x86_64 entry with the bit set; i386 through int 0x80.
        cases.push({ abi: d.abi === 'i386' ? 'i386' : 'x86_64', nr: d.nr, args: [...d.args] });
      }
      const got = kernel(p, cases);
      cases.forEach((c, j) => {
        total++;
        const want = interp(p, c);
        if (got[j] !== want && bad++ < 5) t.fail(`policy ${i}: ${c.abi} nr ${c.nr} args ${c.args.join(',')}: kernel ${got[j]}, interpreter ${want}`);
      });
    }
    t.equal(bad, 0, `${total} real syscalls agree`);
  });

  t.test('strict in the kernel: socket(0x1_0000_0028) and TIOCSTI with high bits are stopped; int 0x80 and x32 are stopped', async (t) => {
    const strict = errnoVariant(loadProfile('strict').seccomp as SeccompPolicy).policy;
    const cases: Case[] = [
      { abi: 'x86_64', nr: syscallNumber('x86_64', 'socket')!, args: [0x100000028n, 1n, 0n, 0n, 0n, 0n] },
      { abi: 'x86_64', nr: syscallNumber('x86_64', 'ioctl')!, args: [0n, 0x100005412n, 0n, 0n, 0n, 0n] },
      { abi: 'i386', nr: syscallNumber('i386', 'getpid')!, args: [0n, 0n, 0n, 0n, 0n, 0n] },
      { abi: 'x86_64', nr: syscallNumber('x32', 'getpid')!, args: [0n, 0n, 0n, 0n, 0n, 0n] },
      { abi: 'x86_64', nr: syscallNumber('x86_64', 'getpid')!, args: [0n, 0n, 0n, 0n, 0n, 0n] },
    ];
    const got = kernel(strict, cases);
    cases.forEach((c, i) => t.equal(got[i], interp(strict, c), `${c.abi} ${c.nr}`));
    const foreign = interp(strict, cases[2]!);
    t.equal(got[2], foreign, 'int 0x80 gets the foreign-arch action');
    t.equal(got[3], foreign, 'x32 gets the foreign-arch action');
    t.not(got[4], foreign, 'getpid is decided differently');
    t.not(got[0], got[4], 'socket(AF_VSOCK | 1<<32) is not allowed');
  });

  t.test('the kernel accepts strict and the launcher can still write its sync byte and execve', async (t) => {
    const bpf = join(kd.dir, 'strict.bpf');
    writeFileSync(bpf, compileUncached(loadProfile('strict').seccomp as SeccompPolicy, 'x86_64').bytes);
    const r = spawnSync(HELPER, ['exec', bpf, '/bin/sh', '-c', 'echo ran; unshare -U true 2>/dev/null; echo unshare=$?'], { encoding: 'utf8' });
    t.equal(r.status, 0, r.stderr);
    t.match(r.stdout, /ran\nunshare=1/);
  });
}
