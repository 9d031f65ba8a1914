// test/supervisor/ptrace.test.ts — --supervisor ptrace under strict: the same audit events as notify (execve argv, connect peer, denied unshare with its rule), the payload sees EPERM, and the tracer can be neither seen nor slipped (tests, root)
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import type { Member } from '../helpers/image-archives.js';
import { BUILD } from '../helpers/paths.js';
import { rootMissing, Sandbox } from '../helpers/sandbox.js';

const UNTRACED = join(BUILD, 'fixtures', 'ptrace-untraced');
const fixturesMissing = (): string | false => (existsSync(UNTRACED) ? false : `${UNTRACED} not built (make -C test/fixtures)`);
const skip = rootMissing() || busyboxMissing() || fixturesMissing();
const applets: Member[] = ['wget', 'unshare', 'ls', 'cat', 'true', 'sleep'].map((a) => ({ name: `./bin/${a}`, type: 'symlink', linkname: 'busybox' }));

interface Line { event: string; seq: number; proc?: { pid: number; comm?: string; argv?: string[] }; syscall?: { name: string; errno?: string; args?: unknown[] }; decision?: { action: string; rule?: string; layer?: string }; resource?: { path?: string; sockaddr?: string } }

const readLog = (sb: Sandbox, id: string): Line[] => readFileSync(sb.path('root', 'containers', id, 'audit.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
const idOf = (sb: Sandbox, name: string): string => (JSON.parse(sb.cli(['inspect', name]).stdout) as { Id: string }[])[0]!.Id;
/** the decision-relevant shape of each syscall line: which call, what was decided, by which rule */
const shapes = (lines: Line[]): string[] => [...new Set(lines.filter((l) => l.event === 'syscall').map((l) => `${l.syscall?.name} ${l.decision?.action} ${l.decision?.rule} ${l.syscall?.errno ?? ''}`))].sort();

const SCRIPT = 'cat /etc/hostname; wget -q -O- http://127.0.0.1:1/; ls /; unshare -U true; echo "unshare=$?"';

t.test('strict under ptrace: execve argv, the connect peer and the denied unshare, the same events as notify', { skip }, async (t) => {
  const sb = new Sandbox('ptrace');
  t.teardown(() => sb.cleanup());
  await sb.importBusybox('busybox', applets);
  const r = sb.cli(['run', '--name', 'traced', '--supervisor', 'ptrace', 'busybox', 'sh', '-c', SCRIPT]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /unshare=1/, 'unshare still fails for the payload');
  t.match(r.stderr, /unshare.*Operation not permitted/, 'with EPERM, the errno the rule gives');
  const lines = readLog(sb, idOf(sb, 'traced'));
  const calls = lines.filter((l) => l.event === 'syscall');
  t.ok(calls.length > 0 && calls.every((l) => l.decision?.layer === 'ptrace'), 'every syscall line says the tracer stopped it');
  const argvs = calls.filter((l) => l.syscall?.name === 'execve').map((l) => JSON.stringify(l.proc?.argv));
  for (const want of [['sh', '-c', SCRIPT], ['cat', '/etc/hostname'], ['wget', '-q', '-O-', 'http://127.0.0.1:1/'], ['unshare', '-U', 'true']]) {
    t.ok(argvs.includes(JSON.stringify(want)), `execve of ${want[0]} recorded with its argv (a forked child, followed)`);
  }
  t.ok(calls.some((l) => l.syscall?.name === 'connect' && l.resource?.sockaddr === 'inet:127.0.0.1:1' && l.proc?.comm === 'wget'), 'the connect attempt with its address');
  const un = calls.find((l) => l.syscall?.name === 'unshare');
  t.equal(un?.decision?.action, 'deny');
  t.equal(un?.syscall?.errno, 'EPERM');
  t.match(un?.decision?.rule, /^profiles\/(strict|base\/always)\.yaml:\d+$/, 'the denial names its rule file:line');
  t.same(lines.map((l) => l.seq), lines.map((_, i) => i + 1), 'one writer, no gap');
  t.equal(sb.cli(['audit', 'verify', 'traced']).code, 0, 'the chain verifies');

  // the same script under notify: the same calls, decisions and rules (only the layer differs)
  const n = sb.cli(['run', '--name', 'notified', '--supervisor', 'notify', 'busybox', 'sh', '-c', SCRIPT]);
  t.equal(n.code, 0, n.stderr);
  const nlines = readLog(sb, idOf(sb, 'notified'));
  t.ok(nlines.filter((l) => l.event === 'syscall').every((l) => l.decision?.layer === 'notify'), 'the notify run says notify');
  t.same(shapes(calls), shapes(nlines), 'the ptrace log and the notify log hold the same syscall/decision/rule set');
  const sum = sb.cli(['audit', 'summary', 'traced']);
  t.match(sum.stdout, /unshare\s+\(rule profiles\/(strict|base\/always)\.yaml:\d+\)/, 'audit summary lists the denial with its rule');
  t.equal(sb.cli(['rm', 'traced']).code, 0);
  t.equal(sb.cli(['rm', 'notified']).code, 0);
  t.same(sb.leftovers(), []);
});

t.test('the payload cannot see its tracer, cannot ptrace, and a CLONE_UNTRACED child gets ENOSYS for every traced call', { skip }, async (t) => {
  const sb = new Sandbox('ptrace-slip');
  t.teardown(() => sb.cleanup());
  await sb.importBusybox('busybox', applets);
  const r = sb.cli(['run', '--name', 'slip', '--supervisor', 'ptrace', '-v', `${UNTRACED}:/untraced:ro`, 'busybox', '/untraced']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^tracerpid=0$/m, 'TracerPid is 0 inside: the tracer is outside the pid namespace');
  t.match(r.stdout, /^traceme=EPERM$/m, 'ptrace is denied (strict)');
  t.match(r.stdout, /^untraced_connect=ENOSYS$/m, 'an untraced child\'s connect fails closed (no tracer: ENOSYS), it never reaches the network');
  t.match(r.stdout, /^untraced_execve=ENOSYS$/m, 'an untraced child cannot exec anything');
  const lines = readLog(sb, idOf(sb, 'slip'));
  const tm = lines.find((l) => l.syscall?.name === 'ptrace');
  t.equal(tm?.decision?.action, 'deny', 'the ptrace attempt is recorded as denied');
  t.notOk(lines.some((l) => l.syscall?.name === 'execve' && l.proc?.argv?.[0] === 'true'), 'the untraced exec never got as far as a record');
  t.equal(sb.cli(['rm', 'slip']).code, 0);
  t.same(sb.leftovers(), []);
});

t.test('exec into a traced container is traced too: its execve (argv) and denied unshare in the container\'s log, tagged with its session; stop ends it', { skip }, async (t) => {
  const sb = new Sandbox('ptrace-exec');
  t.teardown(() => { sb.cli(['rm', '-f', 'bg']); sb.cleanup(); });
  await sb.importBusybox('busybox', applets);
  t.equal(sb.cli(['run', '-d', '--name', 'bg', '--supervisor', 'ptrace', 'busybox', 'sh', '-c', 'trap "exit 3" TERM; while true; do sleep 1; done']).code, 0);
  const e = sb.cli(['exec', 'bg', 'sh', '-c', 'cat /etc/hostname; unshare -U true; echo "unshare=$?"']);
  t.equal(e.code, 0, e.stderr);
  t.match(e.stdout, /^[0-9a-f]{12}\nunshare=1\n$/, 'the container\'s hostname, and the payload saw the denial');
  const lines = readLog(sb, idOf(sb, 'bg')) as (Line & { exec?: string | { id: string; argv?: string[]; code?: number | null } })[];
  const started = lines.filter((l) => l.event === 'exec.started');
  t.equal(started.length, 1, 'one exec.started');
  const id = (started[0]!.exec as { id: string }).id;
  const mine = lines.filter((l) => l.exec === id);
  t.ok(mine.length > 0 && mine.every((l) => l.decision?.layer === 'ptrace'), 'the exec\'s lines come from a tracer');
  const argvs = mine.filter((l) => l.syscall?.name === 'execve').map((l) => JSON.stringify(l.proc?.argv));
  t.ok(argvs.includes(JSON.stringify(['cat', '/etc/hostname'])), 'a child\'s execve with its argv (the tracer followed the fork)');
  const un = mine.find((l) => l.syscall?.name === 'unshare');
  t.equal(un?.decision?.action, 'deny', 'the unshare is denied and recorded for the session');
  t.match(un?.decision?.rule, /^profiles\/(strict|base\/always)\.yaml:\d+$/, 'with its rule file:line');
  const exited = lines.find((l) => l.event === 'exec.exited' && (l.exec as { id: string }).id === id);
  t.equal((exited?.exec as { code: number | null } | undefined)?.code, 0, 'exec.exited with its code');
  t.ok(lines.indexOf(started[0]!) < lines.indexOf(un!) && lines.indexOf(un!) < lines.indexOf(exited!), 'started, its syscalls, exited, in that order');
  t.equal(sb.cli(['stop', 'bg']).code, 0);
  t.equal(sb.cli(['wait', 'bg']).stdout.trim(), '3', 'SIGTERM reached the traced payload\'s trap (the tracer passes signals on)');
  t.equal(sb.cli(['audit', 'verify', 'bg']).code, 0, 'one chain');
  t.equal(sb.cli(['rm', 'bg']).code, 0);
  t.same(sb.leftovers(), []);
});

t.test('a bad --supervisor value is one line naming it, and nothing is left', { skip }, async (t) => {
  const sb = new Sandbox('ptrace-flag');
  t.teardown(() => sb.cleanup());
  await sb.importBusybox('busybox', applets);
  const r = sb.cli(['run', '--rm', '--supervisor', 'strace', 'busybox', 'true']);
  t.equal(r.code, 125);
  t.equal(r.stderr.trim(), 'tssandbox: run `--supervisor strace`: expected auto, notify or ptrace');
  const u = sb.cli(['run', '--rm', '--profile', 'unconfined', '--supervisor', 'ptrace', 'busybox', 'true']);
  t.equal(u.code, 125);
  t.match(u.stderr, /run `--supervisor ptrace`: profile unconfined has no supervisor rules \(nothing to record\)/);
  t.same(sb.leftovers(), []);
});
