// sandbox/names.ts — container names: docker-style generated names and uniqueness (parent)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../common/errors.js';

const LEFT = ['brave', 'calm', 'eager', 'fond', 'keen', 'lucid', 'quiet', 'sharp', 'stoic', 'tidy', 'vivid', 'wary'];
const RIGHT = ['bell', 'curie', 'diffie', 'hopper', 'knuth', 'lamport', 'liskov', 'ritchie', 'shamir', 'thompson', 'turing', 'wing'];

/** containerName derives a readable name from the id, docker-style (adjective_scientist). */
export function containerName(id: string): string {
  const n = parseInt(id.slice(0, 8), 16);
  return `${LEFT[n % LEFT.length]}_${RIGHT[Math.floor(n / LEFT.length) % RIGHT.length]}_${id.slice(8, 12)}`;
}

export function ensureNameFree(root: string, name: string): void {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) fail('TSS_EUSAGE', 'run', `--name ${name}`, 'names take letters, digits, _ . and -');
  const dir = join(root, 'containers');
  if (!existsSync(dir)) return;
  for (const id of readdirSync(dir)) {
    try {
      const c = JSON.parse(readFileSync(join(dir, id, 'config.json'), 'utf8')) as { name?: string };
      if (c.name === name) fail('TSS_ECONTAINER', 'run', `--name ${name}`, `the name is in use by container ${id.slice(0, 12)}`);
    } catch (e) {
      if ((e as { code?: string }).code === 'TSS_ECONTAINER') throw e;
    }
  }
}
