// policy/api.ts — compileSeccomp, explain and disasm over resolved policies (everywhere, pure but for the cache dir)
import { auditArch, hostArch, syscallNumber, argTypes, type Arch, type HostArch } from '../abi/index.js';
import { fail } from '../common/errors.js';
import { formatAction } from './seccomp/actions.js';
import { compile } from './seccomp/compile.js';
import { disassemble } from './seccomp/disasm.js';
import { evaluate, type Verdict } from './seccomp/evaluate.js';
import type { SeccompPolicy } from './seccomp/types.js';

export interface CompiledFilter {
  /** raw struct sock_filter array, 8 bytes per instruction, host byte order */
  readonly bytes: Buffer;
  /** sha256 of compiler version + arch + policy: the cache key and the audit's policyDigest */
  readonly digest: string;
  readonly instructions: number;
}

/**
 * compileSeccomp compiles a policy for a host ABI (default: this machine's). Results are cached
 * in memory by digest, and under `cacheDir` when given, so a policy is never compiled twice.
 */
export function compileSeccomp(policy: SeccompPolicy, arch: HostArch = hostArch(), opts: { cacheDir?: string } = {}): CompiledFilter {
  const c = compile(policy, arch, opts.cacheDir);
  return { bytes: c.bytes, digest: c.digest, instructions: c.instructions };
}

/** disasm renders the compiled program with the profile rule (file:line) of each block. */
export function disasm(policy: SeccompPolicy, arch: HostArch = hostArch()): string {
  const c = compile(policy, arch);
  return disassemble(c.insns, c.sources, arch);
}

export interface Explanation { readonly verdict: Verdict; readonly text: string }

/**
 * explain decides `syscall(args…)` on an ABI and says which rule decided. A syscall can be named
 * or numbered; args are integers (bigint-parsable strings accepted).
 */
export function explain(policy: SeccompPolicy, syscall: string, args: readonly (string | number | bigint)[] = [], abi: Arch = hostArch()): Explanation {
  const nr = /^\d+$/.test(syscall) ? Number(syscall) : syscallNumber(abi, syscall);
  if (nr === undefined) fail('TSS_EPOLICY', 'explain', syscall, `no such syscall on ${abi}`);
  const a = args.map((x) => BigInt(x));
  while (a.length < 6) a.push(0n);
  const host: HostArch = abi === 'x32' || abi === 'i386' ? 'x86_64' : abi;
  const v = evaluate(policy, host, { nr, arch: auditArch(abi), args: a });
  const names = argTypes(syscall)?.map((t, i) => `${t[0]}=${a[i]}`).join(', ') ?? a.slice(0, args.length).join(', ');
  const why = v.reason === 'rule' ? `rule at ${v.rule?.source ?? '(unknown)'}`
    : v.reason === 'default' ? `default action${policy.source ? ` at ${policy.source}` : ''}`
    : v.reason === 'unknown-number' ? `number ${nr} is above the highest known ${abi} syscall`
    : v.reason === 'x32' ? 'x32 ABI not allowed by this policy' : `ABI ${abi} not allowed by this policy`;
  return { verdict: v, text: `${syscall}(${names}) on ${abi}: ${formatAction(v.action)} — ${why}` };
}
