// policy/learn.ts — `policy learn`: an audit log recorded under the learn profile → a minimal profile (everywhere, reads logs)
//
// The learned profile extends base/always.yaml, so the floor every confined profile keeps (final
// denials, clone namespace flags, clone3 → ENOSYS, TIOCSTI, foreign ABIs killed, no_new_privs,
// masks) still holds whatever the recording saw. It allows exactly the syscalls that were let
// through while recording; for the few syscalls whose arguments decide what they can do (socket
// families and types, personality) it allows only the values seen. Calls the recording profile
// denied stay denied: a profile learned from an attack must not grant the attack.
import { readEvents } from '../audit/review.js';
import type { AuditEvent } from '../audit/events.js';
import { argTypes, isKnownSyscall, type Arch } from '../abi/index.js';
import { fail } from '../common/errors.js';
import { constantValue } from './seccomp-spec.js';

/** syscalls whose learned rule also lists the argument values seen: argument index → name in the rule and an optional mask */
const ARG_RULES: Readonly<Record<string, readonly { index: number; name: string; mask?: bigint }[]>> = {
  socket: [{ index: 0, name: 'domain' }, { index: 1, name: 'type', mask: 0xfn }],
  socketpair: [{ index: 0, name: 'domain' }],
  personality: [{ index: 0, name: 'personality' }],
};
/** more distinct values than this and the rule allows the syscall whatever its argument (and says so) */
const MAX_VALUES = 16;
const PASSED = new Set(['allow', 'observe', 'emulate', 'trace']);
/**
 * What the launcher itself calls after installing the filter and before the payload's execve
 * (native/launcher/creds.c, child.c): the supervisor listener's hand-off (sendmsg), closing its
 * socket, the error pipe's write, execve, and exit_group on failure. The recording starts at the
 * payload, so these are never in it; a learned profile without them could not start.
 */
const LAUNCHER_AFTER_FILTER = ['close', 'execve', 'exit_group', 'sendmsg', 'write'];

export interface Learned {
  /** syscall name → how many times it was seen (let through while recording) */
  readonly syscalls: ReadonlyMap<string, number>;
  /** syscall name → argument name → the values seen (absent: the syscall is allowed whatever its arguments) */
  readonly argValues: ReadonlyMap<string, ReadonlyMap<string, readonly bigint[]>>;
  /** syscalls the recording profile denied, with counts: listed in the output, never allowed */
  readonly denied: ReadonlyMap<string, number>;
  readonly paths: ReadonlyMap<string, number>;
  readonly peers: ReadonlyMap<string, number>;
  readonly arches: readonly Arch[];
  readonly events: number;
  readonly malformed: number;
  readonly notes: readonly string[];
}

function bump(m: Map<string, number>, k: string, n = 1): void { m.set(k, (m.get(k) ?? 0) + n); }

function argValue(v: unknown): bigint | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === 'string') { try { return constantValue(v, 'arg'); } catch { return undefined; } }
  return undefined;
}

/** learn reads one or more audit logs and gathers what a profile needs to allow. */
export function learn(logs: readonly string[]): Learned {
  const syscalls = new Map<string, number>();
  const denied = new Map<string, number>();
  const paths = new Map<string, number>();
  const peers = new Map<string, number>();
  const values = new Map<string, Map<string, Set<bigint> | null>>();
  const arches = new Set<Arch>();
  const notes: string[] = [];
  let events = 0, malformed = 0;
  for (const log of logs) {
    let r: { events: AuditEvent[]; malformed: number };
    try { r = readEvents(log); } catch (e) { fail('TSS_EPOLICY', 'learn', log, (e as Error).message); }
    malformed += r.malformed;
    for (const e of r.events) {
      if (e.event === 'dropped') {
        // duplicates only were dropped, so each shape is already counted once; keep the count honest
        for (const s of e.dropped.shapes) if (isKnownSyscall(s.syscall)) bump(PASSED.has(s.action) ? syscalls : denied, s.syscall, s.count);
        continue;
      }
      if (e.event !== 'syscall') continue;
      events++;
      const name = e.syscall.name;
      if (!isKnownSyscall(name)) { notes.push(`${log}: seq ${e.seq}: unknown syscall \`${name}\` skipped`); continue; }
      if (e.syscall.arch === 'x86_64' || e.syscall.arch === 'aarch64') arches.add(e.syscall.arch);
      if (!PASSED.has(e.decision.action)) { bump(denied, name); continue; }
      bump(syscalls, name);
      if (e.resource?.path) bump(paths, e.resource.path);
      if (e.resource?.sockaddr) bump(peers, e.resource.sockaddr);
      const rules = ARG_RULES[name];
      if (!rules) continue;
      const perArg = values.get(name) ?? new Map<string, Set<bigint> | null>();
      values.set(name, perArg);
      for (const a of rules) {
        if (perArg.get(a.name) === null) continue;
        const v = argValue(e.syscall.args?.[a.index]);
        // an argument the log does not carry: the rule cannot be narrowed on it
        if (v === undefined) { perArg.set(a.name, null); continue; }
        const set = perArg.get(a.name) ?? new Set<bigint>();
        set.add(a.mask !== undefined ? v & a.mask : v);
        perArg.set(a.name, set.size > MAX_VALUES ? null : set);
      }
    }
  }
  if (events === 0) fail('TSS_EPOLICY', 'learn', logs.join(', '), 'no syscall events in the log (record it with `run --profile learn --audit FILE`)');
  const argValues = new Map<string, Map<string, bigint[]>>();
  for (const [name, perArg] of values) {
    const m = new Map<string, bigint[]>();
    for (const [arg, set] of perArg) if (set) m.set(arg, [...set].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
    if (m.size) argValues.set(name, m);
  }
  return { syscalls, argValues, denied, paths, peers, arches: [...arches].sort(), events, malformed, notes };
}

function hex(v: bigint): string { return v < 1024n ? String(v) : `"0x${v.toString(16)}"`; }
function top(m: ReadonlyMap<string, number>, n: number): [string, number][] { return [...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, n); }

export interface RenderOptions {
  readonly sources: readonly string[];
  readonly extendsBase?: string;
  /** syscalls the floor decides with a final rule (syscall → its file:line): left to the floor, not allowed here */
  readonly floor?: ReadonlyMap<string, string>;
}

/** renderProfile writes the learned profile as YAML, with what was seen as comments. */
export function renderProfile(l: Learned, opts: RenderOptions): string {
  const floor = opts.floor ?? new Map<string, string>();
  const out: string[] = [];
  out.push(`# learned by \`tssandbox policy learn\` from ${opts.sources.join(', ')}: ${l.events} syscall events, ${l.syscalls.size} distinct syscalls`);
  out.push('# Review before enforcing: it allows exactly what the recorded run did, and nothing it was denied.');
  out.push(`extends: ${opts.extendsBase ?? 'base/always.yaml'}`);
  out.push(`description: learned from ${opts.sources.map((s) => s.split('/').pop()).join(', ')}`);
  out.push('capabilities: []');
  out.push('supervisor:');
  out.push('  mode: notify');
  out.push('  audit: [execve, connect, bind, open-write]');
  out.push('seccomp:');
  if (l.arches.length) out.push(`  arches: [${l.arches.join(', ')}]`);
  out.push('  rules:');
  for (const [name, perArg] of [...l.argValues].sort((a, b) => a[0].localeCompare(b[0])).filter(([n]) => !floor.has(n))) {
    const known = new Set((argTypes(name) ?? []).map((t) => t[0]));
    const conds = [...perArg].filter(([arg]) => known.has(arg) || /^\d+$/.test(arg)).map(([arg, vs]) => {
      const mask = ARG_RULES[name]!.find((a) => a.name === arg)!.mask;
      return mask !== undefined ? `${arg}: [${vs.map((v) => `{ maskedEq: [${hex(mask)}, ${hex(v)}] }`).join(', ')}]` : `${arg}: [${vs.map(hex).join(', ')}]`;
    });
    out.push(`    # ${name}: ${l.syscalls.get(name)} call(s); only the argument values seen`);
    out.push(conds.length ? `    - { action: allow, syscalls: ${name}, args: { ${conds.join(', ')} } }` : `    - { action: allow, syscalls: ${name} }`);
  }
  const plain = [...l.syscalls.keys()].filter((s) => !l.argValues.has(s) && !floor.has(s)).sort();
  if (plain.length) {
    out.push('    - action: allow');
    out.push('      syscalls:');
    for (const s of plain) out.push(`        - ${s}   # ${l.syscalls.get(s)}`);
  }
  const launcher = LAUNCHER_AFTER_FILTER.filter((s) => !l.syscalls.has(s));
  if (launcher.length) {
    out.push('    # not recorded: the launcher\'s own calls between installing the filter and the payload\'s execve');
    out.push(`    - { action: allow, syscalls: [${launcher.join(', ')}] }`);
  }
  if (floor.size) {
    out.push('# seen, and decided by the floor\'s final rules (what the floor allows of them, e.g. clone without');
    out.push('# namespace flags, stays allowed; the rest cannot be loosened here):');
    for (const [s, where] of [...floor].sort((a, b) => a[0].localeCompare(b[0]))) out.push(`#   ${s} ×${l.syscalls.get(s) ?? 0}  (${where})`);
  }
  if (l.denied.size) {
    out.push('# denied while recording, left denied:');
    for (const [s, n] of top(l.denied, 50)) out.push(`#   ${s} ×${n}`);
  }
  if (l.paths.size) {
    out.push('# paths the audited calls named (as requested):');
    for (const [p, n] of top(l.paths, 50)) out.push(`#   ${p} ×${n}`);
  }
  if (l.peers.size) {
    out.push('# peers (connect/bind addresses, as requested):');
    for (const [p, n] of top(l.peers, 50)) out.push(`#   ${p} ×${n}`);
  }
  return `${out.join('\n')}\n`;
}

/**
 * learnedProfile renders the profile and loads it with `load` (which throws what the profile
 * loader throws). A learned syscall that the floor decides with a final rule (clone, clone3, ioctl
 * and the namespace/mount families of base/always.yaml) would make the profile refuse to load;
 * each one the loader names is left to the floor and the profile rendered again. Any other load
 * error is the caller's.
 */
export function learnedProfile(l: Learned, opts: RenderOptions, load: (text: string) => void): string {
  const floor = new Map<string, string>(opts.floor ?? []);
  for (;;) {
    const text = renderProfile(l, { ...opts, floor });
    try { load(text); return text; } catch (e) {
      const m = /`([a-z0-9_]+)` is final in (\S+) as/.exec((e as Error).message);
      if (!m || !l.syscalls.has(m[1]!) || floor.has(m[1]!)) throw e;
      floor.set(m[1]!, m[2]!);
    }
  }
}
