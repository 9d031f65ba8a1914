// sandbox/lock.ts — supervisor liveness by flock (supervisor holds, CLI probes; through our addon, loaded lazily)
//
// A pid can be reused; a lock cannot outlive its holder: the kernel drops it when the supervisor's
// last fd on the file closes, however the supervisor died. So "is anyone supervising this
// container" is "is the lock on RUN/containers/<id>/supervisor.lock held".
import { closeSync, openSync } from 'node:fs';
import { flock } from './notify/sys.js';

const LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4;

/** holdLock takes the lock for the life of this process (the fd is never closed); false if taken */
export function holdLock(path: string): boolean {
  const fd = openSync(path, 'a', 0o600);
  if (flock(fd, LOCK_EX | LOCK_NB) === 0) return true;
  closeSync(fd);
  return false;
}

/** lockHeld: someone holds the lock (a missing file means nobody does) */
export function lockHeld(path: string): boolean {
  let fd: number;
  try { fd = openSync(path, 'r'); } catch { return false; }
  try { return flock(fd, LOCK_SH | LOCK_NB) !== 0; } finally { closeSync(fd); }
}
