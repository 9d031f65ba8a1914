// test/helpers/pids.ts — waiting on host processes the tests started (tests)
import { readFileSync } from 'node:fs';

/** alive: the pid exists and is not a zombie */
export function alive(pid: number): boolean {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch { return false; }
}

/** gone waits (bounded: polls × 50 ms) until a pid no longer exists or is a zombie; true when it went */
export async function gone(pid: number, polls = 300): Promise<boolean> {
  for (let i = 0; i < polls && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}
