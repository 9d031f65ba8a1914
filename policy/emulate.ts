// policy/emulate.ts — a profile's supervisor `rules` (action emulate) checked and resolved: whole syscall families, normalised paths, the errno (everywhere, pure)
//
// An emulate rule makes the supervisor do the call itself instead of letting the kernel do it after
// a check (a check on memory the caller can rewrite can be raced, DESIGN §5). Rules cover whole
// families: naming `openat` covers open, openat, openat2 and creat, so a libc fallback after ENOSYS
// or an older entry point cannot slip past. Only the open family can be emulated so far.
import { errnoNumber } from '../abi/index.js';
import type { RawEmulateRule } from './schema.js';
import { SpecError } from './seccomp-spec.js';
import type { EmulateRule } from './types.js';

/** the families the supervisor can emulate: a member's name → the whole family */
export const EMULATE_FAMILIES: Readonly<Record<string, readonly string[]>> = {
  open: ['open', 'openat', 'openat2', 'creat'],
};

const EACCES = 13;

/** normalisePath: `/a//b/` → `/a/b`; `.` and `..` are refused (a rule names a path, not a walk) */
export function normalisePath(p: string, at: string): string {
  const parts = p.split('/').filter((c) => c !== '');
  if (parts.some((c) => c === '.' || c === '..')) throw new SpecError(at, `\`${p}\`: write the path without \`.\` or \`..\` components`);
  return `/${parts.join('/')}`;
}

/** resolveEmulateRules turns the raw rules of one layer into EmulateRules; `at(i)` gives a rule's file:line */
export function resolveEmulateRules(raw: readonly RawEmulateRule[], base: string, at: (path: string) => string): EmulateRule[] {
  const seen = new Map<string, string>();
  return raw.map((r, i) => {
    const path = `${base}[${i}]`;
    const names = typeof r.syscalls === 'string' ? [r.syscalls] : r.syscalls;
    const syscalls = new Set<string>();
    names.forEach((n, j) => {
      const fam = Object.values(EMULATE_FAMILIES).find((f) => f.includes(n));
      if (!fam) throw new SpecError(`${path}.syscalls${typeof r.syscalls === 'string' ? '' : `[${j}]`}`, `\`${n}\` cannot be emulated (only the open family: ${EMULATE_FAMILIES.open!.join(', ')})`);
      for (const s of fam) syscalls.add(s);
    });
    for (const s of syscalls) {
      const other = seen.get(s);
      if (other) throw new SpecError(`${path}.syscalls`, `\`${s}\` is already emulated by ${other}: one emulate rule per family`);
      seen.set(s, at(path));
    }
    if ((r.denyPaths === undefined) === (r.allowPaths === undefined)) throw new SpecError(path, 'an emulate rule needs exactly one of denyPaths and allowPaths');
    const mode = r.denyPaths ? 'deny' : 'allow';
    const list = (r.denyPaths ?? r.allowPaths)!;
    const paths = list.map((p, j) => normalisePath(p, `${path}.${mode}Paths[${j}]`));
    let errno = EACCES;
    if (r.errno !== undefined) {
      const n = errnoNumber(r.errno);
      if (n === undefined || n === 0) throw new SpecError(`${path}.errno`, `unknown errno \`${r.errno}\``);
      errno = n;
    }
    return { syscalls: [...syscalls], mode, paths, errno, source: at(path) };
  });
}
