// policy/lint.ts — what a reviewer of a seccomp policy should see: risky syscalls it allows, foreign ABIs, an allow default (everywhere, pure)
import { CONSTANTS, auditArch, syscallNumber, type HostArch } from '../abi/index.js';
import { sampleArgs } from './diff.js';
import { evaluate, type Verdict } from './seccomp/evaluate.js';
import type { SeccompPolicy } from './seccomp/types.js';

/** Syscalls whose allowing deserves a line in review, and why. */
const RISKY: Readonly<Record<string, string>> = {
  io_uring_setup: 'io_uring runs syscalls the filter never sees', io_uring_enter: 'io_uring runs syscalls the filter never sees',
  ptrace: 'ptrace can rewrite syscalls after the filter ran (kernel < 4.8) and inspect other processes',
  process_vm_writev: 'writes another process\'s memory', unshare: 'new namespaces, nested user namespaces included',
  setns: 'joins other namespaces', mount: 'mounts over what the launcher locked', bpf: 'eBPF is a large kernel attack surface',
  perf_event_open: 'perf is a large kernel attack surface', userfaultfd: 'userfaultfd widens kernel race windows',
  keyctl: 'the kernel keyring is not namespaced', open_by_handle_at: 'open_by_handle_at escapes mount namespaces',
  init_module: 'loads kernel code', finit_module: 'loads kernel code', kexec_load: 'replaces the kernel',
  clone3: 'clone3 flags cannot be checked by seccomp (namespace flags pass)', personality: 'personality flags can weaken ASLR',
};

const permits = (v: Verdict): boolean => v.action.kind === 'allow' || v.action.kind === 'log';
const where = (v: Verdict): string => v.rule?.source ?? (v.reason === 'default' ? 'default action' : v.reason);

/** lintPolicy returns one "source: message" line per finding, for the host ABI family. */
export function lintPolicy(s: SeccompPolicy, host: HostArch = 'x86_64'): string[] {
  const out: string[] = [];
  const arch = auditArch(host);
  const run = (name: string, args: bigint[]): Verdict => evaluate(s, host, { nr: syscallNumber(host, name) ?? -1, arch, args });
  for (const [name, why] of Object.entries(RISKY)) {
    if (syscallNumber(host, name) === undefined) continue;
    const hit = sampleArgs([s], name, host).map((a) => run(name, a)).find(permits);
    if (hit) out.push(`${where(hit)}: allows ${name} — ${why}`);
  }
  const z = [0n, 0n, 0n, 0n, 0n, 0n];
  const newuser = run('clone', [BigInt(CONSTANTS.CLONE_NEWUSER!), ...z.slice(1)]);
  if (permits(newuser)) out.push(`${where(newuser)}: allows clone(CLONE_NEWUSER) — nested user namespaces`);
  const sti = run('ioctl', [0n, BigInt(CONSTANTS.TIOCSTI!), ...z.slice(2)]);
  if (permits(sti)) out.push(`${where(sti)}: allows ioctl(TIOCSTI) — pushes input into the terminal`);
  if (permits({ action: s.defaultAction, reason: 'default' })) out.push(`${s.source ?? 'seccomp.defaultAction'}: the default action allows every unlisted syscall`);
  for (const a of ['i386', 'x32'] as const) if (s.arches.includes(a)) out.push(`seccomp.arches: allows the ${a} ABI — a classic way around a filter written for the native one`);
  if (s.foreignAction.kind === 'allow') out.push('seccomp.foreignAction: foreign ABIs are allowed unfiltered');
  return out;
}
