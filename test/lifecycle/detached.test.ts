// test/lifecycle/detached.test.ts — run -d, ps, logs, inspect, stop, kill, wait, rm, --rm, failures, rmi refusal (tests, root)
import { existsSync } from 'node:fs';
import t from 'tap';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import type { Member } from '../helpers/image-archives.js';
import { rootMissing, Sandbox } from '../helpers/sandbox.js';

const skip = rootMissing() || busyboxMissing();
const applets: Member[] = ['sleep', 'yes', 'head', 'ps', 'trap'].map((a) => ({ name: `./bin/${a}`, type: 'symlink', linkname: 'busybox' }));

interface PsRow { ID: string; Names: string; State: string; Status: string; ExitCode?: number; Reason?: string; Image: string }
const psJson = (sb: Sandbox, all = true): PsRow[] => sb.cli(['ps', ...(all ? ['-a'] : []), '--format', 'json']).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as PsRow);

t.test('detached lifecycle', { skip }, async (t) => {
  const sb = new Sandbox('lc-detached');
  t.teardown(() => { sb.cli(['rm', '-f', 'web']); sb.cli(['rm', '-f', 'gone']); sb.cleanup(); });
  await sb.importBusybox('busybox', applets);

  const run = sb.cli(['run', '-d', '--name', 'web', 'busybox', 'sh', '-c', 'echo hello; echo oops >&2; exec sleep 1000']);
  t.equal(run.code, 0, run.stderr);
  const id = run.stdout.trim();
  t.match(id, /^[0-9a-f]{64}$/, 'run -d prints the full id');

  const up = psJson(sb, false);
  t.equal(up.length, 1);
  t.equal(up[0]?.Names, 'web');
  t.equal(up[0]?.ID, id.slice(0, 12));
  t.equal(up[0]?.State, 'running');
  t.match(up[0]?.Status, /^Up /);
  t.match(sb.cli(['ps']).stdout, /CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+NAMES\n.*busybox:latest.*Up .*web/);

  // the payload's first lines may still be on their way to the log: wait for them, not for a clock
  let logs = sb.cli(['logs', 'web']);
  for (let i = 0; i < 100 && !/oops/.test(logs.stderr); i++) { await new Promise((r) => setTimeout(r, 50)); logs = sb.cli(['logs', 'web']); }
  t.equal(logs.stdout, 'hello\n', 'stdout goes to stdout');
  t.equal(logs.stderr, 'oops\n', 'stderr goes to stderr');
  t.match(sb.cli(['logs', '--timestamps', 'web']).stdout, /^\d{4}-\d\d-\d\dT[\d:.]+Z hello\n$/);
  t.equal(sb.cli(['logs', '--tail', '0', 'web']).stdout, '');

  const ins = JSON.parse(sb.cli(['inspect', id.slice(0, 6)]).stdout) as Record<string, any>[];
  t.equal(ins[0]?.Id, id, 'an id prefix finds it');
  t.equal(ins[0]?.Profile.Name, 'strict');
  t.match(ins[0]?.Profile.Digest, /^[0-9a-f]{64}$/);
  t.equal(ins[0]?.State.Running, true);
  t.ok(ins[0]?.State.Pid > 0);
  t.equal(ins[0]?.Limits.PidsLimit, 256);
  const img = JSON.parse(sb.cli(['inspect', 'busybox']).stdout) as Record<string, unknown>[];
  t.equal(img.length, 1, 'inspect falls back to images');

  const rmRunning = sb.cli(['rm', 'web']);
  t.not(rmRunning.code, 0);
  t.match(rmRunning.stderr, /rm `web`: the container is running/);
  const rmi = sb.cli(['rmi', 'busybox']);
  t.not(rmi.code, 0, 'rmi refuses an image a container uses');
  t.match(rmi.stderr, /a container uses it/);
  t.equal(sb.cli(['run', '-d', '--name', 'web', 'busybox', 'true']).code, 125, 'names are unique');

  // sleep as pid 1 ignores SIGTERM: stop must escalate to SIGKILL after -t 1
  const stop = sb.cli(['stop', '-t', '1', 'web']);
  t.equal(stop.code, 0, stop.stderr);
  const after = psJson(sb).find((r) => r.Names === 'web');
  t.equal(after?.State, 'exited');
  t.equal(after?.ExitCode, 137);
  t.match(after?.Status, /^Exited \(137\) /);
  t.equal(psJson(sb, false).length, 0, 'ps without -a hides it');
  t.equal(sb.cli(['wait', 'web']).stdout, '137\n', 'wait prints the exit code');
  t.same(sb.leftovers(), [], 'a stopped container leaves no state, cgroup or id range');
  t.equal(sb.cli(['logs', 'web']).stdout, 'hello\n', 'logs outlive the container');

  t.equal(sb.cli(['rm', 'web']).code, 0);
  t.same(psJson(sb), []);
  t.notOk(existsSync(sb.path('root', 'containers', id)), 'rm removes the record');

  // a payload that handles SIGTERM exits by it: kill -s TERM then wait
  const trap = sb.cli(['run', '-d', '--name', 'gone', 'busybox', 'sh', '-c', 'trap "exit 3" TERM; while true; do sleep 0.1; done']);
  t.equal(trap.code, 0, trap.stderr);
  t.equal(sb.cli(['kill', '-s', 'TERM', 'gone']).code, 0);
  t.equal(sb.cli(['wait', 'gone']).stdout, '3\n');
  t.equal(sb.cli(['system', 'prune']).code, 0);
  t.same(psJson(sb), [], 'system prune removes exited containers');
  t.same(sb.leftovers(), []);
});

t.test('run -d --rm, start failures and foreground records', { skip }, async (t) => {
  const sb = new Sandbox('lc-rm');
  t.teardown(() => sb.cleanup());
  await sb.importBusybox('busybox', applets);

  const r = sb.cli(['run', '-d', '--rm', '--name', 'tmp', 'busybox', 'sh', '-c', 'exit 0']);
  t.equal(r.code, 0, r.stderr);
  sb.cli(['wait', 'tmp']);
  t.same(psJson(sb), [], '--rm removes a detached container when it exits');

  const bad = sb.cli(['run', '-d', '--name', 'bad', 'busybox', 'no-such-command']);
  t.equal(bad.code, 127, 'a missing executable keeps docker\'s 127');
  t.match(bad.stderr, /no-such-command.*not found/);
  t.equal(bad.stdout, '', 'no id is printed');
  t.same(psJson(sb), [], 'a container that never started leaves no record');

  const f = sb.cli(['run', '-d', '--name', 'follow', 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo line $i; sleep 0.3; done']);
  t.equal(f.code, 0, f.stderr);
  t.equal(sb.cli(['logs', '-f', 'follow']).stdout, 'line 1\nline 2\nline 3\n', 'logs -f follows until the container exits');
  t.equal(sb.cli(['rm', 'follow']).code, 0);

  const fg = sb.cli(['run', '--name', 'fg', 'busybox', 'sh', '-c', 'exit 3']);
  t.equal(fg.code, 3);
  const rows = psJson(sb);
  t.equal(rows.length, 1, 'a foreground run without --rm is a ps -a entry');
  t.equal(rows[0]?.ExitCode, 3);
  t.equal(sb.cli(['rm', 'fg']).code, 0);
  t.same(sb.leftovers(), []);
});
