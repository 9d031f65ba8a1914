// sandbox/notify/sys.ts — the libc calls the supervisor needs and Node lacks: socketpair, recvmsg of an fd, ioctl, poll, process_vm_readv (supervisor process, via koffi, loaded lazily)
//
// Everything here is synchronous but one: pollAsync runs poll(2) on libuv's thread pool, so the
// event loop never waits for a notification. The ioctls themselves are only issued once poll said
// the listener is readable, and SEND never blocks.
import { createRequire } from 'node:module';
import { fail } from '../../common/errors.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Fn = any;
interface Lib {
  koffi: any;
  socketpair: Fn; recvmsg: Fn; ioctl: Fn; ioctlv: Fn; poll: Fn; close: Fn; vmRead: Fn; syscall: Fn;
}

let lib: Lib | undefined;

function load(): Lib {
  if (lib) return lib;
  const koffi = createRequire(import.meta.url)('koffi');
  const c = koffi.load('libc.so.6');
  const iovec = koffi.struct('tss_iovec', { base: 'void *', len: 'size_t' });
  const msghdr = koffi.struct('tss_msghdr', {
    name: 'void *', namelen: 'uint32_t', iov: koffi.pointer(iovec), iovlen: 'size_t', control: 'void *', controllen: 'size_t', flags: 'int',
  });
  lib = {
    koffi,
    socketpair: c.func('int socketpair(int, int, int, _Out_ int *sv)'),
    recvmsg: c.func('recvmsg', 'long', ['int', koffi.inout(koffi.pointer(msghdr)), 'int']),
    ioctl: c.func('int ioctl(int, unsigned long, void *)'),
    ioctlv: c.func('int ioctl(int, unsigned long, ...)'),
    poll: c.func('int poll(void *, unsigned long, int)'),
    close: c.func('int close(int)'),
    vmRead: c.func('process_vm_readv', 'long', ['int', koffi.pointer(iovec), 'unsigned long', koffi.pointer(iovec), 'unsigned long', 'unsigned long']),
    syscall: c.func('long syscall(long, ...)'),
  };
  return lib;
}

export function errno(): number { return load().koffi.errno() as number; }

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;
const MSG_CMSG_CLOEXEC = 0x40000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;

/** socketPair: a close-on-exec unix stream pair (the launcher gets one end as its fd 6). */
export function socketPair(): [number, number] {
  const sv = [0, 0];
  if (load().socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) fail('TSS_ENATIVE', 'socketpair', 'AF_UNIX', `errno ${errno()}`);
  return [sv[0]!, sv[1]!];
}

/** recvFd takes one fd passed by SCM_RIGHTS, without waiting: -1 when none is queued. */
export function recvFd(sock: number): number {
  const l = load();
  const byte = Buffer.alloc(1);
  const control = Buffer.alloc(64);
  const msg = { name: null, namelen: 0, iov: [{ base: byte, len: 1 }], iovlen: 1, control, controllen: control.length, flags: 0 };
  const n = Number(l.recvmsg(sock, msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC));
  if (n <= 0) return -1;
  // struct cmsghdr { size_t len; int level; int type; } then the data, 8-aligned on 64-bit
  const len = Number(control.readBigUInt64LE(0));
  if (len < 20 || control.readInt32LE(8) !== SOL_SOCKET || control.readInt32LE(12) !== SCM_RIGHTS) return -1;
  return control.readInt32LE(16);
}

export function closeFd(fd: number): void { if (fd >= 0) load().close(fd); }

/** ioctlValue: an ioctl whose argument is a value, not a pointer (NOTIF_SET_FLAGS) */
export function ioctlValue(fd: number, req: number, value: number): number {
  return load().ioctlv(fd, req, 'unsigned long', value) as number;
}

/** ioctl with a buffer argument; returns the raw result (-1 with errno()) */
export function ioctl(fd: number, req: number, arg: Buffer): number {
  return load().ioctl(fd, req, arg) as number;
}

const POLLIN = 0x1;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;

function pollfd(fd: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeInt32LE(fd, 0);
  b.writeInt16LE(POLLIN, 4);
  return b;
}

/** one reused struct pollfd: a fresh Buffer per call costs koffi several microseconds (measured) */
const scratch = Buffer.alloc(8);

/** pollNow: revents of fd without waiting (0: nothing) */
export function pollNow(fd: number): number {
  scratch.writeInt32LE(fd, 0);
  scratch.writeInt32LE(POLLIN, 4); // events = POLLIN, revents = 0
  const r = load().poll(scratch, 1, 0) as number;
  return r > 0 ? scratch.readInt16LE(6) : 0;
}

/** pollAsync waits up to timeoutMs on the thread pool; resolves revents (0 on timeout) */
export function pollAsync(fd: number, timeoutMs: number): Promise<number> {
  const b = pollfd(fd);
  return new Promise((resolve, reject) => {
    // koffi's async call does not keep the event loop alive: this timer does, while the wait lasts
    const keep = setTimeout(() => {}, timeoutMs + 1000);
    load().poll.async(b, 1, timeoutMs, (err: unknown, r: number) => {
      clearTimeout(keep);
      if (err) reject(err as Error);
      else resolve(r > 0 ? b.readInt16LE(6) : 0);
    });
  });
}

/**
 * readMemory copies up to `len` bytes at `addr` of process `pid` into a new buffer with
 * process_vm_readv; a short read (an unmapped page) returns what was read. Never follows pointers.
 */
export function readMemory(pid: number, addr: bigint, len: number): Buffer {
  const buf = Buffer.alloc(len);
  if (len === 0 || addr === 0n) return buf.subarray(0, 0);
  const n = Number(load().vmRead(pid, [{ base: buf, len }], 1, [{ base: addr, len }], 1, 0));
  return n > 0 ? buf.subarray(0, n) : buf.subarray(0, 0);
}

/** rawSyscall for the few calls libc wraps awkwardly (pidfd_open …) */
export function rawSyscall(nr: number, ...args: (number | bigint)[]): number {
  const typed: unknown[] = [];
  for (const a of args) typed.push(typeof a === 'bigint' ? 'uint64_t' : 'long', a);
  return Number(load().syscall(nr, ...typed));
}
