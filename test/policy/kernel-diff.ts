// test/policy/kernel-diff.ts — the kernel differential's machinery: compile, install for real in a throwaway child, compare with the interpreter (test helper, host)
//
// Every action of the policy under test is replaced by a distinct ERRNO, so the kernel answers
// each call with a number that names the decision and no syscall ever runs (native/seccomp-diff).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUDIT_ARCH, type Arch } from '../../abi/index.js';
import { actionKey } from '../../policy/seccomp/actions.js';
import { compileUncached } from '../../policy/seccomp/compile.js';
import { run } from '../../policy/seccomp/interpret.js';
import type { Action, SeccompPolicy } from '../../policy/seccomp/types.js';
import { BUILD, REPO_ROOT } from '../helpers/paths.js';

export const HELPER = join(BUILD, 'seccomp-diff');

/** a real syscall: i386 goes through int 0x80, x32 through the x86_64 entry with the bit set in nr */
export interface Case { abi: Arch; nr: number; args: bigint[] }

/** buildHelper makes native/seccomp-diff; the error text, or undefined when it is there */
export function buildHelper(): string | undefined {
  const made = spawnSync('make', ['-s', '-C', join(REPO_ROOT, 'native/seccomp-diff'), `BUILD=${BUILD}`], { encoding: 'utf8' });
  return made.status !== 0 || !existsSync(HELPER) ? `make seccomp-diff: ${made.stderr}` : undefined;
}

export interface Variant {
  readonly policy: SeccompPolicy;
  /** the errno that stands for each action of the original policy (by actionKey) */
  readonly errnoOf: ReadonlyMap<string, number>;
  /** decode: the original action (its actionKey) a kernel answer stands for */
  decode(answer: string): string | undefined;
}

/** errnoVariant maps each distinct action (and ENOSYS, the foreign action) to its own errno. */
export function errnoVariant(p: SeccompPolicy): Variant {
  const map = new Map<string, number>();
  const to = (a: Action): Action => {
    const k = actionKey(a);
    if (!map.has(k)) map.set(k, 100 + map.size);
    return { kind: 'errno', errno: map.get(k)! };
  };
  const policy = { ...p, defaultAction: to(p.defaultAction), foreignAction: to(p.foreignAction), rules: p.rules.map((r) => ({ ...r, action: to(r.action) })) };
  const byErrno = new Map([...map].map(([k, e]) => [String(e), k]));
  // numbers no ABI of the policy knows get ENOSYS from the compiler itself, whatever the policy says
  byErrno.set('38', actionKey({ kind: 'errno', errno: 38 }));
  return { policy, errnoOf: map, decode: (a) => byErrno.get(a) };
}

/** KernelDiff owns a temp dir for the filters it writes; close() removes it. */
export class KernelDiff {
  readonly dir = mkdtempSync(join(tmpdir(), 'tss-seccomp-'));
  close(): void { rmSync(this.dir, { recursive: true, force: true }); }

  /** kernel: what the installed filter answers, one string per case (an errno, "ok N" or "notrun") */
  kernel(p: SeccompPolicy, cases: readonly Case[]): string[] {
    const bpf = join(this.dir, 'f.bpf');
    writeFileSync(bpf, compileUncached(p, 'x86_64').bytes);
    return this.cases(bpf, cases);
  }

  cases(bpf: string, cases: readonly Case[]): string[] {
    const input = cases.map((c) => `${c.abi === 'i386' ? 32 : 64} ${c.nr} ${c.args.map(String).join(' ')}`).join('\n') + '\n';
    return execFileSync(HELPER, ['cases', bpf], { input, encoding: 'utf8', maxBuffer: 64 << 20 }).trim().split('\n');
  }

  /**
   * unfiltered finds x86_64 numbers this kernel answers before seccomp sees them: this VM's kernel
   * (6.18-fc) intercepts 335 and 336 for its own use. An all-ERRNO(101) filter must answer every
   * number; those it does not are left out of the differential (and reported).
   */
  unfiltered(): Set<number> {
    const bpf = join(this.dir, 'all101.bpf');
    const b = Buffer.alloc(8); b.writeUInt16LE(0x06, 0); b.writeUInt32LE(0x50065, 4);
    writeFileSync(bpf, b);
    const out = new Set<number>();
    let start = 0;
    while (start < 1024) {
      const nrs = Array.from({ length: 1024 - start }, (_, i) => start + i);
      const got = this.cases(bpf, nrs.map((nr) => ({ abi: 'x86_64', nr, args: [0n, 0n, 0n, 0n, 0n, 0n] })));
      const dead = got.indexOf('notrun');
      got.slice(0, dead < 0 ? got.length : dead).forEach((g, i) => { if (g !== '101') out.add(start + i); });
      if (dead < 0) break;
      out.add(start + dead);
      start += dead + 1;
    }
    return out;
  }
}

/** interpreter: compiles once; for each case what the interpreter computes (the errno data of its answer) */
export function interpreter(p: SeccompPolicy): (c: Case) => string {
  const insns = compileUncached(p, 'x86_64').insns;
  return (c) => {
    const args = c.abi === 'i386' ? c.args.map((a) => a & 0xffffffffn) : c.args;
    const v = run(insns, { nr: c.nr, arch: c.abi === 'i386' ? AUDIT_ARCH.i386 : AUDIT_ARCH.x86_64, args }).value;
    return String(v & 0xffff);
  };
}

export function interp(p: SeccompPolicy, c: Case): string { return interpreter(p)(c); }
