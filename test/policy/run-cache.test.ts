// test/policy/run-cache.test.ts — built-in profiles are resolved and compiled once, and an edit misses the cache (tests)
import { mkdtempSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { compileSeccomp, loadProfile } from '../../policy/index.js';
import { loadRunPolicy } from '../../policy/run-cache.js';
import { REPO_ROOT } from '../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'tss-runcache-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const entries = () => readdirSync(dir).filter((f) => f.endsWith('.json'));

t.test('the cached result is the real one', async (t) => {
  const a = await loadRunPolicy('strict', dir);
  t.equal(entries().length, 1, 'stored once');
  const b = await loadRunPolicy('strict', dir);
  const real = compileSeccomp(loadProfile('strict').seccomp!);
  t.ok(a.filter && b.filter, 'strict has a filter');
  t.same(b.filter!.bytes, real.bytes, 'the cached bytes are the compiler\'s');
  t.equal(b.filter!.digest, real.digest);
  t.same(b.profile.capabilities, loadProfile('strict').capabilities);
  t.same(b.profile.sources, loadProfile('strict').sources, 'refusals still name file:line');
  const u = await loadRunPolicy('unconfined', dir);
  t.equal(u.filter, null, 'unconfined: no filter');
  t.equal(u.profile.seccomp, null);
});

t.test('an edited profile file misses the cache', async (t) => {
  const file = join(REPO_ROOT, 'profiles', 'strict.yaml');
  const st = statSync(file);
  const before = entries().length;
  utimesSync(file, st.atime, new Date(st.mtimeMs + 5000));
  try {
    await loadRunPolicy('strict', dir);
    t.equal(entries().length, before + 1, 'a new entry for the new file state');
  } finally {
    utimesSync(file, st.atime, st.mtime);
  }
});

t.test('a profile given by path is never cached', async (t) => {
  const before = entries().length;
  const r = await loadRunPolicy(join(REPO_ROOT, 'profiles', 'default.yaml'), dir);
  t.ok(r.filter);
  t.equal(entries().length, before);
});
