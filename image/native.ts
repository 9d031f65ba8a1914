// image/native.ts — the few libc calls Node lacks: flock, mknod, lsetxattr (CLI process, via koffi)
//
// Loaded lazily so that commands which never unpack or lock (images, inspect) do not pay for koffi.
import { createRequire } from 'node:module';

interface Libc {
  flock(fd: number, op: number): number;
  mknod(path: string, mode: number, dev: bigint | number): number;
  lsetxattr(path: string, name: string, value: Buffer, size: number, flags: number): number;
  errno(): number;
}

let libc: Libc | undefined;

function load(): Libc {
  if (libc) return libc;
  const require = createRequire(import.meta.url);
  const koffi = require('koffi');
  const lib = koffi.load('libc.so.6');
  libc = {
    flock: lib.func('int flock(int, int)'),
    mknod: lib.func('int mknod(const char *, uint32_t, uint64_t)'),
    lsetxattr: lib.func('int lsetxattr(const char *, const char *, const void *, size_t, int)'),
    errno: () => koffi.errno() as number,
  };
  return libc;
}

const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 4: 'EINTR', 9: 'EBADF', 11: 'EAGAIN', 13: 'EACCES', 17: 'EEXIST',
  20: 'ENOTDIR', 22: 'EINVAL', 28: 'ENOSPC', 30: 'EROFS', 38: 'ENOSYS', 61: 'ENODATA', 95: 'EOPNOTSUPP',
};

/** A failed libc call as a Node-style error (code = errno name) so errnoReason() renders it. */
function sysError(call: string, errno: number): NodeJS.ErrnoException {
  const e = new Error(`${call}: errno ${errno}`) as NodeJS.ErrnoException;
  e.errno = errno;
  e.code = ERRNO_NAMES[errno] ?? `errno ${errno}`;
  return e;
}

export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;

/** tryFlock takes an exclusive flock without blocking; false when another process holds it. */
export function tryFlock(fd: number): boolean {
  const l = load();
  if (l.flock(fd, LOCK_EX | LOCK_NB) === 0) return true;
  const errno = l.errno();
  if (errno === 11 || errno === 4) return false;
  throw sysError('flock', errno);
}

/**
 * mknodWhiteout creates an overlayfs whiteout: a character device 0:0. It is the only node of
 * that kind tssandbox ever creates, and it is a marker for overlayfs, not a usable device.
 */
export function mknodWhiteout(path: string): void {
  const S_IFCHR = 0o020000;
  const l = load();
  if (l.mknod(path, S_IFCHR | 0o000, 0) !== 0) throw sysError('mknod', l.errno());
}

/** setOpaque marks a directory opaque for overlayfs (hides lower layers' entries). */
export function setOpaque(path: string): void {
  const l = load();
  const v = Buffer.from('y');
  if (l.lsetxattr(path, 'trusted.overlay.opaque', v, v.length, 0) !== 0) throw sysError('lsetxattr', l.errno());
}
