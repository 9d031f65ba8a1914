// cli/commands/policy.ts — `tssandbox policy check|compile|disasm|explain|test|diff|import|export`: author and inspect profiles (CLI process)
import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { SandboxError, errnoReason } from '../../common/errors.js';
import { compileSeccomp, disasm, explain, loadProfile, loadProfileText, type SeccompPolicy } from '../../policy/index.js';
import { diffPolicies, formatDiff } from '../../policy/diff.js';
import { lintPolicy } from '../../policy/lint.js';
import { runCases } from '../../policy/cases.js';
import { DOCKER_DEFAULT_CAPS, importOciSeccomp, parseOciJson } from '../../policy/oci-import.js';
import { exportOciSeccomp, ociJson } from '../../policy/oci-export.js';
import { loadSeccomp } from '../../policy/seccomp-file.js';
import { hostArch, type HostArch } from '../../abi/index.js';

const ARCHES = ['x86_64', 'aarch64', 'i386'];

function seccompOf(nameOrPath: string): SeccompPolicy {
  const s = loadSeccomp(nameOrPath);
  if (!s) throw new SandboxError('TSS_EPOLICY', `compile \`${nameOrPath}\`: the profile has no seccomp filter (seccomp: null)`, { exitCode: 2 });
  return s;
}

function archOpt(a: string | undefined): HostArch | undefined {
  if (a === undefined) return undefined;
  if (!ARCHES.includes(a)) throw new SandboxError('TSS_EUSAGE', `--arch \`${a}\`: expected one of ${ARCHES.join(', ')}`, { exitCode: 2 });
  return a as HostArch;
}

export function register(program: Command): void {
  const policy = program.command('policy').description('author, compile, inspect and simulate security profiles');
  policy.command('check <file>').description('validate a profile and print lints').action((file: string) => {
    const p = loadProfile(file);
    const found = p.seccomp ? lintPolicy(p.seccomp as SeccompPolicy) : ['seccomp: null — no filter at all'];
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
  policy.command('test <profile> [cases]').description('check a YAML list of {syscall, args, expect} cases, or --replay an audit log; exit 1 on a mismatch or a denial')
    .option('--arch <arch>', 'host ABI').option('--replay <log>', 'decide every syscall of an audit log under PROFILE and list what it would deny')
    .action(async (profile: string, cases: string | undefined, o: { arch?: string; replay?: string }) => {
      if (!cases && !o.replay) throw new SandboxError('TSS_EUSAGE', 'policy test: give a CASES file or --replay AUDIT.log', { exitCode: 2 });
      if (o.replay) {
        const { replay, formatDenial } = await import('../../policy/replay.js');
        const r = replay(seccompOf(profile), o.replay);
        for (const d of r.denials) process.stdout.write(`${formatDenial(d)}\n`);
        const n = r.denials.reduce((a, d) => a + d.count, 0);
        process.stdout.write(`${o.replay}: ${r.checked} syscall line(s) replayed, ${n} would be denied (${r.denials.length} distinct)${r.alreadyDenied ? `, ${r.alreadyDenied} denied while recording (not replayed)` : ''}${r.unknown ? `, ${r.unknown} naming syscalls this ABI lacks` : ''}${r.malformed ? `, ${r.malformed} malformed line(s) skipped` : ''}\n`);
        if (r.denials.length) process.exitCode = 1;
      }
      if (!cases) return;
      const results = runCases(seccompOf(profile), cases, archOpt(o.arch) ?? hostArch());
      for (const r of results) process.stdout.write(`${r.ok ? 'ok  ' : 'FAIL'} ${cases}:${r.line ?? '?'} ${r.text}\n`);
      const bad = results.filter((r) => !r.ok).length;
      process.stdout.write(`${results.length - bad} passed, ${bad} failed\n`);
      if (bad) process.exitCode = 1;
    });
  policy.command('learn <logs...>').description('write a minimal profile from audit logs recorded under the learn profile')
    .requiredOption('-o, --output <file>', 'the profile to write').option('--extends <profile>', 'the floor the profile stands on', 'base/always.yaml')
    .action(async (logs: string[], o: { output: string; extends: string }) => {
      const { learn, learnedProfile } = await import('../../policy/learn.js');
      const l = learn(logs);
      // the written profile must load (extends resolved from where it is written), or nothing is written
      const text = learnedProfile(l, { sources: logs, extendsBase: o.extends }, (t) => { loadProfileText(t, o.output); });
      const tmp = `${o.output}.tmp-${process.pid}`;
      writeFileSync(tmp, text);
      (await import('node:fs')).renameSync(tmp, o.output);
      for (const n of l.notes.slice(0, 20)) process.stderr.write(`note: ${n}\n`);
      process.stdout.write(`${o.output}: ${l.syscalls.size} syscalls allowed from ${l.events} events${l.denied.size ? `, ${l.denied.size} denied syscall(s) left denied` : ''}\n`);
    });
  policy.command('diff <a> <b>').description('syscalls (and argument values) that A and B decide differently; exit 1 when any')
    .option('--arch <arch>', 'host ABI').action((a: string, b: string, o: { arch?: string }) => {
      const d = diffPolicies(seccompOf(a), seccompOf(b), archOpt(o.arch) ?? hostArch());
      for (const x of d) process.stdout.write(`${formatDiff(x)}\n`);
      process.stdout.write(d.length ? `${d.length} difference(s)\n` : 'same decisions\n');
      if (d.length) process.exitCode = 1;
    });
  policy.command('import <json>').description('convert Docker/OCI seccomp JSON into a profile (its seccomp section)')
    .option('-o, --output <file>', 'write the profile here (default: stdout)')
    .option('--caps <list>', "capabilities the profile's includes/excludes are evaluated for (default: Docker's 14)")
    .option('--foreign-arches', 'keep the i386/x32 ABIs the JSON lists (not recommended)')
    .option('--extends <profile>', 'add `extends:` to the output')
    .action((json: string, o: { output?: string; caps?: string; foreignArches?: boolean; extends?: string }) => {
      let text: string;
      try { text = readFileSync(json, 'utf8'); } catch (e) { throw new SandboxError('TSS_EPROFILE', `import \`${json}\`: ${errnoReason(e)}`, { exitCode: 2 }); }
      const caps = o.caps !== undefined ? o.caps.split(',').map((c) => c.trim()).filter(Boolean) : DOCKER_DEFAULT_CAPS;
      const r = importOciSeccomp(parseOciJson(text, json), { caps, foreignArches: !!o.foreignArches, source: json });
      const out = `# imported from ${json} by \`tssandbox policy import\`\n${r.notes.map((n) => `# note: ${n}`).join('\n')}\n${o.extends ? `extends: ${o.extends}\n` : ''}${r.yaml}`;
      if (o.output) { writeFileSync(o.output, out); process.stderr.write(`${o.output}: written\n`); } else process.stdout.write(out);
      for (const n of r.notes) process.stderr.write(`note: ${n}\n`);
    });
  policy.command('export <profile>').description('write the seccomp policy as Docker/OCI JSON (docker, podman, Kubernetes seccompProfile)')
    .option('--format <format>', 'oci (the only format)', 'oci').option('--arch <arch>', 'host ABI family', undefined)
    .option('-o, --output <file>', 'write here (default: stdout)')
    .action((profile: string, o: { format: string; arch?: string; output?: string }) => {
      if (o.format !== 'oci') throw new SandboxError('TSS_EUSAGE', `--format \`${o.format}\`: expected oci`, { exitCode: 2 });
      const r = exportOciSeccomp(seccompOf(profile), archOpt(o.arch) ?? hostArch());
      if (o.output) writeFileSync(o.output, ociJson(r.profile)); else process.stdout.write(ociJson(r.profile));
      for (const n of r.notes) process.stderr.write(`note: ${n}\n`);
    });
}
