// test/policy/learn.test.ts — `policy learn` and `policy test --replay` over audit logs written by the real writer (host, no root)
import t from 'tap';
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { AuditWriter, type SyscallInput } from '../../audit/index.js';
import { syscallNumber } from '../../abi/index.js';
import { loadProfile } from '../../policy/index.js';
import { learn } from '../../policy/learn.js';
import { replay } from '../../policy/replay.js';
import type { SeccompPolicy } from '../../policy/seccomp/types.js';
import { CID, fakeClock, schemaCheck, tempDir } from '../audit/fixtures.js';
import { CLI } from '../helpers/paths.js';

function call(name: string, args: (number | string)[] = [], action: 'observe' | 'deny' | 'allow' = 'observe', extra: Partial<SyscallInput> = {}): SyscallInput {
  return {
    event: 'syscall',
    proc: { pid: 4242, nsPid: 1, comm: 'httpd' },
    syscall: { nr: syscallNumber('x86_64', name)!, name, arch: 'x86_64', args, ...(action === 'deny' ? { errno: 'EPERM' } : {}) },
    decision: { action, source: 'learn', layer: 'notify' },
    ...extra,
  };
}

/** a busybox-httpd-like session as the learn profile records it */
const SESSION: SyscallInput[] = [
  call('execve', [], 'observe', { resource: { path: '/bin/httpd' } }),
  call('brk'), call('arch_prctl', [0x1002, 0]), call('set_tid_address'), call('rt_sigaction', [13]),
  call('socket', [2, 0x80001, 0]), call('setsockopt', [3, 1, 2]), call('bind', [3], 'observe', { resource: { sockaddr: 'inet:0.0.0.0:8080' } }),
  call('listen', [3, 5]), call('accept4', [3]), call('read', [4]), call('openat', [-100, 0], 'observe', { resource: { path: '/www/index.html' } }),
  call('fstat'), call('sendfile'), call('close', [4]), call('socket', [1, 1, 0]), call('exit_group', [0]),
  // the recording profile said no: must stay no
  call('mount', [], 'deny'),
];

function writeLog(dir: string, name: string, events: readonly SyscallInput[], repeat = 1): string {
  const path = join(dir, name);
  const clock = fakeClock();
  const w = AuditWriter.open(path, { container: { id: CID, profile: 'learn' }, now: clock.now, check: schemaCheck });
  for (let i = 0; i < repeat; i++) for (const e of events) w.append(e);
  w.close();
  return path;
}

const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

t.test('learn: exactly the syscalls let through, argument values for socket, denials stay denied', async (t) => {
  const dir = tempDir(t);
  const log = writeLog(dir, 'httpd.log', SESSION, 3);
  const l = learn([log]);
  t.equal(l.events, SESSION.length * 3);
  t.notOk(l.syscalls.has('mount'), 'a call the recording denied is not learned');
  t.equal(l.denied.get('mount'), 3);
  t.equal(l.syscalls.get('socket'), 6);
  t.same(l.argValues.get('socket')?.get('domain'), [1n, 2n], 'socket families seen');
  t.same(l.argValues.get('socket')?.get('type'), [1n], 'socket types seen (SOCK_TYPE_MASK applied)');
  t.equal(l.peers.get('inet:0.0.0.0:8080'), 3);
  t.equal(l.paths.get('/www/index.html'), 3);

  const out = join(dir, 'httpd.yaml');
  const r = cli(['policy', 'learn', log, '-o', out]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /httpd\.yaml: 16 syscalls allowed from 54 events, 1 denied/);
  const text = readFileSync(out, 'utf8');
  t.match(text, /^extends: base\/always\.yaml$/m);
  t.match(text, /# denied while recording, left denied:\n#   mount ×3/);

  // the learned profile replays its own session with no denial …
  const again = cli(['policy', 'test', out, '--replay', log]);
  t.equal(again.status, 0, again.stdout + again.stderr);
  t.match(again.stdout, /51 syscall line\(s\) replayed, 0 would be denied \(0 distinct\), 3 denied while recording/);
  // … but not what the session never did: mount (final in the floor), a raw socket, an unseen syscall
  const p = loadProfile(out).seccomp as SeccompPolicy;
  const other = writeLog(dir, 'other.log', [call('mount'), call('socket', [2, 3, 1]), call('socket', [17, 3, 0]), call('ptrace', [16]), call('read', [0])]);
  const rr = replay(p, other);
  t.same(rr.denials.map((d) => d.syscall).sort(), ['mount', 'ptrace', 'socket', 'socket']);
  t.match(rr.denials.find((d) => d.syscall === 'mount')!.why, /profiles\/base\/always\.yaml:\d+/, 'the floor\'s rule names its file:line');
  const cliR = cli(['policy', 'test', out, '--replay', other]);
  t.equal(cliR.status, 1, 'exit 1 when the profile would deny part of the log');
  t.match(cliR.stdout, /would deny mount on x86_64: errno\(EPERM\)/);

  // policy diff against strict names what the learned profile grants beyond it (and the reverse)
  const d = cli(['policy', 'diff', 'strict', out]);
  t.equal(d.status, 1);
  t.match(d.stdout, /difference/);
});

t.test('learn: syscalls the floor decides with a final rule are left to it, so the profile loads', async (t) => {
  const dir = tempDir(t);
  // a thread (clone without namespace flags), a terminal ioctl: the floor's final rules name both
  const log = writeLog(dir, 'threads.log', [call('clone', [0x3d0f00]), call('ioctl', [1, 0x5401]), call('read', [0])]);
  const out = join(dir, 'threads.yaml');
  const r = cli(['policy', 'learn', log, '-o', out]);
  t.equal(r.status, 0, r.stderr);
  const text = readFileSync(out, 'utf8');
  t.match(text, /#   clone ×1 {2}\(profiles\/base\/always\.yaml:\d+\)/);
  t.match(text, /#   ioctl ×1 {2}\(profiles\/base\/always\.yaml:\d+\)/);
  t.match(text, /- \{ action: allow, syscalls: \[close, execve, exit_group, sendmsg, write\] \}/, 'the launcher\'s own calls after the filter');
  const again = cli(['policy', 'test', out, '--replay', log]);
  t.equal(again.status, 0, again.stdout + again.stderr);
  t.match(again.stdout, /3 syscall line\(s\) replayed, 0 would be denied/, 'the floor still allows the thread and the ioctl');
});

t.test('replay of strict over the same session lists the calls strict refuses', async (t) => {
  const dir = tempDir(t);
  const log = writeLog(dir, 's.log', [call('read', [0]), call('socket', [17, 3, 0]), call('unshare', [0x10000000])]);
  const r = replay(loadProfile('strict').seccomp as SeccompPolicy, log);
  t.same(r.denials.map((d) => d.syscall).sort(), ['socket', 'unshare']);
  t.equal(r.checked, 3);
});

t.test('bad input: a missing log, a log without syscall lines, a bad output dir — one line, nothing left behind', async (t) => {
  const dir = tempDir(t);
  const missing = cli(['policy', 'learn', join(dir, 'nope.log'), '-o', join(dir, 'x.yaml')]);
  t.not(missing.status, 0);
  t.match(missing.stderr, /^tssandbox: .*nope\.log.*\n$/);
  const empty = join(dir, 'empty.log');
  writeFileSync(empty, '');
  const e = cli(['policy', 'learn', empty, '-o', join(dir, 'x.yaml')]);
  t.not(e.status, 0);
  t.match(e.stderr, /no syscall events/);
  t.notOk(existsSync(join(dir, 'x.yaml')), 'no profile written');
  const noCases = cli(['policy', 'test', 'strict']);
  t.equal(noCases.status, 2);
  t.match(noCases.stderr, /--replay/);
});
