// sandbox/idrange.ts — per-container host id ranges for the user namespace (parent, touches /run)
//
// Each container gets its own 65536 host ids (podman's --userns=auto idea), so two containers'
// roots are different host users: a process escaping one cannot touch the other's files or signal
// its processes. A slot is a file created with O_EXCL; it names its owner's pid so that a slot left
// by a killed runtime is reclaimed.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../common/errors.js';

/** Host ids from here up are used for containers; far above any distro's /etc/subuid ranges. */
export const ID_BASE = 1_000_000_000;
export const RANGE_SIZE = 65536;
export const SLOTS = 4096;

export interface IdRange { readonly slot: number; readonly base: number; readonly size: number; release(): void }

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

export function allocateIdRange(runRoot: string, owner: string, start = 0): IdRange {
  const dir = join(runRoot, 'idranges');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (let i = 0; i < SLOTS; i++) {
    const slot = (start + i) % SLOTS;
    const file = join(dir, String(slot));
    try {
      writeFileSync(file, `${owner} ${process.pid}\n`, { flag: 'wx', mode: 0o600 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(file, 'utf8').split(' ')[1]);
      if (!Number.isInteger(pid) || alive(pid)) continue;
      rmSync(file, { force: true }); // the runtime that held it is gone: its container died with it
      i--;
      continue;
    }
    return { slot, base: ID_BASE + slot * RANGE_SIZE, size: RANGE_SIZE, release: () => rmSync(file, { force: true }) };
  }
  fail('TSS_ECONTAINER', 'allocate', 'user namespace id range', `all ${SLOTS} ranges are in use`);
}
