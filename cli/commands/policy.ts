// cli/commands/policy.ts — `tssandbox policy check|compile|disasm|explain`: author and inspect profiles (CLI process)
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { SandboxError } from '../../common/errors.js';
import { compileSeccomp, disasm, explain, loadProfile, type SeccompPolicy } from '../../policy/index.js';
import type { HostArch } from '../../abi/index.js';

const ARCHES = ['x86_64', 'aarch64', 'i386'];

function seccompOf(nameOrPath: string): SeccompPolicy {
  const p = loadProfile(nameOrPath);
  if (!p.seccomp) throw new SandboxError('TSS_EPOLICY', `compile \`${nameOrPath}\`: the profile has no seccomp filter (seccomp: null)`, { exitCode: 2 });
  return p.seccomp as SeccompPolicy;
}

function archOpt(a: string | undefined): HostArch | undefined {
  if (a === undefined) return undefined;
  if (!ARCHES.includes(a)) throw new SandboxError('TSS_EUSAGE', `--arch \`${a}\`: expected one of ${ARCHES.join(', ')}`, { exitCode: 2 });
  return a as HostArch;
}

/** lints: allowed but risky things a reviewer should see. */
function lints(s: SeccompPolicy): string[] {
  const out: string[] = [];
  const allowed = (name: string): string | undefined => s.rules.find((r) => r.syscall === name && r.action.kind === 'allow')?.source;
  for (const name of ['io_uring_setup', 'ptrace', 'unshare', 'setns', 'mount', 'bpf', 'perf_event_open', 'userfaultfd', 'keyctl', 'clone3']) {
    const src = allowed(name);
    if (src) out.push(`${src}: allows ${name}`);
  }
  if (s.defaultAction.kind === 'allow') out.push(`${s.source ?? 'seccomp'}: default action allows every unlisted syscall`);
  for (const a of ['i386', 'x32'] as const) if (s.arches.includes(a)) out.push(`seccomp.arches: allows the ${a} ABI (a classic filter bypass)`);
  return out;
}

export function register(program: Command): void {
  const policy = program.command('policy').description('author, compile, inspect and simulate security profiles');
  policy.command('check <file>').description('validate a profile and print lints').action((file: string) => {
    const p = loadProfile(file);
    const found = p.seccomp ? lints(p.seccomp as SeccompPolicy) : ['seccomp: null — no filter at all'];
    for (const l of found) process.stdout.write(`warning: ${l}\n`);
    process.stdout.write(`${p.source}: ok (${p.seccomp ? `${(p.seccomp as SeccompPolicy).rules.length} seccomp rules` : 'no seccomp'})\n`);
  });
  policy.command('compile <profile>').description('write raw sock_filter bytes (bubblewrap --seccomp format)')
    .option('--arch <arch>', 'host ABI to compile for').requiredOption('-o, --output <file>', 'output .bpf file')
    .action((profile: string, o: { arch?: string; output: string }) => {
      const c = compileSeccomp(seccompOf(profile), archOpt(o.arch));
      writeFileSync(o.output, c.bytes);
      process.stdout.write(`${o.output}: ${c.instructions} instructions, sha256:${c.digest}\n`);
    });
  policy.command('disasm <profile>').description('print the compiled filter with the rule (file:line) of each block')
    .option('--arch <arch>', 'host ABI').action((profile: string, o: { arch?: string }) => {
      process.stdout.write(disasm(seccompOf(profile), archOpt(o.arch)));
    });
  policy.command('explain <profile> <syscall> [args...]').description('which rule decides SYSCALL(ARGS)')
    .option('--arch <arch>', 'ABI (x86_64, i386, x32, aarch64)').action((profile: string, syscall: string, args: string[], o: { arch?: string }) => {
      process.stdout.write(`${explain(seccompOf(profile), syscall, args, o.arch as never).text}\n`);
    });
}
