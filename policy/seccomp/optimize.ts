// policy/seccomp/optimize.ts — optimizer passes over predicates and over builder items, run until nothing changes (everywhere, pure)
//
// Each pass is a plain function returning its input unchanged (same reference) when it has
// nothing to do, so `fixpoint` knows when to stop. Passes must not change meaning: the
// differential tests compare evaluate() with the interpreter on the optimised program.
import type { Item, Label } from './builder.js';
import type { Predicate } from './types.js';

// ---- predicate passes ------------------------------------------------------------------------

/** simplifyPredicate: drop `any` matchers, flatten nested and/or, collapse singletons, absorb `any`. */
export function simplifyPredicate(p: Predicate): Predicate {
  switch (p.kind) {
    case 'any': return p;
    case 'perArg': {
      const args = p.args.map((m) => (m && m.op !== 'any' ? m : null));
      while (args.length && args[args.length - 1] === null) args.pop();
      return args.length === 0 ? { kind: 'any' } : { kind: 'perArg', args };
    }
    case 'and': case 'or': {
      const of: Predicate[] = [];
      for (const q0 of p.of) {
        const q = simplifyPredicate(q0);
        if (q.kind === p.kind) of.push(...q.of);
        else if (q.kind === 'any') { if (p.kind === 'or') return q; }
        else of.push(q);
      }
      if (of.length === 0) return p.kind === 'and' ? { kind: 'any' } : { kind: 'or', of: [] };
      if (of.length === 1) return of[0]!;
      // and of perArg predicates on disjoint arguments is one perArg
      if (p.kind === 'and' && of.every((q) => q.kind === 'perArg')) {
        const merged: (Predicate & { kind: 'perArg' })['args'][number][] = [];
        let ok = true;
        for (const q of of as Array<Predicate & { kind: 'perArg' }>) {
          q.args.forEach((m, i) => { if (m) { if (merged[i]) ok = false; merged[i] = m; } });
        }
        if (ok) return { kind: 'perArg', args: Array.from({ length: merged.length }, (_, i) => merged[i] ?? null) };
      }
      return { kind: p.kind, of };
    }
  }
}

// ---- program passes --------------------------------------------------------------------------

type Pass = (items: Item[]) => Item[];

/** firstInsnAfter maps each label id to the index of the first instruction after it. */
function firstInsnAfter(items: Item[]): Map<number, number> {
  const m = new Map<number, number>();
  const pending: number[] = [];
  items.forEach((it, i) => {
    if (it.t === 'label') pending.push(it.label.id);
    else { for (const id of pending) m.set(id, i); pending.length = 0; }
  });
  return m;
}

/** threadJumps: a jump to a `ja M` goes to M directly; a `ja` to a `ret` becomes that `ret`. */
export const threadJumps: Pass = (items) => {
  const first = firstInsnAfter(items);
  let changed = false;
  const follow = (l: Label, depth = 0): Label => {
    const i = first.get(l.id);
    const it = i === undefined ? undefined : items[i];
    if (it && it.t === 'ja' && depth < 64 && it.target.id !== l.id) { changed = true; return follow(it.target, depth + 1); }
    return l;
  };
  const out = items.map((it): Item => {
    if (it.t === 'jump') {
      const jt = follow(it.jt); const jf = follow(it.jf);
      return jt === it.jt && jf === it.jf ? it : { ...it, jt, jf };
    }
    if (it.t === 'ja') {
      const target = follow(it.target);
      const i = first.get(target.id);
      const dest = i === undefined ? undefined : items[i];
      if (dest && dest.t === 'insn' && (dest.code & 0x07) === 0x06) { changed = true; return { ...dest, ...(it.source ? { source: it.source } : {}) }; }
      return target === it.target ? it : { ...it, target };
    }
    return it;
  });
  return changed ? out : items;
};

/** dropJaToNext: `ja L` immediately followed by L is a no-op; a jump whose both targets agree is a `ja`. */
export const dropJaToNext: Pass = (items) => {
  const first = firstInsnAfter(items);
  let changed = false;
  const out: Item[] = [];
  items.forEach((it, i) => {
    if (it.t === 'ja') {
      let j = i + 1;
      while (j < items.length && items[j]!.t === 'label') j++;
      if (first.get(it.target.id) === j) { changed = true; return; }
    }
    if (it.t === 'jump' && first.get(it.jt.id) === first.get(it.jf.id)) {
      changed = true;
      out.push(it.source ? { t: 'ja', target: it.jt, source: it.source } : { t: 'ja', target: it.jt });
      return;
    }
    out.push(it);
  });
  return changed ? out : items;
};

/** dropDeadCode: instructions after a `ret` or `ja` that no label leads to are unreachable; unused labels go. */
export const dropDeadCode: Pass = (items) => {
  const used = new Set<number>();
  for (const it of items) {
    if (it.t === 'jump') { used.add(it.jt.id); used.add(it.jf.id); }
    if (it.t === 'ja') used.add(it.target.id);
  }
  let changed = false;
  let dead = false;
  const out: Item[] = [];
  for (const it of items) {
    if (it.t === 'label') {
      if (!used.has(it.label.id)) { changed = true; continue; }
      dead = false;
      out.push(it);
      continue;
    }
    if (dead) { changed = true; continue; }
    out.push(it);
    // The builder never falls through a conditional jump (both targets are labels), so code after
    // any jump or ret is reachable only through a label.
    if (it.t === 'ja' || it.t === 'jump' || (it.t === 'insn' && (it.code & 0x07) === 0x06)) dead = true;
  }
  return changed ? out : items;
};

/** mergeRets: `ret K` followed (past labels only) by the same `ret K` is dropped; its labels then reach the second. */
export const mergeRets: Pass = (items) => {
  const isRet = (it: Item | undefined): it is Item & { t: 'insn' } => !!it && it.t === 'insn' && (it.code & 0x07) === 0x06;
  let changed = false;
  const out: Item[] = [];
  items.forEach((it, i) => {
    if (isRet(it)) {
      let j = i + 1;
      while (j < items.length && items[j]!.t === 'label') j++;
      const nx = items[j];
      if (isRet(nx) && nx.code === it.code && nx.k === it.k) { changed = true; return; }
    }
    out.push(it);
  });
  return changed ? out : items;
};

export const PROGRAM_PASSES: readonly Pass[] = [threadJumps, dropJaToNext, dropDeadCode, mergeRets];

/** fixpoint runs passes in turn until a whole round changes nothing. */
export function fixpoint(items: Item[], passes: readonly Pass[] = PROGRAM_PASSES): Item[] {
  for (let round = 0; round < 100; round++) {
    let changed = false;
    for (const p of passes) {
      const next = p(items);
      if (next !== items) { changed = true; items = next; }
    }
    if (!changed) break;
  }
  return items;
}
