// test/supervisor/native-addon.test.ts — our addon (native/addon) as the supervisor uses it (its notifier thread: test/supervisor/loop.test.ts): flock liveness, start-up page trimming
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { holdLock, lockHeld } from '../../sandbox/lock.js';
import { NATIVE_ADDON_PATH } from '../../sandbox/paths.js';

t.test('the liveness lock: held by a live process, free once it is gone', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tss-addon-lock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'supervisor.lock');
  t.notOk(lockHeld(path), 'no file: nobody holds it');
  const script = `import('${join(process.cwd(), 'dist/sandbox/lock.js')}').then((m) => { process.stdout.write(m.holdLock(${JSON.stringify(path)}) ? 'held\\n' : 'taken\\n'); setInterval(() => {}, 1000); })`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => { child.kill('SIGKILL'); });
  const first = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())));
  t.equal(first, 'held', 'the other process took the lock');
  t.ok(lockHeld(path), 'seen as held from here');
  t.notOk(holdLock(path), 'a second holder is refused');
  const gone = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGKILL');
  await gone;
  t.notOk(lockHeld(path), 'its holder was killed: the kernel dropped the lock');
});

t.test('dropStartupPages: the resident set shrinks and the process keeps working', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tss-addon-trim-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const probe = join(dir, 'probe.cjs');
  writeFileSync(probe, `
    const a = require(${JSON.stringify(NATIVE_ADDON_PATH)});
    const file = () => Number(require('fs').readFileSync('/proc/self/status', 'utf8').match(/RssFile:\\s+(\\d+)/)[1]);
    const hash = () => require('crypto').createHash('sha256').update('tssandbox').digest('hex');
    const expect = hash();
    const before = file();
    const dropped = a.dropStartupPages();
    const after = file();
    // code and read-only data fault back in from the page cache, unchanged
    const again = hash();
    const child = require('child_process').spawnSync('true');
    process.stdout.write(JSON.stringify({ before, after, dropped, same: again === expect, spawned: child.status }));
  `);
  const r = spawnSync(process.execPath, ['--jitless', probe], { encoding: 'utf8' });
  t.equal(r.status, 0, r.status === 0 ? 'the probe ran' : r.stderr);
  const o = JSON.parse(r.stdout) as { before: number; after: number; dropped: number; same: boolean; spawned: number };
  t.ok(o.dropped > 0, `mappings advised (${(o.dropped / 1048576).toFixed(1)} MB)`);
  t.ok(o.after < o.before / 2, `file-backed RSS fell from ${o.before} kB to ${o.after} kB`);
  t.ok(o.same, 'a hash computed after the trim matches the one before');
  t.equal(o.spawned, 0, 'and it can still spawn a process');
});
