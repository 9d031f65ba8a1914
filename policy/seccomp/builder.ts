// policy/seccomp/builder.ts — label-based cBPF program builder with ja trampolines for far jumps (everywhere, pure)
//
// Code is emitted with symbolic labels; assemble() lays it out, and where a conditional jump's
// target lies more than 255 instructions ahead (jt/jf are 8 bits) it inserts a `ja` right after
// the jump and retargets through it, repeating until every jump fits. Jumps only go forward, as
// the kernel's checker demands.
import { BPF, type SockFilter } from './bpf.js';

export interface Label { readonly id: number; readonly name?: string }

export type Item =
  | { readonly t: 'label'; readonly label: Label }
  | { readonly t: 'insn'; readonly code: number; readonly k: number; readonly source?: string }
  | { readonly t: 'jump'; readonly code: number; readonly k: number; readonly jt: Label; readonly jf: Label; readonly source?: string }
  | { readonly t: 'ja'; readonly target: Label; readonly source?: string };

export interface Assembled { readonly insns: SockFilter[]; readonly sources: (string | undefined)[] }

export class ProgramBuilder {
  items: Item[] = [];
  private nextId = 0;
  /** source annotation attached to the instructions emitted next (disasm prints it) */
  source: string | undefined;

  label(name?: string): Label {
    return name === undefined ? { id: this.nextId++ } : { id: this.nextId++, name };
  }
  bind(l: Label): void { this.items.push({ t: 'label', label: l }); }
  private src<T extends object>(x: T): T { return this.source === undefined ? x : { ...x, source: this.source }; }

  /** ld [off]: A = seccomp_data word at off */
  ldAbs(off: number): void { this.items.push(this.src({ t: 'insn', code: BPF.LD | BPF.W | BPF.ABS, k: off })); }
  alu(op: number, k: number): void { this.items.push(this.src({ t: 'insn', code: BPF.ALU | op | BPF.K, k: k >>> 0 })); }
  ret(k: number): void { this.items.push(this.src({ t: 'insn', code: BPF.RET | BPF.K, k: k >>> 0 })); }
  /** jump(op, k, jt, jf): if (A op k) goto jt else goto jf */
  jump(op: number, k: number, jt: Label, jf: Label): void {
    this.items.push(this.src({ t: 'jump', code: BPF.JMP | op | BPF.K, k: k >>> 0, jt, jf }));
  }
  ja(target: Label): void { this.items.push(this.src({ t: 'ja', target })); }

  assemble(): Assembled {
    return assemble(this.items);
  }
}

/** assemble lays items out, inserting trampolines until every conditional jump reaches. */
export function assemble(input: readonly Item[]): Assembled {
  let items = [...input];
  let nextTramp = 1e9;
  for (;;) {
    const pos = new Map<number, number>();
    const at: number[] = [];
    let pc = 0;
    for (const it of items) {
      if (it.t === 'label') pos.set(it.label.id, pc);
      else { at.push(pc); pc++; }
    }
    const where = (l: Label): number => {
      const p = pos.get(l.id);
      if (p === undefined) throw new Error(`BPF label ${l.name ?? l.id} is never bound`);
      return p;
    };
    // Find the first conditional jump that cannot reach; fix it; lay out again.
    let fixed = false;
    pc = 0;
    for (let i = 0; i < items.length && !fixed; i++) {
      const it = items[i]!;
      if (it.t === 'label') continue;
      if (it.t === 'jump') {
        const dt = where(it.jt) - pc - 1;
        const df = where(it.jf) - pc - 1;
        if (dt < 0 || df < 0) throw new Error('BPF jump goes backwards');
        if (dt > 255 || df > 255) {
          const extra: Item[] = [];
          let { jt, jf } = it;
          if (dt > 255) { const l = { id: nextTramp++ }; extra.push({ t: 'label', label: l }, { t: 'ja', target: it.jt, source: it.source } as Item); jt = l; }
          if (df > 255) { const l = { id: nextTramp++ }; extra.push({ t: 'label', label: l }, { t: 'ja', target: it.jf, source: it.source } as Item); jf = l; }
          items.splice(i, 1, { ...it, jt, jf }, ...extra);
          fixed = true;
        }
      }
      pc++;
    }
    if (fixed) continue;
    const insns: SockFilter[] = [];
    const sources: (string | undefined)[] = [];
    pc = 0;
    for (const it of items) {
      if (it.t === 'label') continue;
      if (it.t === 'insn') insns.push({ code: it.code, jt: 0, jf: 0, k: it.k });
      else if (it.t === 'jump') insns.push({ code: it.code, jt: where(it.jt) - pc - 1, jf: where(it.jf) - pc - 1, k: it.k });
      else {
        const d = where(it.target) - pc - 1;
        if (d < 0) throw new Error('BPF ja goes backwards');
        insns.push({ code: BPF.JMP | BPF.JA, jt: 0, jf: 0, k: d });
      }
      sources.push(it.source);
      pc++;
    }
    return { insns, sources };
  }
}
