// sandbox/notify/sys.ts — the libc calls the supervisor needs and Node lacks: socketpair, recvmsg of an fd, ioctl, poll, flock, process_vm_readv (supervisor and CLI, via our addon native/addon, loaded lazily)
//
// Everything here is synchronous but the wait: watchFd puts the fd in the event
// loop's own epoll set (a libuv poll handle), so the event loop never waits for a notification and
// a ready listener wakes the main thread directly. The ioctls themselves are only issued once the
// listener polled readable, and SEND never blocks.
import { createRequire } from 'node:module';
import { fail } from '../../common/errors.js';
import { NATIVE_ADDON_PATH } from '../paths.js';

interface Watcher { start(): void; stop(): void; close(): void }
interface Native {
  errno(): number;
  socketPair(): [number, number] | null;
  recvFd(sock: number): number;
  close(fd: number): number;
  ioctl(fd: number, req: number, arg: Buffer): number;
  ioctlValue(fd: number, req: number, value: number): number;
  pollNow(fd: number, events: number): number;
  flock(fd: number, op: number): number;
  readMemory(pid: number, addr: bigint, into: Buffer): number;
  syscall(nr: number, ...args: (number | bigint)[]): number;
  dropStartupPages(): number;
  Watcher: new (fd: number, events: number, cb: (revents: number) => void) => Watcher;
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

const POLLIN = 0x1;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;

/** pollNow: revents of fd without waiting (0: nothing) */
export function pollNow(fd: number): number { return load().pollNow(fd, POLLIN); }

/**
 * watchFd calls onReady(revents) each time fd is readable (or hung up, or in error) until the
 * returned watcher is stopped or closed. Level-triggered: what is left unread calls again.
 * An active watcher keeps the event loop alive.
 */
export function watchFd(fd: number, onReady: (revents: number) => void): Watcher {
  const w = new (load().Watcher)(fd, POLLIN, onReady);
  w.start();
  return w;
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
