// policy/seccomp/interpret.ts — a classic-BPF interpreter for seccomp filters, so filters are tested without a kernel (everywhere, pure)
//
// It implements the instruction subset seccomp's checker accepts (loads of seccomp_data words,
// scratch memory, ALU, jumps, ret) and refuses what the kernel would refuse, so a filter that runs
// here but not in the kernel is a bug in both.
import { BPF, SECCOMP_DATA, type SockFilter } from './bpf.js';
import type { SeccompData } from './types.js';

export interface RunResult { readonly value: number; readonly executed: number; readonly loadedArgs: boolean }

/** dataWord reads the 32-bit word of struct seccomp_data at a byte offset (little-endian layout). */
export function dataWord(d: SeccompData, off: number): number {
  if (off % 4 !== 0 || off < 0 || off >= SECCOMP_DATA.size) throw new Error(`misaligned or out-of-range load at ${off}`);
  if (off === 0) return d.nr >>> 0;
  if (off === 4) return d.arch >>> 0;
  const v = off < 16 ? (d.instructionPointer ?? 0n) : (d.args[(off - 16) >> 3] ?? 0n);
  const hi = ((off - 8) >> 2) % 2 === 1;
  return Number((hi ? v >> 32n : v) & 0xffffffffn);
}

/** run executes a filter on one input; throws on an instruction seccomp would reject. */
export function run(prog: readonly SockFilter[], d: SeccompData): RunResult {
  let A = 0; let X = 0;
  const M = new Uint32Array(16);
  let executed = 0;
  let loadedArgs = false;
  for (let pc = 0; pc < prog.length; pc++) {
    const ins = prog[pc]!;
    executed++;
    const cls = ins.code & 0x07;
    const k = ins.k >>> 0;
    switch (cls) {
      case BPF.LD: case BPF.LDX: {
        const mode = ins.code & 0xe0;
        let v: number;
        if (mode === BPF.ABS && cls === BPF.LD && (ins.code & 0x18) === BPF.W) { v = dataWord(d, k); if (k >= 8) loadedArgs = true; }
        else if (mode === BPF.IMM) v = k;
        else if (mode === BPF.MEM) { if (k > 15) throw new Error('scratch index out of range'); v = M[k]!; }
        else if (mode === BPF.LEN) v = SECCOMP_DATA.size;
        else throw new Error(`unsupported load 0x${ins.code.toString(16)} at ${pc}`);
        if (cls === BPF.LD) A = v >>> 0; else X = v >>> 0;
        break;
      }
      case BPF.ST: if (k > 15) throw new Error('scratch index out of range'); M[k] = A; break;
      case BPF.STX: if (k > 15) throw new Error('scratch index out of range'); M[k] = X; break;
      case BPF.ALU: {
        const src = (ins.code & BPF.X) ? X : k;
        switch (ins.code & 0xf0) {
          case BPF.ADD: A = (A + src) >>> 0; break;
          case BPF.SUB: A = (A - src) >>> 0; break;
          case BPF.MUL: A = Math.imul(A, src) >>> 0; break;
          case BPF.DIV: if (src === 0) return { value: 0, executed, loadedArgs }; A = Math.floor(A / src) >>> 0; break;
          case BPF.MOD: if (src === 0) return { value: 0, executed, loadedArgs }; A = (A % src) >>> 0; break;
          case BPF.OR: A = (A | src) >>> 0; break;
          case BPF.AND: A = (A & src) >>> 0; break;
          case BPF.XOR: A = (A ^ src) >>> 0; break;
          case BPF.LSH: A = src >= 32 ? 0 : (A << src) >>> 0; break;
          case BPF.RSH: A = src >= 32 ? 0 : A >>> src; break;
          case BPF.NEG: A = (-A) >>> 0; break;
          default: throw new Error(`unsupported alu 0x${ins.code.toString(16)} at ${pc}`);
        }
        break;
      }
      case BPF.JMP: {
        const op = ins.code & 0xf0;
        if (op === BPF.JA) { pc += k; break; }
        const src = (ins.code & BPF.X) ? X : k;
        let r: boolean;
        switch (op) {
          case BPF.JEQ: r = A === src; break;
          case BPF.JGT: r = A > src; break;
          case BPF.JGE: r = A >= src; break;
          case BPF.JSET: r = (A & src) !== 0; break;
          default: throw new Error(`unsupported jump 0x${ins.code.toString(16)} at ${pc}`);
        }
        pc += r ? ins.jt : ins.jf;
        break;
      }
      case BPF.RET: {
        const v = (ins.code & 0x18) === BPF.A ? A : k;
        return { value: v >>> 0, executed, loadedArgs };
      }
      case BPF.MISC: if ((ins.code & 0xf8) === BPF.TXA) A = X; else X = A; break;
    }
  }
  throw new Error('filter ran off its end without ret');
}

/**
 * constAllow mirrors the kernel's seccomp_is_const_allow (kernel/seccomp.c): emulating only loads
 * of nr/arch, ja, jeq/jge/jgt/jset with K, `and K` and ret, does this number reach ALLOW for sure?
 * When it does, the kernel caches ALLOW in its per-arch bitmap and never runs the filter for it.
 */
export function constAllow(prog: readonly SockFilter[], arch: number, nr: number): boolean {
  let A = 0;
  for (let pc = 0; pc < prog.length; pc++) {
    const ins = prog[pc]!;
    const k = ins.k >>> 0;
    switch (ins.code) {
      case BPF.LD | BPF.W | BPF.ABS:
        if (k === 0) A = nr >>> 0; else if (k === 4) A = arch >>> 0; else return false;
        break;
      case BPF.RET | BPF.K: return k === 0x7fff0000;
      case BPF.JMP | BPF.JA: pc += k; break;
      case BPF.JMP | BPF.JEQ | BPF.K: pc += A === k ? ins.jt : ins.jf; break;
      case BPF.JMP | BPF.JGE | BPF.K: pc += A >= k ? ins.jt : ins.jf; break;
      case BPF.JMP | BPF.JGT | BPF.K: pc += A > k ? ins.jt : ins.jf; break;
      case BPF.JMP | BPF.JSET | BPF.K: pc += (A & k) !== 0 ? ins.jt : ins.jf; break;
      case BPF.ALU | BPF.AND | BPF.K: A = (A & k) >>> 0; break;
      default: return false;
    }
  }
  return false;
}
