// test/lifecycle/stress.test.ts — many detached containers at once, a killed supervisor, a stdout flood within the log cap (tests, root)
import { existsSync, statSync } from 'node:fs';
import t from 'tap';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import type { Member } from '../helpers/image-archives.js';
import { rootMissing, Sandbox } from '../helpers/sandbox.js';
import { gone } from '../helpers/pids.js';

const skip = rootMissing() || busyboxMissing();
const applets: Member[] = ['sleep', 'yes', 'head'].map((a) => ({ name: `./bin/${a}`, type: 'symlink', linkname: 'busybox' }));

interface PsRow { ID: string; Names: string; State: string; Status: string; ExitCode?: number; Reason?: string }
const psJson = (sb: Sandbox, all = true): PsRow[] => sb.cli(['ps', ...(all ? ['-a'] : []), '--format', 'json']).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as PsRow);


t.test('20 detached containers at once: all appear, all stop, all are removed', { skip }, async (t) => {
  const sb = new Sandbox('lc-many');
  t.teardown(() => sb.cleanup());
  await sb.importBusybox('busybox', applets);
  const names = Array.from({ length: 20 }, (_, i) => `c${i}`);
  const runs = await Promise.all(names.map((n) => sb.cliAsync(['run', '-d', '--name', n, 'busybox', 'sleep', '1000'])));
  t.same(runs.filter((r) => r.code !== 0).map((r) => r.stderr), [], 'every run -d succeeded');
  const up = psJson(sb, false);
  t.same(up.map((r) => r.Names).sort(), [...names].sort(), 'all appear in ps');
  t.ok(up.every((r) => r.State === 'running'));
  const stop = await sb.cliAsync(['stop', '-t', '1', ...names]);
  t.equal(stop.code, 0, stop.stderr);
  t.ok(psJson(sb).every((r) => r.State === 'exited' && r.ExitCode === 137), 'all exited');
  const rm = await sb.cliAsync(['rm', ...names]);
  t.equal(rm.code, 0, rm.stderr);
  t.same(psJson(sb), []);
  t.same(sb.leftovers(), [], 'no state dir, id range, cgroup or mount remains');
});

t.test('kill -9 of a supervisor: the container dies with it and ps -a says why', { skip }, async (t) => {
  const sb = new Sandbox('lc-crash');
  t.teardown(() => sb.cleanup());
  await sb.importBusybox('busybox', applets);
  const r = sb.cli(['run', '-d', '--name', 'victim', 'busybox', 'sh', '-c', 'sleep 1000 & exec sleep 1001']);
  t.equal(r.code, 0, r.stderr);
  const ins = (JSON.parse(sb.cli(['inspect', 'victim']).stdout) as { State: { Pid: number; SupervisorPid: number } }[])[0]!;
  t.ok(ins.State.SupervisorPid > 0 && ins.State.Pid > 0);
  process.kill(ins.State.SupervisorPid, 'SIGKILL');
  t.ok(await gone(ins.State.Pid), 'the payload is gone');
  const row = psJson(sb).find((x) => x.Names === 'victim');
  t.equal(row?.State, 'exited');
  t.equal(row?.Reason, 'supervisor died');
  t.match(row?.Status, /^Exited \(137\) .*\(supervisor died\)$/);
  t.equal(sb.cli(['rm', 'victim']).code, 0);
  // reapStale runs at the start of every command; the killed supervisor may have been a zombie at the first one
  sb.cli(['ps', '-a']);
  t.same(sb.leftovers(), [], 'the next commands reap its state, cgroup and id range');
});

t.test('a container flooding stdout stays within the log cap', { skip }, async (t) => {
  const sb = new Sandbox('lc-flood');
  t.teardown(() => sb.cleanup());
  await sb.importBusybox('busybox', applets);
  // 32 MiB: over the 2 × 10 MiB the log keeps, so it must rotate and drop (64 MiB proved no more and took twice as long)
  const r = sb.cli(['run', '-d', '--name', 'flood', 'busybox', 'sh', '-c', 'yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c 33554432; echo; echo the-end']);
  t.equal(r.code, 0, r.stderr);
  t.equal(sb.cli(['wait', 'flood'], { timeoutMs: 300_000 }).stdout, '0\n');
  const log = sb.path('root', 'containers', r.stdout.trim(), 'container.log');
  const sizes = [log, `${log}.1`, `${log}.2`].map((p) => (existsSync(p) ? statSync(p).size : 0));
  t.ok(sizes[1]! > 0, 'the log rotated');
  t.equal(sizes[2], 0, 'only two files are kept');
  t.ok(sizes[0]! + sizes[1]! <= 2 * (10 << 20) + (64 << 10), `32 MiB of output keeps ≤ 20 MiB of log (${sizes.join(' + ')})`);
  t.equal(sb.cli(['logs', '--tail', '1', 'flood']).stdout, 'the-end\n', 'the newest output is kept');
  t.equal(sb.cli(['rm', 'flood']).code, 0);
  t.same(sb.leftovers(), []);
});
