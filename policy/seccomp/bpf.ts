// policy/seccomp/bpf.ts — classic BPF opcodes, struct sock_filter and its byte encoding (everywhere, pure)
import { endianness } from 'node:os';

export const BPF = {
  LD: 0x00, LDX: 0x01, ST: 0x02, STX: 0x03, ALU: 0x04, JMP: 0x05, RET: 0x06, MISC: 0x07,
  W: 0x00, H: 0x08, B: 0x10,
  IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, LEN: 0x80, MSH: 0xa0,
  ADD: 0x00, SUB: 0x10, MUL: 0x20, DIV: 0x30, OR: 0x40, AND: 0x50, LSH: 0x60, RSH: 0x70, NEG: 0x80, MOD: 0x90, XOR: 0xa0,
  JA: 0x00, JEQ: 0x10, JGT: 0x20, JGE: 0x30, JSET: 0x40,
  K: 0x00, X: 0x08, A: 0x10,
  TAX: 0x00, TXA: 0x80,
} as const;

/** struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; } */
export interface SockFilter { readonly code: number; readonly jt: number; readonly jf: number; readonly k: number }

/** BPF_MAXINSNS: the kernel refuses longer programs. */
export const MAX_INSNS = 4096;

/** offsets into struct seccomp_data (little endian: an argument's low word comes first) */
export const SECCOMP_DATA = {
  nr: 0, arch: 4, ipLo: 8, ipHi: 12,
  argLo: (i: number) => 16 + 8 * i,
  argHi: (i: number) => 20 + 8 * i,
  size: 64,
} as const;

/** encode writes sock_filter records, 8 bytes each, in host byte order (what seccomp(2) reads). */
export function encode(insns: readonly SockFilter[], le = endianness() === 'LE'): Buffer {
  const buf = Buffer.alloc(insns.length * 8);
  insns.forEach((ins, i) => {
    const o = i * 8;
    if (le) { buf.writeUInt16LE(ins.code, o); buf.writeUInt32LE(ins.k >>> 0, o + 4); }
    else { buf.writeUInt16BE(ins.code, o); buf.writeUInt32BE(ins.k >>> 0, o + 4); }
    buf.writeUInt8(ins.jt, o + 2);
    buf.writeUInt8(ins.jf, o + 3);
  });
  return buf;
}

/** decode reads what encode wrote; throws on a length that is not a multiple of 8. */
export function decode(buf: Buffer, le = endianness() === 'LE'): SockFilter[] {
  if (buf.length % 8 !== 0) throw new Error(`filter length ${buf.length} is not a multiple of 8`);
  const out: SockFilter[] = [];
  for (let o = 0; o < buf.length; o += 8) {
    out.push({
      code: le ? buf.readUInt16LE(o) : buf.readUInt16BE(o),
      jt: buf.readUInt8(o + 2),
      jf: buf.readUInt8(o + 3),
      k: le ? buf.readUInt32LE(o + 4) : buf.readUInt32BE(o + 4),
    });
  }
  return out;
}
