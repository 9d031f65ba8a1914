// policy/oci-export.ts — a seccomp policy → Docker/OCI seccomp JSON for docker, podman and Kubernetes `seccompProfile` (everywhere, pure)
//
// Our rules are ordered (first match wins) and compare int arguments on 32 bits; libseccomp
// rules are unordered and compare 64 bits. To say exactly the same thing in that language, each
// syscall's rules are turned into disjoint "cubes": one masked-equality per argument
// ((arg & mask) == value, SCMP_CMP_MASKED_EQ), which libseccomp evaluates exactly whatever the
// width, because a mask inside the low 32 bits ignores the high half just as the kernel does.
// Ranges become prefix blocks, `ne` the complement of a cube. Rules with the default action are
// implied (runc drops them, libseccomp refuses them), so only other actions are written.
import { syscallNumbers, type Arch, type HostArch } from '../abi/index.js';
import { fail } from '../common/errors.js';
import { actionKey } from './seccomp/actions.js';
import { argView, asSigned, decide, handledArches } from './seccomp/semantics.js';
import type { Action, ArgMatcher, Predicate, SeccompPolicy } from './seccomp/types.js';
import type { OciArg, OciSeccomp, OciSyscall } from './oci-import.js';

/** (arg & mask) == value, over the argument's width */
interface Cube { readonly mask: bigint; readonly value: bigint }
/** one Cube per argument index (absent = any value) */
type Product = ReadonlyMap<number, Cube>;
const MAX_ENTRIES = 4000;

const full = (w: number): bigint => (1n << BigInt(w)) - 1n;

/** interval [lo, hi] of unsigned w-bit values → prefix blocks */
function intervalCubes(lo: bigint, hi: bigint, w: number): Cube[] {
  const out: Cube[] = [];
  while (lo <= hi) {
    let k = 0n;
    while (k < BigInt(w) && (lo & ((1n << (k + 1n)) - 1n)) === 0n && lo + (1n << (k + 1n)) - 1n <= hi) k++;
    out.push({ mask: full(w) & ~((1n << k) - 1n), value: lo });
    lo += 1n << k;
  }
  return out;
}

/** complement of one cube: for each fixed bit, agree on the earlier ones and differ on it */
function complement(c: Cube, w: number): Cube[] {
  const out: Cube[] = []; let prefix = 0n;
  for (let b = 0n; b < BigInt(w); b++) {
    const bit = 1n << b;
    if (!(c.mask & bit)) continue;
    out.push({ mask: prefix | bit, value: (c.value & prefix) | (~c.value & bit) });
    prefix |= bit;
  }
  return out;
}

function intersect(a: Cube, b: Cube): Cube | undefined {
  const both = a.mask & b.mask;
  if ((a.value & both) !== (b.value & both)) return undefined;
  return { mask: a.mask | b.mask, value: (a.value & a.mask) | (b.value & b.mask) };
}

/** the unsigned values v of a w-bit argument with `v op x` (signed when the argument is) */
function compareCubes(op: 'lt' | 'le' | 'gt' | 'ge', x: bigint, w: number, signed: boolean): Cube[] {
  const lo = signed ? -(1n << BigInt(w - 1)) : 0n; const hi = signed ? (1n << BigInt(w - 1)) - 1n : full(w);
  const v = signed ? asSigned(x & full(w), w as 32 | 64) : x & full(w);
  const [a, b] = op === 'lt' ? [lo, v - 1n] : op === 'le' ? [lo, v] : op === 'gt' ? [v + 1n, hi] : [v, hi];
  if (a > b) return [];
  if (!signed || b < 0n || a >= 0n) return intervalCubes(a & full(w), b & full(w), w);
  return [...intervalCubes(a & full(w), full(w), w), ...intervalCubes(0n, b, w)];
}

function matcherCubes(m: ArgMatcher, w: number, signed: boolean): Cube[] {
  const W = full(w);
  switch (m.op) {
    case 'any': return [{ mask: 0n, value: 0n }];
    case 'eq': return [{ mask: W, value: BigInt(m.value) & W }];
    case 'ne': return complement({ mask: W, value: BigInt(m.value) & W }, w);
    case 'maskedEq': { const k = BigInt(m.mask) & W; const v = BigInt(m.value) & W; return (v & ~k) !== 0n ? [] : [{ mask: k, value: v }]; }
    case 'bitsAllowed': return [{ mask: ~BigInt(m.mask) & W, value: 0n }];
    default: return compareCubes(m.op, BigInt(m.value), w, signed);
  }
}

function productAnd(a: Product, b: Product): Product | undefined {
  const out = new Map(a);
  for (const [i, c] of b) {
    const prev = out.get(i);
    const x = prev ? intersect(prev, c) : c;
    if (!x) return undefined;
    out.set(i, x);
  }
  return out;
}

function predicateProducts(p: Predicate, name: string, arch: Arch): Product[] {
  switch (p.kind) {
    case 'any': return [new Map()];
    case 'or': return p.of.flatMap((q) => predicateProducts(q, name, arch));
    case 'and': return p.of.reduce<Product[]>((acc, q) => {
      const qs = predicateProducts(q, name, arch);
      return acc.flatMap((a) => qs.map((b) => productAnd(a, b)).filter((x): x is Product => !!x));
    }, [new Map()]);
    case 'perArg': return p.args.reduce<Product[]>((acc, m, i) => {
      if (!m || m.op === 'any') return acc;
      const view = argView(name, i, arch);
      const cs = matcherCubes(m, view.width, view.signed);
      return acc.flatMap((a) => cs.map((c) => productAnd(a, new Map([[i, c]]))).filter((x): x is Product => !!x));
    }, [new Map()]);
  }
}

/** subtract one product from another: the disjoint pieces of `a` outside `b` */
function productMinus(a: Product, b: Product, widthOf: (i: number) => number): Product[] {
  if (!productAnd(a, b)) return [a];
  const out: Product[] = []; let keep: Product = a;
  for (const [i, c] of b) {
    for (const nc of complement(c, widthOf(i))) { const x = productAnd(keep, new Map([[i, nc]])); if (x) out.push(x); }
    keep = productAnd(keep, new Map([[i, c]]))!;
  }
  return out;
}

/** merge sibling products (equal but for one argument whose cubes differ in one fixed bit) until none are left */
function merge(ps: Product[]): Product[] {
  let cur = ps;
  for (let changed = true; changed && cur.length > 1 && cur.length < 5000;) {
    changed = false;
    const out: Product[] = []; const used = new Set<number>();
    const key = (p: Product, skip: number): string => [...p].filter(([i]) => i !== skip).sort((a, b) => a[0] - b[0]).map(([i, c]) => `${i}:${c.mask}:${c.value}`).join(',');
    for (let a = 0; a < cur.length; a++) {
      if (used.has(a)) continue;
      let merged: Product | undefined;
      for (let b = a + 1; b < cur.length && !merged; b++) {
        if (used.has(b)) continue;
        const A = cur[a]!; const B = cur[b]!;
        for (const [i, ca] of A) {
          const cb = B.get(i);
          if (!cb || cb.mask !== ca.mask || A.size !== B.size) continue;
          const diff = (ca.value ^ cb.value) & ca.mask;
          if (diff === 0n || (diff & (diff - 1n)) !== 0n || key(A, i) !== key(B, i)) continue;
          const m = new Map(A); const mask = ca.mask & ~diff;
          if (mask === 0n) m.delete(i); else m.set(i, { mask, value: ca.value & mask });
          merged = m; used.add(b); break;
        }
      }
      out.push(merged ?? cur[a]!); if (merged) changed = true;
    }
    cur = out;
  }
  return cur;
}

const OCI_ACTION: Record<Action['kind'], string> = {
  allow: 'SCMP_ACT_ALLOW', errno: 'SCMP_ACT_ERRNO', kill_process: 'SCMP_ACT_KILL_PROCESS', kill_thread: 'SCMP_ACT_KILL_THREAD',
  trap: 'SCMP_ACT_TRAP', log: 'SCMP_ACT_LOG', trace: 'SCMP_ACT_TRACE', notify: 'SCMP_ACT_NOTIFY',
};
function ociOf(a: Action): { action: string; errnoRet?: number } {
  if (a.kind === 'errno') return { action: OCI_ACTION.errno, errnoRet: a.errno };
  if (a.kind === 'trace' && a.data) return { action: OCI_ACTION.trace, errnoRet: a.data };
  return { action: OCI_ACTION[a.kind] };
}

const SCMP: Record<Arch, string> = { x86_64: 'SCMP_ARCH_X86_64', i386: 'SCMP_ARCH_X86', x32: 'SCMP_ARCH_X32', aarch64: 'SCMP_ARCH_AARCH64' };

export interface Exported { readonly profile: OciSeccomp; readonly notes: readonly string[] }

/** exportOciSeccomp writes a flat Docker/OCI seccomp profile for one host ABI family. */
export function exportOciSeccomp(policy: SeccompPolicy, host: HostArch = 'x86_64'): Exported {
  const notes: string[] = [];
  const abis = handledArches(policy, host);
  const native = abis[0]!;
  const def = policy.defaultAction;
  const entries: Array<{ key: string; action: Action; args: OciArg[]; names: string[] }> = [];
  const byKey = new Map<string, (typeof entries)[number]>();
  let count = 0;
  for (const [, name] of syscallNumbers(native)) {
    const d = decide(policy, native, name);
    for (const other of abis.slice(1)) {
      if (JSON.stringify(decide(policy, other, name)) !== JSON.stringify(d)) notes.push(`${name}: decided differently on ${other}; exported as on ${native} (a Docker profile has one rule set for every ABI)`);
    }
    const pieces: Array<{ action: Action; p: Product }> = [];
    if (d.kind === 'const') pieces.push({ action: d.action, p: new Map() });
    else {
      const widthOf = (i: number): number => argView(name, i, native).width;
      // A rule's cubes, minus the earlier rules with another action (an earlier rule with the same
      // action may overlap it harmlessly). The fallback is the rule that matches anything.
      const earlier: Array<{ action: Action; ps: Product[] }> = [];
      for (const r of [...d.rules, { action: d.fallback, when: { kind: 'any' } as Predicate }]) {
        const ps = predicateProducts(r.when, name, native);
        if (actionKey(r.action) !== actionKey(def)) {
          let mine = ps;
          for (const e of earlier) if (actionKey(e.action) !== actionKey(r.action)) for (const h of e.ps) mine = merge(mine.flatMap((m) => productMinus(m, h, widthOf)));
          for (const x of mine) pieces.push({ action: r.action, p: x });
        }
        earlier.push({ action: r.action, ps });
      }
    }
    for (const { action, p } of pieces) {
      if (actionKey(action) === actionKey(def)) continue;
      if (++count > MAX_ENTRIES) fail('TSS_EPOLICY', 'export seccomp policy', policy.name, `more than ${MAX_ENTRIES} rules in Docker's form`);
      const args: OciArg[] = [...p].sort((a, b) => a[0] - b[0]).filter(([, c]) => c.mask !== 0n).map(([i, c]) => {
        const w = argView(name, i, native).width;
        // full 64-bit equality is plain EQ; anything else is a masked compare (exact on 32-bit args)
        return c.mask === full(w) && w === 64 ? { index: i, value: num(c.value), op: 'SCMP_CMP_EQ' } : { index: i, value: num(c.mask), valueTwo: num(c.value), op: 'SCMP_CMP_MASKED_EQ' };
      });
      const key = `${actionKey(action)}|${JSON.stringify(args)}`;
      const e = byKey.get(key);
      if (e) e.names.push(name);
      else { const n = { key, action, args, names: [name] }; byKey.set(key, n); entries.push(n); }
    }
  }
  notes.push(`numbers above the highest known ${native} syscall get ENOSYS from our filter, the default action from libseccomp's`);
  const syscalls: OciSyscall[] = entries.map((e) => ({ names: e.names, ...ociOf(e.action), ...(e.args.length ? { args: e.args } : {}) }));
  const da = ociOf(def);
  return {
    profile: { defaultAction: da.action, ...(da.errnoRet !== undefined ? { defaultErrnoRet: da.errnoRet } : {}), architectures: abis.map((a) => SCMP[a]), syscalls },
    notes,
  };
}

/** JSON-safe number: values above 2^53 are written as exact integer literals by ociJson. */
const num = (v: bigint): number | string => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : `__big__${v}`);

/** ociJson renders an exported profile, with 64-bit values as exact JSON integers. */
export function ociJson(p: OciSeccomp): string {
  return `${JSON.stringify(p, null, 2).replace(/"__big__(\d+)"/g, '$1')}\n`;
}
