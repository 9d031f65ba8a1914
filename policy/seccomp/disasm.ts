// policy/seccomp/disasm.ts — renders a cBPF filter as text, with the rule (file:line) each block comes from (everywhere, pure)
import { syscallName, AUDIT_ARCH, type Arch } from '../../abi/index.js';
import { actionFromValue, formatAction } from './actions.js';
import { BPF, type SockFilter } from './bpf.js';

const ARCH_NAMES = new Map<number, string>(Object.entries(AUDIT_ARCH).map(([k, v]) => [v, k]));
const FIELD: Record<number, string> = { 0: 'nr', 4: 'arch', 8: 'ip.lo', 12: 'ip.hi' };
const field = (k: number): string => FIELD[k] ?? `args[${(k - 16) >> 3}].${(k - 16) % 8 === 0 ? 'lo' : 'hi'}`;

const hex = (k: number): string => `0x${(k >>> 0).toString(16)}`;

/** disassemble: one line per instruction; `sources[i]` (file:line) is printed when it changes. */
export function disassemble(prog: readonly SockFilter[], sources: readonly (string | undefined)[] = [], arch: Arch = 'x86_64'): string {
  const lines: string[] = [];
  let lastSrc: string | undefined;
  let lastLoad = -1;
  prog.forEach((ins, pc) => {
    const src = sources[pc];
    if (src !== undefined && src !== lastSrc) lines.push(`; ${src}`);
    lastSrc = src;
    const cls = ins.code & 0x07;
    let text: string;
    if (cls === BPF.LD && (ins.code & 0xe0) === BPF.ABS) { text = `ld   [${ins.k}]  ; ${field(ins.k)}`; lastLoad = ins.k; }
    else if (cls === BPF.RET) text = (ins.code & 0x18) === BPF.A ? 'ret  A' : `ret  ${hex(ins.k)}  ; ${formatAction(actionFromValue(ins.k))}`;
    else if (cls === BPF.ALU) {
      const ops: Record<number, string> = { 0x00: 'add', 0x10: 'sub', 0x20: 'mul', 0x30: 'div', 0x40: 'or', 0x50: 'and', 0x60: 'lsh', 0x70: 'rsh', 0x80: 'neg', 0x90: 'mod', 0xa0: 'xor' };
      text = `${(ops[ins.code & 0xf0] ?? '?').padEnd(4)} #${hex(ins.k)}`;
    } else if (cls === BPF.JMP) {
      const op = ins.code & 0xf0;
      if (op === BPF.JA) text = `ja   ${pc + 1 + ins.k}`;
      else {
        const name = ({ 0x10: 'jeq', 0x20: 'jgt', 0x30: 'jge', 0x40: 'jset' } as Record<number, string>)[op] ?? 'j?';
        let note = '';
        if (lastLoad === 4) note = ARCH_NAMES.get(ins.k) ? `  ; ${ARCH_NAMES.get(ins.k)}` : '';
        else if (lastLoad === 0) { const n = syscallName(arch, ins.k); note = n ? `  ; ${n}` : ''; }
        text = `${name.padEnd(4)} #${hex(ins.k)}  jt ${pc + 1 + ins.jt}  jf ${pc + 1 + ins.jf}${note}`;
      }
    } else text = `op   ${hex(ins.code)} k=${hex(ins.k)}`;
    lines.push(`${String(pc).padStart(4, '0')}: ${text}`);
  });
  return lines.join('\n') + '\n';
}
