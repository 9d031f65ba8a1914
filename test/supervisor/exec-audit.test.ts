// test/supervisor/exec-audit.test.ts — `exec` into a supervised container is audited in the container's log: the exec's execve with argv and a denied unshare with its rule, tagged with the exec session (tests, root)
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import type { Member } from '../helpers/image-archives.js';
import { rootMissing, Sandbox } from '../helpers/sandbox.js';

const notifMissing = (): string | false => {
  try { return readFileSync('/proc/sys/kernel/seccomp/actions_avail', 'utf8').includes('user_notif') ? false : 'no seccomp user notification in this kernel'; } catch { return 'no /proc/sys/kernel/seccomp/actions_avail'; }
};
const skip = rootMissing() || busyboxMissing() || notifMissing();
const applets: Member[] = ['unshare', 'sleep', 'cat'].map((a) => ({ name: `./bin/${a}`, type: 'symlink', linkname: 'busybox' }));

interface Line { event: string; seq: number; exec?: string | { id: string; argv?: string[]; code?: number | null; reason?: string }; proc?: { pid: number; argv?: string[] }; syscall?: { name: string; errno?: string }; decision?: { action: string; rule?: string } }

const CMD = 'cat /etc/hostname; unshare -U true; echo "unshare=$?"';

function checkExecLines(t: Test, lines: Line[]): void {
  const started = lines.filter((l) => l.event === 'exec.started');
  t.equal(started.length, 1, 'one exec.started');
  const ex = started[0]!.exec as { id: string; argv: string[] };
  t.same(ex.argv, ['sh', '-c', CMD], 'exec.started has the exec\'s argv');
  const mine = lines.filter((l) => l.exec === ex.id);
  const argvs = mine.filter((l) => l.syscall?.name === 'execve').map((l) => JSON.stringify(l.proc?.argv));
  t.ok(argvs.includes(JSON.stringify(['sh', '-c', CMD])), 'the exec\'s own execve, tagged with its session');
  t.ok(argvs.includes(JSON.stringify(['cat', '/etc/hostname'])), 'a child\'s execve, tagged with the session');
  const un = mine.find((l) => l.syscall?.name === 'unshare');
  t.equal(un?.decision?.action, 'deny', 'the unshare is denied and recorded for the session');
  t.equal(un?.syscall?.errno, 'EPERM');
  t.match(un?.decision?.rule, /^profiles\/(strict|base\/always)\.yaml:\d+$/, 'with its rule file:line');
  const exited = lines.find((l) => l.event === 'exec.exited' && (l.exec as { id: string }).id === ex.id);
  t.equal((exited?.exec as { code: number | null } | undefined)?.code, 0, 'exec.exited with the exec\'s exit code');
  t.ok(lines.indexOf(started[0]!) < lines.indexOf(un!) && lines.indexOf(un!) < lines.indexOf(exited!), 'started, its syscalls, exited, in that order');
  t.notOk(lines.some((l) => l.event === 'syscall' && l.exec === undefined && JSON.stringify(l.proc?.argv) === JSON.stringify(['cat', '/etc/hostname'])), 'no exec line lost its tag');
  t.same(lines.map((l) => l.seq), lines.map((_, i) => i + 1), 'one writer: the exec lines are in the container\'s chain');
}

t.test('run -d under strict: an exec\'s execve and its denied unshare are in the container\'s audit log', { skip }, async (t) => {
  const sb = new Sandbox('exec-audit');
  t.teardown(() => { sb.cli(['rm', '-f', 'web']); sb.cleanup(); });
  await sb.importBusybox('busybox', applets);
  const run = sb.cli(['run', '-d', '--name', 'web', 'busybox', 'sleep', '1000']);
  t.equal(run.code, 0, run.stderr);
  const id = run.stdout.trim();
  const ex = sb.cli(['exec', 'web', 'sh', '-c', CMD]);
  t.equal(ex.code, 0, ex.stderr);
  t.equal(ex.stdout, `${id.slice(0, 12)}\nunshare=1\n`, 'the exec ran, and the payload saw the denial');
  t.match(ex.stderr, /unshare.*Operation not permitted/);

  const show = sb.cli(['audit', 'show', 'web', '--format', 'json']);
  t.equal(show.code, 0, show.stderr);
  const lines = show.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
  checkExecLines(t, lines);
  const table = sb.cli(['audit', 'show', 'web', '--syscall', 'execve,unshare']).stdout;
  t.match(table, /execve .*\["cat","\/etc\/hostname"\] exec=[0-9a-f]{16}/, 'audit show lists the exec\'s execve with argv and session');
  t.match(table, /unshare\s+deny EPERM\s+profiles\/(strict|base\/always)\.yaml:\d+\s+exec=[0-9a-f]{16}/, 'and the denied unshare with its rule');
  const sum = sb.cli(['audit', 'summary', 'web']).stdout;
  t.match(sum, /exec sessions:\n  [0-9a-f]{16}  \["sh","-c",.*code=0/);

  // a second exec is a second session
  t.equal(sb.cli(['exec', 'web', 'cat', '/etc/hostname']).code, 0);
  const again = sb.cli(['audit', 'show', 'web', '--event', 'exec.started', '--format', 'json']).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
  t.equal(again.length, 2);
  t.not((again[0]!.exec as { id: string }).id, (again[1]!.exec as { id: string }).id, 'each exec has an id of its own');

  t.equal(sb.cli(['stop', '-t', '1', 'web']).code, 0);
  const v = sb.cli(['audit', 'verify', 'web']);
  t.equal(v.code, 0, v.stdout + v.stderr);
  t.equal(sb.cli(['rm', 'web']).code, 0);
  t.same(sb.leftovers(), []);
});

t.test('foreground run: an exec into it is audited by the run\'s own CLI', { skip }, async (t) => {
  const sb = new Sandbox('exec-audit-fg');
  t.teardown(() => sb.cleanup());
  await sb.importBusybox('busybox', applets);
  const fg = sb.start(['--name', 'fg', 'busybox', 'sleep', '1000']);
  const exitedFg = new Promise<number | null>((res) => fg.on('close', (c) => res(c)));
  t.teardown(() => { fg.kill('SIGKILL'); });
  let running = false;
  for (let i = 0; i < 200 && !running; i++) {
    const ps = sb.cli(['ps', '--format', 'json']);
    running = ps.stdout.includes('"fg"');
    if (!running) await new Promise((r) => setTimeout(r, 50));
  }
  t.ok(running, 'the foreground container runs');
  const id = (JSON.parse(sb.cli(['inspect', 'fg']).stdout) as { Id: string }[])[0]!.Id;
  const ex = sb.cli(['exec', 'fg', 'sh', '-c', CMD]);
  t.equal(ex.code, 0, ex.stderr);
  t.equal(sb.cli(['stop', '-t', '1', 'fg']).code, 0);
  await exitedFg;
  const lines = readFileSync(sb.path('root', 'containers', id, 'audit.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
  checkExecLines(t, lines);
  t.equal(lines.at(-1)!.event, 'exited', 'the container\'s exited line comes last');
  t.equal(sb.cli(['rm', 'fg']).code, 0);
  t.same(sb.leftovers(), []);
});

t.test('fail closed: when the supervisor cannot take the exec\'s listener, the command never runs', { skip }, async (t) => {
  const sb = new Sandbox('exec-audit-closed');
  t.teardown(() => { sb.cli(['rm', '-f', 'web']); sb.cleanup(); });
  await sb.importBusybox('busybox', applets);
  const out = sb.path('out');
  mkdirSync(out);
  chmodSync(out, 0o777);
  const run = sb.cli(['run', '-d', '--name', 'web', '-v', `${out}:/out`, 'busybox', 'sleep', '1000']);
  t.equal(run.code, 0, run.stderr);
  const sock = join(sb.runRoot, 'containers', run.stdout.trim(), 'control.sock');
  t.ok(existsSync(sock));
  // the supervisor is unreachable: the hand-over fails after the exec'd process holds its filter
  renameSync(sock, `${sock}.away`);
  const ex = sb.cli(['exec', 'web', 'sh', '-c', 'echo ran > /out/ran']);
  renameSync(`${sock}.away`, sock);
  t.equal(ex.code, 125, ex.stdout);
  t.match(ex.stderr, /^tssandbox: exec `web`: the container's supervisor did not take the exec's seccomp listener: its supervisor does not answer/);
  t.notOk(existsSync(join(out, 'ran')), 'the command did not run');
  // control: with the supervisor reachable the same command runs
  t.equal(sb.cli(['exec', 'web', 'sh', '-c', 'echo ran > /out/ran']).code, 0);
  t.ok(existsSync(join(out, 'ran')), 'the same exec runs once the supervisor takes its listener');
  t.equal(sb.cli(['stop', '-t', '1', 'web']).code, 0);
  t.equal(sb.cli(['rm', 'web']).code, 0);
  t.same(sb.leftovers(), []);
});
