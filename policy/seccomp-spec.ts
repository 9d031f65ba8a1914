// policy/seccomp-spec.ts — turns a profile's `seccomp` section into SeccompRules: names, groups, constants, argument conditions (everywhere, pure)
import {
  argTypes, argWidth, argSigned, isKnownSyscall, CONSTANTS, type Arch,
} from '../abi/index.js';
import { parseAction } from './seccomp/actions.js';
import type { Action, ArgMatcher, Predicate, SeccompRule } from './seccomp/types.js';
import type { RawArgCond, RawRule } from './schema.js';

/** SpecError carries the path of the offending field; the loader adds file and line. */
export class SpecError extends Error {
  constructor(readonly path: string, message: string) { super(message); }
}

export function actionAt(s: string, path: string): Action {
  const a = parseAction(s);
  if (!a) throw new SpecError(path, `unknown action \`${s}\` (allow, errno(EPERM), kill_process, kill_thread, trap, log, trace, notify)`);
  return a;
}

/** constantValue: `AF_UNIX`, `0x10`, `-1`, `CLONE_NEWNS|CLONE_NEWUSER` → bigint. */
export function constantValue(v: string | number, path: string): bigint {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new SpecError(path, `${v} is not an integer (write large values as a "0x…" string)`);
    return BigInt(v);
  }
  let out = 0n;
  for (const raw of v.split('|')) {
    const t = raw.trim();
    if (/^-?(0x[0-9a-fA-F]+|0o[0-7]+|0b[01]+|\d+)$/.test(t)) out |= t.startsWith('-') ? -BigInt(t.slice(1)) : BigInt(t);
    else if (t in CONSTANTS) out |= BigInt(CONSTANTS[t]!);
    else throw new SpecError(path, `unknown constant \`${t}\``);
  }
  return out;
}

/** expandSyscalls resolves `@group` references (recursively, refusing cycles) and checks names. */
export function expandSyscalls(list: readonly string[], groups: Readonly<Record<string, readonly string[]>>, path: string, seen: string[] = []): string[] {
  const out: string[] = [];
  list.forEach((name, i) => {
    const p = seen.length ? path : `${path}[${i}]`;
    if (name.startsWith('@')) {
      const g = name.slice(1);
      const members = groups[g];
      if (!members) throw new SpecError(p, `unknown syscall group \`${name}\``);
      if (seen.includes(g)) throw new SpecError(p, `syscall group \`${name}\` includes itself`);
      out.push(...expandSyscalls(members, groups, p, [...seen, g]));
    } else if (!isKnownSyscall(name)) {
      throw new SpecError(p, `unknown syscall \`${name}\``);
    } else out.push(name);
  });
  return out;
}

/** fits: is v a valid value of a `bits`-wide argument (signed or unsigned spelling)? */
function fits(v: bigint, bits: number): boolean {
  return v >= -(1n << BigInt(bits - 1)) && v < (1n << BigInt(bits));
}

function argIndex(syscall: string, key: string, path: string): { index: number; width: 32 | 64; signed: boolean } {
  const types = argTypes(syscall);
  if (!types) throw new SpecError(path, `argument types of \`${syscall}\` are unknown, so its arguments cannot be constrained`);
  let index = /^[0-5]$/.test(key) ? Number(key) : types.findIndex((t) => t[0] === key);
  if (index < 0) throw new SpecError(path, `\`${syscall}\` has no argument \`${key}\` (it has ${types.map((t) => t[0]).join(', ') || 'none'})`);
  const t = types[index];
  if (!t) throw new SpecError(path, `\`${syscall}\` has only ${types.length} arguments`);
  // 64-bit ABIs are the strictest case for the range check; i386 reads 32 bits of everything.
  const arch: Arch = 'x86_64';
  index = Number(index);
  return { index, width: argWidth(t[1], arch), signed: argSigned(t[1]) };
}

function condToPredicates(syscall: string, key: string, cond: RawArgCond, path: string): Predicate {
  const { index, width } = argIndex(syscall, key, path);
  const val = (v: string | number, p: string): string => {
    const b = constantValue(v, p);
    if (!fits(b, width)) throw new SpecError(p, `value ${v} does not fit the ${width}-bit argument \`${key}\` of \`${syscall}\``);
    return b.toString();
  };
  const one = (m: ArgMatcher): Predicate => ({ kind: 'perArg', args: Array.from({ length: index + 1 }, (_, i) => (i === index ? m : null)) });
  const ops = (o: Exclude<RawArgCond, string | number | unknown[]>, p: string): Predicate => {
    const all: Predicate[] = [];
    for (const op of ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const) {
      const v = o[op];
      if (v !== undefined) all.push(one({ op, value: val(v, `${p}.${op}`) }));
    }
    if (o.maskedEq) all.push(one({ op: 'maskedEq', mask: val(o.maskedEq[0], `${p}.maskedEq[0]`), value: val(o.maskedEq[1], `${p}.maskedEq[1]`) }));
    if (o.bitsAllowed !== undefined) all.push(one({ op: 'bitsAllowed', mask: val(o.bitsAllowed, `${p}.bitsAllowed`) }));
    if (o.bitsSet !== undefined) { const m = val(o.bitsSet, `${p}.bitsSet`); all.push(one({ op: 'maskedEq', mask: m, value: m })); }
    if (o.bitsClear !== undefined) all.push(one({ op: 'maskedEq', mask: val(o.bitsClear, `${p}.bitsClear`), value: '0' }));
    if (o.in) all.push({ kind: 'or', of: o.in.map((v, i) => one({ op: 'eq', value: val(v, `${p}.in[${i}]`) })) });
    if (o.notIn) all.push({ kind: 'and', of: o.notIn.map((v, i) => one({ op: 'ne', value: val(v, `${p}.notIn[${i}]`) })) });
    if (all.length === 0) throw new SpecError(p, 'an argument condition needs at least one operator');
    return all.length === 1 ? all[0]! : { kind: 'and', of: all };
  };
  if (typeof cond === 'string' || typeof cond === 'number') return one({ op: 'eq', value: val(cond, path) });
  if (Array.isArray(cond)) {
    return { kind: 'or', of: cond.map((c, i) => (typeof c === 'object' ? ops(c, `${path}[${i}]`) : one({ op: 'eq', value: val(c, `${path}[${i}]`) }))) };
  }
  return ops(cond, path);
}

/** ruleToSeccomp expands one profile rule into one SeccompRule per syscall. */
export function ruleToSeccomp(raw: RawRule, path: string, groups: Readonly<Record<string, readonly string[]>>, source: string, archesOverride?: readonly Arch[]): SeccompRule[] {
  const action = actionAt(raw.action, `${path}.action`);
  const names = expandSyscalls(typeof raw.syscalls === 'string' ? [raw.syscalls] : raw.syscalls, groups, `${path}.syscalls`);
  const arches = archesOverride ?? raw.arches;
  return names.map((syscall) => {
    let when: Predicate = { kind: 'any' };
    if (raw.args && Object.keys(raw.args).length) {
      const parts = Object.entries(raw.args).map(([k, c]) => condToPredicates(syscall, k, c, `${path}.args.${k}`));
      when = parts.length === 1 ? parts[0]! : { kind: 'and', of: parts };
    }
    const r: SeccompRule = { syscall, action, when, source, ...(arches ? { arches: [...arches] } : {}) };
    return r;
  });
}
