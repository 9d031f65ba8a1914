// test/supervisor/audit-rm.test.ts — run --rm takes the audit log with the container (foreground and -d); --audit-log PATH keeps it outside the record; bad --audit-log values are one line and leave nothing (tests, root)
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import type { Member } from '../helpers/image-archives.js';
import { rootMissing, Sandbox } from '../helpers/sandbox.js';

const notifMissing = (): string | false => {
  try { return readFileSync('/proc/sys/kernel/seccomp/actions_avail', 'utf8').includes('user_notif') ? false : 'no seccomp user notification in this kernel'; } catch { return 'no /proc/sys/kernel/seccomp/actions_avail'; }
};
const skip = rootMissing() || busyboxMissing() || notifMissing();
const applets: Member[] = ['sleep', 'cat'].map((a) => ({ name: `./bin/${a}`, type: 'symlink', linkname: 'busybox' }));

/** every file under dir (relative paths) */
function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => !e.isDirectory()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

async function until(f: () => boolean): Promise<boolean> {
  for (let i = 0; i < 300; i++) { if (f()) return true; await new Promise((r) => setTimeout(r, 50)); }
  return f();
}

t.test('--rm: the audit log goes with the container, foreground and detached', { skip }, async (t) => {
  const sb = new Sandbox('audit-rm');
  t.teardown(() => sb.cleanup());
  await sb.importBusybox('busybox', applets);
  const ctrs = sb.path('root', 'containers');
  // control: without --rm the record keeps its log, so the check below can fail
  const kept = sb.cli(['run', '--name', 'keep', 'busybox', 'cat', '/etc/hostname']);
  t.equal(kept.code, 0, kept.stderr);
  t.ok(files(ctrs).some((f) => f.endsWith('/audit.ndjson')), 'a container without --rm keeps its audit log');
  t.equal(sb.cli(['rm', 'keep']).code, 0);
  t.same(files(ctrs), [], 'rm takes the log with the record');

  const fg = sb.cli(['run', '--rm', 'busybox', 'cat', '/etc/hostname']);
  t.equal(fg.code, 0, fg.stderr);
  t.same(files(ctrs), [], 'foreground --rm: no record, no audit log, no anchor');

  const d = sb.cli(['run', '-d', '--rm', '--name', 'drm', 'busybox', 'sleep', '1000']);
  t.equal(d.code, 0, d.stderr);
  const id = d.stdout.trim();
  t.ok(existsSync(join(ctrs, id, 'audit.ndjson')), 'the log exists while the container runs');
  t.equal(sb.cli(['stop', '-t', '1', 'drm']).code, 0);
  t.ok(await until(() => !existsSync(join(ctrs, id))), '-d --rm: the record goes when the container exits');
  t.same(files(ctrs), [], 'and its audit log and anchor with it');
  t.same(sb.leftovers(), []);
});

t.test('--audit-log PATH: the log and its anchor stay after --rm and verify', { skip }, async (t) => {
  const sb = new Sandbox('audit-log');
  t.teardown(() => sb.cleanup());
  await sb.importBusybox('busybox', applets);
  const ctrs = sb.path('root', 'containers');
  const fgLog = sb.path('fg.ndjson');
  const fg = sb.cli(['run', '--rm', '--audit-log', fgLog, 'busybox', 'cat', '/etc/hostname']);
  t.equal(fg.code, 0, fg.stderr);
  t.same(files(ctrs), [], 'the record is gone');
  t.ok(existsSync(fgLog) && existsSync(sb.path('fg.anchor.json')), 'the log and its anchor are kept');
  const v = sb.cli(['audit', 'verify', fgLog]);
  t.equal(v.code, 0, v.stdout + v.stderr);
  t.match(v.stdout, /anchor checked/);
  const sum = sb.cli(['audit', 'summary', fgLog]).stdout;
  t.match(sum, /\["cat","\/etc\/hostname"\]/, 'with the payload\'s execve');

  const dLog = sb.path('d.ndjson');
  const d = sb.cli(['run', '-d', '--rm', '--name', 'dl', '--audit-log', dLog, 'busybox', 'sleep', '1000']);
  t.equal(d.code, 0, d.stderr);
  const ins = (JSON.parse(sb.cli(['inspect', 'dl']).stdout) as { AuditLog: { Path: string } }[])[0]!;
  t.equal(ins.AuditLog.Path, dLog, 'inspect names the log');
  t.equal(sb.cli(['exec', 'dl', 'cat', '/etc/hostname']).code, 0);
  t.match(sb.cli(['audit', 'show', 'dl', '--event', 'exec.started']).stdout, /exec\.started/, 'audit show finds the log by the container\'s name');
  t.equal(sb.cli(['stop', '-t', '1', 'dl']).code, 0);
  t.ok(await until(() => files(ctrs).length === 0), 'the record is gone');
  const dv = sb.cli(['audit', 'verify', dLog]);
  t.equal(dv.code, 0, dv.stdout + dv.stderr);
  t.match(readFileSync(dLog, 'utf8'), /"event":"exited"/, 'the log is whole, to its exited line');
  t.same(sb.leftovers(), []);
});

t.test('bad --audit-log: one line, exit 125, nothing left behind', { skip }, async (t) => {
  const sb = new Sandbox('audit-log-bad');
  t.teardown(() => sb.cleanup());
  await sb.importBusybox('busybox', applets);
  const exists = sb.path('exists.ndjson');
  writeFileSync(exists, 'x\n');
  const cases: [string[], string, RegExp][] = [
    [['--audit-log', exists], '', /^tssandbox: run `--audit-log .*exists\.ndjson`: the file exists \(each container writes a log of its own\)\n$/],
    [['--audit-log', sb.path('no', 'dir', 'x.ndjson')], '', /^tssandbox: run `--audit-log .*`: its directory .*\/no\/dir does not exist\n$/],
    [['--audit-log', sb.path('u.ndjson'), '--profile', 'unconfined'], '', /run `--audit-log .*`: this run writes no audit log \(profile unconfined has no supervisor rules\)\n$/],
    // the launch fails (no such command): the container never started, so its log is not kept either
    [['--audit-log', sb.path('never.ndjson')], 'no-such-command', /executable file not found/],
  ];
  for (const [flags, cmd, re] of cases) {
    const r = sb.cli(['run', '--rm', ...flags, 'busybox', ...(cmd ? [cmd] : ['true'])]);
    t.not(r.code, 0, flags.join(' '));
    t.match(r.stderr, re);
  }
  t.notOk(existsSync(sb.path('never.ndjson')) || existsSync(sb.path('never.anchor.json')), 'a run that never started keeps no --audit-log file');
  t.notOk(existsSync(sb.path('u.ndjson')));
  t.equal(readFileSync(exists, 'utf8'), 'x\n', 'an existing file is untouched');
  t.same(files(sb.path('root', 'containers')), []);
  t.same(sb.leftovers(), []);
});
