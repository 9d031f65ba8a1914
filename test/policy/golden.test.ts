// test/policy/golden.test.ts — golden disassembly of every built-in profile; UPDATE_GOLDEN=1 rewrites them (tests, reads/writes test/policy/golden)
//
// A change in a profile or in the compiler shows up here as a reviewable diff of the program.
import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { disasm, listBuiltinProfiles, loadProfile } from '../../policy/index.js';
import { REPO_ROOT } from '../helpers/paths.js';

const DIR = join(REPO_ROOT, 'test/policy/golden');
const update = process.env.UPDATE_GOLDEN === '1';

for (const name of listBuiltinProfiles()) {
  const s = loadProfile(name).seccomp;
  if (!s) continue;
  for (const arch of ['x86_64', 'aarch64'] as const) {
    t.test(`${name} on ${arch}`, async (t) => {
      const file = join(DIR, `${name}.${arch}.txt`);
      const text = disasm(s, arch);
      if (update) { writeFileSync(file, text); t.pass(`rewrote ${file}`); return; }
      t.ok(existsSync(file), `${file} exists (UPDATE_GOLDEN=1 npm test writes it)`);
      if (!existsSync(file)) return;
      const want = readFileSync(file, 'utf8');
      if (want === text) { t.pass('same program'); return; }
      const a = want.split('\n'); const b = text.split('\n');
      const i = a.findIndex((l, k) => l !== b[k]);
      t.fail(`differs from line ${i + 1}: golden \`${a[i]}\`, now \`${b[i]}\` (UPDATE_GOLDEN=1 to accept)`);
    });
  }
}
