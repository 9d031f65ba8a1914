// policy/oci-import.ts — Docker/OCI seccomp JSON → a profile `seccomp` section (YAML text with comments) (everywhere, pure)
//
// Docker's semantics, resolved for one capability set and the host's architecture family:
// `includes.caps` needs every listed cap, `excludes.caps` drops the rule when any listed cap is
// held; `includes.arches`/`excludes.arches` name *host* architectures (amd64, arm64), and a rule
// kept for amd64 applies to the x86_64, i386 and x32 ABIs of that host; `minKernel` is assumed met
// (we need Linux ≥ 5.11 anyway). Two comparisons of the same argument in one entry become two
// rules, as runc does. Entries are kept in order, conditional rules before unconditional ones
// per syscall, so our first-match order gives libseccomp's answer for Docker-style profiles.
//
// Two deliberate deltas from Docker, both listed in profiles/base/docker-default.yaml and tested
// (test/policy/oci.test.ts):
//   1. no foreign ABIs (i386, x32) unless `foreignArches` is asked for;
//   2. an `int`/`unsigned int` argument is compared on its low 32 bits (what the kernel reads),
//      where libseccomp compares all 64 — `socket(0x1_0000_0028)` is AF_VSOCK, not "> 40".
import { argTypes, capabilityName, errnoName, isKnownSyscall, type Arch } from '../abi/index.js';
import { z } from 'zod';
import { fail } from '../common/errors.js';
import { quoteWideArgValues } from './oci-json.js';

/** Docker's 14 default capabilities (moby oci/caps/defaults.go). */
export const DOCKER_DEFAULT_CAPS: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

export interface OciArg { index: number; value: number | string; valueTwo?: number | string; op: string }
export interface OciSyscall {
  names?: string[]; name?: string; action: string; errnoRet?: number; args?: OciArg[] | null; comment?: string;
  includes?: { caps?: string[]; arches?: string[]; minKernel?: string }; excludes?: { caps?: string[]; arches?: string[] };
}
export interface OciSeccomp {
  defaultAction: string; defaultErrnoRet?: number; architectures?: string[];
  archMap?: Array<{ architecture: string; subArchitectures?: string[] }>; syscalls?: OciSyscall[];
  listenerPath?: string; flags?: string[];
}

export interface ImportOptions {
  /** capability set the includes/excludes are evaluated for (default: Docker's 14) */
  readonly caps?: readonly string[];
  /** host family: which Docker arch names (`amd64`…) the arches conditions test (default amd64) */
  readonly hostFamily?: 'amd64' | 'arm64';
  /** keep i386/x32 from the profile's architectures (Docker does; we do not by default) */
  readonly foreignArches?: boolean;
  /** syscall names to leave out (the generator drops what a final base rule decides) */
  readonly drop?: ReadonlySet<string>;
  /** file name for messages */
  readonly source?: string;
}

export interface Imported {
  /** the profile text: a `seccomp:` section (no other field), with comments */
  readonly yaml: string;
  /** what was left out or changed, one line each */
  readonly notes: readonly string[];
}

const ABIS_OF_HOST: Record<string, Arch[]> = { amd64: ['x86_64', 'i386', 'x32'], x86: ['x86_64', 'i386', 'x32'], '386': ['x86_64', 'i386', 'x32'], x32: ['x86_64', 'i386', 'x32'], arm64: ['aarch64'], arm: ['aarch64'] };
const SCMP_ARCH: Record<string, Arch> = { SCMP_ARCH_X86_64: 'x86_64', SCMP_ARCH_X86: 'i386', SCMP_ARCH_X32: 'x32', SCMP_ARCH_AARCH64: 'aarch64' };
const OPS: Record<string, string> = { SCMP_CMP_EQ: 'eq', SCMP_CMP_NE: 'ne', SCMP_CMP_LT: 'lt', SCMP_CMP_LE: 'le', SCMP_CMP_GT: 'gt', SCMP_CMP_GE: 'ge' };

const strList = z.array(z.string());
const argValue = z.union([z.number().int(), z.string().regex(/^-?\d+$/, 'an integer')]);
const OCI_SECCOMP = z.object({
  defaultAction: z.string(),
  defaultErrnoRet: z.number().int().nonnegative().optional(),
  architectures: strList.nullish(),
  archMap: z.array(z.object({ architecture: z.string(), subArchitectures: strList.nullish() }).loose()).nullish(),
  syscalls: z.array(z.object({
    names: strList.nullish(), name: z.string().optional(), action: z.string(),
    errnoRet: z.number().int().nonnegative().optional(), comment: z.string().optional(),
    args: z.array(z.object({ index: z.number().int().min(0).max(5), value: argValue, valueTwo: argValue.optional(), op: z.string() }).loose()).nullish(),
    includes: z.object({ caps: strList.nullish(), arches: strList.nullish(), minKernel: z.string().optional() }).loose().nullish(),
    excludes: z.object({ caps: strList.nullish(), arches: strList.nullish() }).loose().nullish(),
  }).loose()).nullish(),
  listenerPath: z.string().optional(),
  listenerMetadata: z.string().optional(),
  flags: strList.nullish(),
}).loose();

/** parseOciJson parses Docker/OCI seccomp JSON keeping 64-bit argument values exact. */
export function parseOciJson(text: string, source = 'seccomp.json'): OciSeccomp {
  const safe = quoteWideArgValues(text);
  let j: unknown;
  try { j = JSON.parse(safe); } catch (e) { fail('TSS_EPROFILE', 'import seccomp profile', source, `invalid JSON: ${(e as Error).message}`); }
  // the shape is checked before anything walks it: a bundle's config.json is the caller's input
  const r = OCI_SECCOMP.safeParse(j);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const at = i.path.join('.');
    if (!at && (!j || typeof j !== 'object' || typeof (j as OciSeccomp).defaultAction !== 'string')) fail('TSS_EPROFILE', 'import seccomp profile', source, 'not a Docker/OCI seccomp profile (no defaultAction)');
    fail('TSS_EPROFILE', 'import seccomp profile', source, `${at || '(top)'}: ${i.message.split('\n')[0]}`);
  }
  const o = r.data as OciSeccomp;
  return o;
}

/** isOciSeccompText: does this file look like Docker/OCI seccomp JSON rather than our profile? */
export function isOciSeccompText(text: string): boolean {
  return /"defaultAction"\s*:\s*"SCMP_ACT_/.test(text);
}

/** ociAction maps SCMP_ACT_* to our action syntax. */
export function ociAction(a: string, errnoRet: number | undefined, where: string): string {
  switch (a) {
    case 'SCMP_ACT_ALLOW': return 'allow';
    case 'SCMP_ACT_ERRNO': return `errno(${errnoName(errnoRet ?? 1)})`;
    case 'SCMP_ACT_KILL': case 'SCMP_ACT_KILL_THREAD': return 'kill_thread';
    case 'SCMP_ACT_KILL_PROCESS': return 'kill_process';
    case 'SCMP_ACT_TRAP': return 'trap';
    case 'SCMP_ACT_TRACE': return errnoRet ? `trace(${errnoRet})` : 'trace';
    case 'SCMP_ACT_LOG': return 'log';
    case 'SCMP_ACT_NOTIFY': return 'notify';
    default: fail('TSS_EPROFILE', 'import seccomp profile', where, `unknown action \`${a}\``);
  }
}

const big = (v: number | string): bigint => BigInt(v);
/** value spelling: decimal when exact in YAML, "0x…" otherwise; 32-bit arguments take their low 32 bits. */
function spell(v: bigint, width: 32 | 64): number | string {
  let x = v & ((1n << 64n) - 1n);
  if (width === 32) x &= 0xffffffffn;
  return x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : `0x${x.toString(16)}`;
}

const flow = (v: unknown): string => JSON.stringify(v).replace(/"([A-Za-z_][A-Za-z0-9_]*)":/g, '$1: ').replace(/,/g, ', ');
function wrapList(prefix: string, items: readonly string[], indent: string): string[] {
  const lines: string[] = []; let cur = `${prefix}[`;
  items.forEach((it, i) => {
    const piece = `${it}${i < items.length - 1 ? ', ' : ']'}`;
    if (cur.length + piece.length > 100 && !cur.endsWith('[')) { lines.push(cur.trimEnd()); cur = indent; }
    cur += piece;
  });
  lines.push(cur);
  return lines;
}

/**
 * importOciSeccomp converts a Docker/OCI seccomp profile to our `seccomp:` section for a
 * capability set. Unknown syscall names and rules for other architectures are left out (noted).
 */
export function importOciSeccomp(o: OciSeccomp, opts: ImportOptions = {}): Imported {
  const src = opts.source ?? 'seccomp.json';
  const caps = new Set((opts.caps ?? DOCKER_DEFAULT_CAPS).map((c) => capabilityName(c) ?? c));
  const family = opts.hostFamily ?? 'amd64';
  const notes: string[] = [];
  const lines: string[] = [];
  lines.push('seccomp:');
  lines.push(`  defaultAction: ${ociAction(o.defaultAction, o.defaultErrnoRet, `${src} defaultAction`)}`);
  const arches: Arch[] = ['x86_64', 'aarch64'];
  const listed = [...(o.architectures ?? []), ...(o.archMap ?? []).flatMap((m) => [m.architecture, ...(m.subArchitectures ?? [])])];
  const foreign = [...new Set(listed.map((a) => SCMP_ARCH[a]).filter((a): a is Arch => a === 'i386' || a === 'x32'))];
  if (opts.foreignArches) arches.push(...foreign);
  else if (foreign.length) notes.push(`left out the foreign ABIs ${foreign.join(', ')} the profile lists (delta 1: ask with --foreign-arches)`);
  lines.push(`  arches: [${arches.join(', ')}]`);
  lines.push('  foreignAction: kill_process');
  lines.push('  rules:');
  const conditional: string[][] = []; const plain: string[][] = [];
  (o.syscalls ?? []).forEach((s, i) => {
    const where = `${src} syscalls[${i}]`;
    if ((s.excludes?.caps ?? []).some((c) => caps.has(capabilityName(c) ?? c))) return;
    if ((s.includes?.caps ?? []).some((c) => !caps.has(capabilityName(c) ?? c))) return;
    if (s.includes?.arches?.length && !s.includes.arches.includes(family)) return;
    if (s.excludes?.arches?.includes(family)) return;
    const ruleArches = s.includes?.arches?.length ? [...new Set(s.includes.arches.flatMap((a) => ABIS_OF_HOST[a] ?? []))] : undefined;
    const all = [...(s.names ?? []), ...(s.name ? [s.name] : [])];
    const names = all.filter((n) => isKnownSyscall(n) && !opts.drop?.has(n));
    const unknown = all.filter((n) => !isKnownSyscall(n));
    if (unknown.length) notes.push(`${where}: left out syscalls unknown on x86_64/i386/x32/aarch64: ${unknown.join(', ')}`);
    if (!names.length) return;
    const action = ociAction(s.action, s.errnoRet, where);
    // Comparisons of one argument twice in an entry: runc adds them as separate rules (OR).
    const args = s.args ?? [];
    const byIndex = new Map<number, OciArg[]>();
    for (const a of args) byIndex.set(a.index, [...(byIndex.get(a.index) ?? []), a]);
    const variants: OciArg[][] = [[]];
    for (const list of byIndex.values()) {
      const next: OciArg[][] = [];
      for (const v of variants) for (const a of list) next.push([...v, a]);
      variants.splice(0, variants.length, ...next);
    }
    for (const variant of variants) {
      const out: string[] = [];
      if (s.comment) out.push(`    # ${s.comment.replace(/\n/g, ' ')}`);
      out.push(`    - action: ${action}`);
      out.push(...wrapList('      syscalls: ', names, '        '));
      if (variant.length) {
        const cond: Record<string, Record<string, unknown>> = {};
        for (const a of variant) {
          const types = names.map((n) => argTypes(n)?.[a.index]);
          if (types.some((t) => !t)) fail('TSS_EPROFILE', 'import seccomp profile', where, `argument ${a.index} of ${names.join(', ')} has no known type`);
          const width = types.some((t) => t![1] === 'long' || t![1] === 'unsigned long' || t![1] === 'pointer') ? 64 : 32;
          const key = names.length === 1 ? types[0]![0] : String(a.index);
          if (a.op === 'SCMP_CMP_MASKED_EQ') cond[key] = { maskedEq: [spell(big(a.value), width), spell(big(a.valueTwo ?? 0), width)] };
          else if (OPS[a.op]) cond[key] = { [OPS[a.op]!]: spell(big(a.value), width) };
          else fail('TSS_EPROFILE', 'import seccomp profile', where, `unknown comparison \`${a.op}\``);
          if (width === 32 && (big(a.value) >> 32n) !== 0n) notes.push(`${where}: ${names.join(', ')} argument ${a.index} is 32 bits wide; compared on the low 32 bits of ${a.value} (delta 2)`);
        }
        out.push(`      args: ${flow(cond)}`);
      }
      if (ruleArches) out.push(`      arches: [${ruleArches.join(', ')}]`);
      (variant.length ? conditional : plain).push(out);
    }
  });
  for (const r of [...conditional, ...plain]) lines.push(...r);
  if (!conditional.length && !plain.length) lines.pop(), lines.push('  rules: []');
  if (o.listenerPath) notes.push(`${src}: listenerPath is ignored (the supervisor owns the notify fd)`);
  return { yaml: `${lines.join('\n')}\n`, notes };
}
