// abi/index.ts — lookups over the generated kernel tables: syscall numbers, argument types, constants (everywhere, pure)
import { X86_64_SYSCALLS, I386_SYSCALLS, X32_SYSCALLS, AARCH64_SYSCALLS } from './syscalls.js';
import { SYSCALL_ARGS, type ArgType, type ArgClass } from './argtypes.js';
import { CONSTANTS, AUDIT_ARCH, X32_SYSCALL_BIT, SECCOMP_RET } from './constants.js';
import { CAPABILITIES } from './caps.js';
import { ERRNO } from './errno.js';

export { CONSTANTS, AUDIT_ARCH, X32_SYSCALL_BIT, SECCOMP_RET, CAPABILITIES, ERRNO, SYSCALL_ARGS };
export type { ArgType, ArgClass };

/** The syscall ABIs a policy can name. x32 shares x86_64's AUDIT_ARCH and sets X32_SYSCALL_BIT in nr. */
export type Arch = 'x86_64' | 'i386' | 'x32' | 'aarch64';
export const ARCHES: readonly Arch[] = ['x86_64', 'i386', 'x32', 'aarch64'];
/** Host architectures a filter can be compiled for (the arch of the process that installs it). */
export type HostArch = 'x86_64' | 'aarch64' | 'i386';

const TABLES: Record<Arch, Readonly<Record<string, number>>> = {
  x86_64: X86_64_SYSCALLS, i386: I386_SYSCALLS, x32: X32_SYSCALLS, aarch64: AARCH64_SYSCALLS,
};
const byNumber = new Map<Arch, Map<number, string>>();
const maxNr = new Map<Arch, number>();
for (const arch of ARCHES) {
  const m = new Map<number, string>();
  let max = 0;
  for (const [name, nr] of Object.entries(TABLES[arch])) {
    const n = arch === 'x32' ? nr + X32_SYSCALL_BIT : nr;
    if (!m.has(n)) m.set(n, name);
    if (n > max) max = n;
  }
  byNumber.set(arch, m);
  maxNr.set(arch, max);
}
const allNames = new Set(ARCHES.flatMap((a) => Object.keys(TABLES[a])));

/** syscallNumber gives the number the kernel sees in seccomp_data.nr (x32 with its bit set), or undefined. */
export function syscallNumber(arch: Arch, name: string): number | undefined {
  const nr = TABLES[arch][name];
  if (nr === undefined) return undefined;
  return arch === 'x32' ? nr + X32_SYSCALL_BIT : nr;
}

/** syscallName is the inverse of syscallNumber. */
export function syscallName(arch: Arch, nr: number): string | undefined {
  return byNumber.get(arch)!.get(nr);
}

/** syscallNumbers lists [nr, name] of an arch in ascending order. */
export function syscallNumbers(arch: Arch): Array<[number, string]> {
  return [...byNumber.get(arch)!.entries()].sort((a, b) => a[0] - b[0]);
}

/** maxSyscall is the highest known number of an arch (x32 with its bit): above it the filter answers ENOSYS. */
export function maxSyscall(arch: Arch): number {
  return maxNr.get(arch)!;
}

/** isKnownSyscall: the name exists on at least one supported arch. */
export function isKnownSyscall(name: string): boolean {
  return allNames.has(name);
}

export function knownSyscallNames(): string[] {
  return [...allNames].sort();
}

/** argTypes gives the declared arguments of a syscall, or undefined when the table does not know them. */
export function argTypes(name: string): readonly ArgType[] | undefined {
  return SYSCALL_ARGS[name];
}

/** argWidth: how many bits the kernel reads of an argument of this class on this arch. */
export function argWidth(cls: ArgClass, arch: Arch): 32 | 64 {
  if (arch === 'i386') return 32;
  return cls === 'int' || cls === 'unsigned int' ? 32 : 64;
}

export function argSigned(cls: ArgClass): boolean {
  return cls === 'int' || cls === 'long';
}

/** auditArch is seccomp_data.arch for an ABI. */
export function auditArch(arch: Arch): number {
  return arch === 'x32' ? AUDIT_ARCH.x86_64 : AUDIT_ARCH[arch];
}

/** hostArch maps Node's process.arch to ours. */
export function hostArch(): HostArch {
  if (process.arch === 'x64') return 'x86_64';
  if (process.arch === 'arm64') return 'aarch64';
  if (process.arch === 'ia32') return 'i386';
  throw new Error(`unsupported host architecture ${process.arch}`);
}

/** errnoNumber accepts EPERM or a number. */
export function errnoNumber(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 && v <= 4095 ? v : undefined;
  if (/^\d+$/.test(v)) return errnoNumber(Number(v));
  return ERRNO[v];
}

export function errnoName(n: number): string {
  for (const [k, v] of Object.entries(ERRNO)) if (v === n) return k;
  return String(n);
}

/** capabilityName normalises `net_raw`, `NET_RAW` or `CAP_NET_RAW` to CAP_NET_RAW, or undefined. */
export function capabilityName(v: string): string | undefined {
  const up = v.toUpperCase();
  const name = up.startsWith('CAP_') ? up : `CAP_${up}`;
  return name in CAPABILITIES ? name : undefined;
}
