// audit/key.ts — read an audit HMAC key from a file or an open fd, and check who else could read it (supervisor and CLI, reads the key file)
//
// The key is the file's raw bytes (one trailing newline dropped, so `openssl rand -hex 32 > key`
// works). It must be readable by the supervisor and the reviewer only: whoever holds it can forge
// a log that verifies. So, as ssh does with a private key, a key file that group or others may
// read or write is refused where a log is written with it (openKeyFile), and reported where a log
// is checked with it (keyModeProblem).
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, type Stats } from 'node:fs';
import { MIN_KEY_BYTES } from './chain.js';
import { AuditError, errnoReason } from './errors.js';

/** a key file larger than this is not a key (a log or an image passed by mistake) */
export const MAX_KEY_FILE_BYTES = 4096;

function trim(b: Buffer): Buffer {
  return b[b.length - 1] === 10 ? b.subarray(0, b[b.length - 2] === 13 ? -2 : -1) : b;
}

function checkLength(b: Buffer, path: string): Buffer {
  if (b.length < MIN_KEY_BYTES) throw new AuditError('read audit key', path, `the key is shorter than ${MIN_KEY_BYTES} bytes`);
  return b;
}

export function readKey(path: string): Buffer {
  let b: Buffer;
  try { b = readFileSync(path); } catch (err) { throw new AuditError('read audit key', path, errnoReason(err), err); }
  return checkLength(trim(b), path);
}

/** keyModeProblem: why a key file is not private (group or others may read or write it), or null */
export function keyModeProblem(st: Pick<Stats, 'mode'>): string | null {
  const m = st.mode & 0o777;
  if (m & 0o077) return `the key file is open to group or others (mode ${m.toString(8).padStart(4, '0')}): whoever reads it can forge the log; chmod 600 it`;
  return null;
}

/**
 * readKeyFd reads the key from an open file without moving its offset (pread at 0), so the CLI that
 * checked it and the supervisor it hands the same open file to read the same bytes.
 */
export function readKeyFd(fd: number, name: string): Buffer {
  let st: Stats;
  try { st = fstatSync(fd); } catch (err) { throw new AuditError('read audit key', name, errnoReason(err), err); }
  if (!st.isFile()) throw new AuditError('read audit key', name, 'not a regular file');
  if (st.size > MAX_KEY_FILE_BYTES) throw new AuditError('read audit key', name, `the file is larger than ${MAX_KEY_FILE_BYTES} bytes: not a key`);
  const b = Buffer.alloc(st.size);
  let off = 0;
  try {
    while (off < b.length) {
      const n = readSync(fd, b, off, b.length - off, off);
      if (n === 0) break;
      off += n;
    }
  } catch (err) { throw new AuditError('read audit key', name, errnoReason(err), err); }
  return checkLength(trim(b.subarray(0, off)), name);
}

/**
 * openKeyFile opens a key for writing logs with it: a regular file (no symlink followed at the
 * last component, no fifo to block on), private to its owner, with a key of at least
 * MIN_KEY_BYTES. It returns the open fd (close-on-exec, as libuv opens every file: it is passed on only on purpose) and the key.
 */
export function openKeyFile(path: string): { fd: number; key: Buffer } {
  let fd: number;
  try { fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK); } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AuditError('read audit key', path, code === 'ELOOP' ? 'the key file is a symlink (name the file itself)' : errnoReason(err), err);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new AuditError('read audit key', path, 'not a regular file');
    const bad = keyModeProblem(st);
    if (bad) throw new AuditError('read audit key', path, bad);
    return { fd, key: readKeyFd(fd, path) };
  } catch (err) {
    closeSync(fd);
    throw err instanceof AuditError ? err : new AuditError('read audit key', path, errnoReason(err), err);
  }
}
