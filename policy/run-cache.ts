// policy/run-cache.ts — a built-in profile resolved and compiled once, then read back on every run (parent, touches the cache dir)
//
// Node's start-up is the floor of every `run`; parsing YAML, validating with zod and compiling the
// filter would add ~250 ms to each. So the resolved profile and its compiled filter are kept under
// the data root, keyed by every built-in profile file's path, size and mtime and by the compiler
// build: any edit to profiles/ or to the compiler misses the cache. Profile files given by path are
// not cached (their `extends` chain could reach any file), only built-in names are.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { byCodePoint } from '../common/compare.js';
import type { Profile } from './types.js';

const PROFILES = fileURLToPath(new URL('../../profiles/', import.meta.url));
const COMPILER = fileURLToPath(new URL('./seccomp/', import.meta.url));

export interface RunPolicy {
  /** the resolved profile; its `seccomp` is only a marker (null for no filter) — use `filter` */
  readonly profile: Profile;
  readonly filter: { readonly bytes: Buffer; readonly digest: string } | null;
}

function fingerprint(dir: string, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => byCodePoint(a.name, b.name))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) fingerprint(p, out);
    else { const st = statSync(p); out.push(`${p}:${st.size}:${st.mtimeMs}`); }
  }
}

function builtin(name: string): boolean {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) return false;
  try { return statSync(join(PROFILES, `${name}.yaml`)).isFile(); } catch { return false; }
}

export async function loadRunPolicy(name: string, cacheDir: string): Promise<RunPolicy> {
  let key: string | undefined;
  if (builtin(name)) {
    const parts = [`v1`, name, process.arch];
    fingerprint(PROFILES, parts);
    fingerprint(COMPILER, parts);
    key = createHash('sha256').update(parts.join('\n')).digest('hex');
    try {
      const c = JSON.parse(readFileSync(join(cacheDir, `${key}.json`), 'utf8')) as { profile: Profile; bytes: string | null; digest: string };
      return { profile: c.profile, filter: c.bytes === null ? null : { bytes: Buffer.from(c.bytes, 'hex'), digest: c.digest } };
    } catch { /* a miss: resolve and compile below */ }
  }
  const [{ loadProfile }, { compileSeccomp }] = await Promise.all([import('./load.js'), import('./api.js')]);
  const profile = loadProfile(name);
  const compiled = profile.seccomp ? compileSeccomp(profile.seccomp, undefined, { cacheDir: join(cacheDir, 'seccomp') }) : null;
  const marker = compiled ? ({ compiled: compiled.digest } as unknown as Profile['seccomp']) : null;
  const result: RunPolicy = { profile: { ...profile, seccomp: marker }, filter: compiled ? { bytes: compiled.bytes, digest: compiled.digest } : null };
  if (key) {
    try {
      mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
      const tmp = join(cacheDir, `.${key}.${process.pid}.tmp`);
      writeFileSync(tmp, JSON.stringify({ profile: result.profile, bytes: compiled ? compiled.bytes.toString('hex') : null, digest: compiled?.digest ?? '' }), { mode: 0o600 });
      renameSync(tmp, join(cacheDir, `${key}.json`));
    } catch { /* a read-only data root only costs the next run its compile */ }
  }
  return result;
}
