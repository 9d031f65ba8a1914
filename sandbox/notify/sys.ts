// sandbox/notify/sys.ts — the libc calls the supervisor needs and Node lacks: socketpair, recvmsg of an fd, ioctl, the notifier thread, flock, process_vm_readv (supervisor and CLI, via our addon native/addon, loaded lazily)
//
// Everything here is synchronous but the wait: the listener is waited on by the addon's notifier
// thread (startNotifier), never by the event loop; the ioctls issued from JS (SEND, ID_VALID) never
// block.
import { createRequire } from 'node:module';
import { fail } from '../../common/errors.js';
import { NATIVE_ADDON_PATH } from '../paths.js';

/** native/addon/notifier.cc: the thread that receives notifications and answers observe-only ones */
export interface Notifier { start(): void; /** the records queued and not yet handed over */ stop(): Buffer; knowPid(pid: number): void; forgetPid(pid: number): void; forgetAll(): void }
interface Native {
  errno(): number;
  socketPair(): [number, number] | null;
  recvFd(sock: number): number;
  close(fd: number): number;
  ioctl(fd: number, req: number, arg: Buffer): number;
  ioctlValue(fd: number, req: number, value: number): number;
  flock(fd: number, op: number): number;
  readMemory(pid: number, addr: bigint, into: Buffer): number;
  syscall(nr: number, ...args: (number | bigint)[]): number;
  dropStartupPages(): number;
  Notifier: new (fd: number, fastKeys: number[], onRecords: (records: Buffer, ended: boolean) => void) => Notifier;
}

let lib: Native | undefined;

function load(): Native {
  if (lib) return lib;
  try {
    lib = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as Native;
  } catch (e) {
    fail('TSS_ENATIVE', 'native addon', NATIVE_ADDON_PATH, `cannot be loaded (run npm run build): ${(e as Error).message.split('\n')[0]}`);
  }
  return lib;
}

export function errno(): number { return load().errno(); }

/** socketPair: a close-on-exec unix stream pair (the launcher gets one end as its fd 6). */
export function socketPair(): [number, number] {
  const sv = load().socketPair();
  if (!sv) fail('TSS_ENATIVE', 'socketpair', 'AF_UNIX', `errno ${errno()}`);
  return sv;
}

/** recvFd takes one fd passed by SCM_RIGHTS, without waiting: -1 when none is queued. */
export function recvFd(sock: number): number { return load().recvFd(sock); }

export function closeFd(fd: number): void { if (fd >= 0) load().close(fd); }

/** ioctlValue: an ioctl whose argument is a value, not a pointer (NOTIF_SET_FLAGS) */
export function ioctlValue(fd: number, req: number, value: number): number { return load().ioctlValue(fd, req, value); }

/** ioctl with a buffer argument; returns the raw result (-1 with errno()) */
export function ioctl(fd: number, req: number, arg: Buffer): number { return load().ioctl(fd, req, arg); }

/** flock(2) on an fd; 0, or -1 with errno() */
export function flock(fd: number, op: number): number { return load().flock(fd, op); }

/** one record of a Notifier batch: the raw struct seccomp_notif, then u32 flags (NOTIFIER_*) */
export const NOTIFIER_RECORD = 88;
/** the notifier thread answered CONTINUE itself (an observe-only, registers-only call of a known task) */
export const NOTIFIER_ANSWERED = 1;
/** … and the SEND failed: the task was gone */
export const NOTIFIER_GONE = 2;

/**
 * startNotifier receives the listener's notifications on a thread of the addon and hands them to
 * onRecords on the event loop, in order, in batches; `ended` once no task is left in the filter.
 * `fastKeys` (flattened [AUDIT_ARCH, nr] pairs) are the calls it may answer CONTINUE itself, for
 * tasks marked with knowPid. The notifier keeps the event loop alive until stop().
 */
export function startNotifier(fd: number, fastKeys: number[], onRecords: (records: Buffer, ended: boolean) => void): Notifier {
  const n = new (load().Notifier)(fd, fastKeys, onRecords);
  n.start();
  return n;
}

/**
 * readMemory copies up to `len` bytes at `addr` of process `pid` into a new buffer with
 * process_vm_readv; a short read (an unmapped page) returns what was read. Never follows pointers.
 */
export function readMemory(pid: number, addr: bigint, len: number): Buffer {
  const buf = Buffer.alloc(len);
  if (len === 0 || addr === 0n) return buf.subarray(0, 0);
  const n = load().readMemory(pid, addr, buf);
  return n > 0 ? buf.subarray(0, n) : buf.subarray(0, 0);
}

/** rawSyscall for the few calls libc wraps awkwardly (pidfd_open …): at most six numeric arguments */
export function rawSyscall(nr: number, ...args: (number | bigint)[]): number { return load().syscall(nr, ...args); }

/**
 * dropStartupPages removes the clean file pages start-up touched from this process's resident set
 * (native/addon/trim.cc says why that is safe); they fault back in from the page cache as used.
 * Returns the bytes of mappings advised.
 */
export function dropStartupPages(): number { return load().dropStartupPages(); }
