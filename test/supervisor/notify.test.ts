// test/supervisor/notify.test.ts — the notify supervisor under strict: execve argv, connect peers and a denied unshare with its rule in the audit log; fail closed when the supervisor dies (tests, root)
import { readFileSync, mkdirSync, chmodSync } from 'node:fs';
import t from 'tap';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import type { Member } from '../helpers/image-archives.js';
import { rootMissing, Sandbox } from '../helpers/sandbox.js';
import { gone } from '../helpers/pids.js';

const notifMissing = (): string | false => {
  try { return readFileSync('/proc/sys/kernel/seccomp/actions_avail', 'utf8').includes('user_notif') ? false : 'no seccomp user notification in this kernel'; } catch { return 'no /proc/sys/kernel/seccomp/actions_avail'; }
};
const skip = rootMissing() || busyboxMissing() || notifMissing();
const applets: Member[] = ['wget', 'unshare', 'sleep', 'ls', 'cat'].map((a) => ({ name: `./bin/${a}`, type: 'symlink', linkname: 'busybox' }));

interface Line { event: string; seq: number; proc?: { pid: number; comm?: string; argv?: string[] }; syscall?: { name: string; errno?: string; args?: unknown[] }; decision?: { action: string; rule?: string; layer?: string }; resource?: { path?: string; sockaddr?: string }; exited?: { code: number | null } }

const readLog = (sb: Sandbox, id: string): Line[] => readFileSync(sb.path('root', 'containers', id, 'audit.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);


t.test('strict: each execve with its argv, the connect with its address, a denied unshare with its rule', { skip }, async (t) => {
  const sb = new Sandbox('notify');
  t.teardown(() => sb.cleanup());
  await sb.importBusybox('busybox', applets);
  const r = sb.cli(['run', '--name', 'audited', 'busybox', 'sh', '-c', 'cat /etc/hostname; wget -q -O- http://127.0.0.1:1/; ls /; unshare -U true; echo "unshare=$?"']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /unshare=1/, 'unshare still fails for the payload (EPERM)');
  t.match(r.stderr, /unshare.*Operation not permitted/);
  const id = (JSON.parse(sb.cli(['inspect', 'audited']).stdout) as { Id: string }[])[0]!.Id;
  const lines = readLog(sb, id);
  const kinds = lines.map((l) => l.event);
  t.same([kinds[0], kinds[1]], ['created', 'policy.compiled']);
  t.ok(kinds.includes('started'));
  t.equal(kinds[kinds.length - 1], 'exited');
  const execs = lines.filter((l) => l.syscall?.name === 'execve');
  const argvs = execs.map((l) => JSON.stringify(l.proc?.argv));
  // busybox sh runs `ls` as a NOEXEC applet (fork, no execve), so it has no execve line of its own
  for (const want of [['cat', '/etc/hostname'], ['wget', '-q', '-O-', 'http://127.0.0.1:1/'], ['unshare', '-U', 'true']]) {
    t.ok(argvs.includes(JSON.stringify(want)), `execve of ${want.join(' ')} recorded with its argv`);
  }
  t.ok(argvs.includes(JSON.stringify(['sh', '-c', 'cat /etc/hostname; wget -q -O- http://127.0.0.1:1/; ls /; unshare -U true; echo "unshare=$?"'])), 'the payload\'s own execve');
  t.ok(execs.every((l) => l.decision?.action === 'observe' && l.decision.layer === 'notify'), 'execve is observed, never decided');
  t.ok(execs.every((l) => /^profiles\/strict\.yaml:\d+$/.test(l.decision?.rule ?? '')), 'each names the rule that allowed it');
  const conn = lines.filter((l) => l.syscall?.name === 'connect');
  t.ok(conn.some((l) => l.resource?.sockaddr === 'inet:127.0.0.1:1' && l.proc?.comm === 'wget'), 'the connect attempt with its address');
  const un = lines.find((l) => l.syscall?.name === 'unshare');
  t.equal(un?.decision?.action, 'deny');
  t.equal(un?.syscall?.errno, 'EPERM');
  t.match(un?.decision?.rule, /^profiles\/(strict|base\/always)\.yaml:\d+$/, 'the denial names its rule file:line');
  t.equal(un?.syscall?.args?.[0], 0x10000000, 'with its flags (CLONE_NEWUSER)');
  // each line's seq follows the previous: one writer
  t.same(lines.map((l) => l.seq), lines.map((_, i) => i + 1));

  const sum = sb.cli(['audit', 'summary', 'audited']);
  t.equal(sum.code, 0, sum.stderr);
  t.match(sum.stdout, /execve/);
  t.match(sum.stdout, /connect/);
  t.match(sum.stdout, /inet:127\.0\.0\.1:1/);
  t.match(sum.stdout, /unshare\s+\(rule profiles\/(strict|base\/always)\.yaml:\d+\)/, 'summary lists the denial with its rule');
  const v = sb.cli(['audit', 'verify', 'audited']);
  t.equal(v.code, 0, v.stdout + v.stderr);
  t.equal(sb.cli(['rm', 'audited']).code, 0);
  t.same(sb.leftovers(), []);
});

t.test('an open for write is recorded with its path and flags; a read-only open is not', { skip }, async (t) => {
  const sb = new Sandbox('notify-open');
  t.teardown(() => sb.cleanup());
  await sb.importBusybox('busybox', applets);
  const r = sb.cli(['run', '--name', 'w', 'busybox', 'sh', '-c', 'echo hi > /tmp/out.txt; cat /etc/passwd >/dev/null']);
  t.equal(r.code, 0, r.stderr);
  const id = (JSON.parse(sb.cli(['inspect', 'w']).stdout) as { Id: string }[])[0]!.Id;
  const opens = readLog(sb, id).filter((l) => l.syscall?.name.startsWith('open'));
  t.ok(opens.some((l) => l.resource?.path === '/tmp/out.txt' && String(l.syscall?.args?.[0]).includes('O_WRONLY')), 'the write open of /tmp/out.txt');
  t.notOk(opens.some((l) => l.resource?.path === '/etc/passwd'), 'the read-only open stays in the filter');
  t.equal(sb.cli(['rm', 'w']).code, 0);
});

t.test('fail closed: after the supervisor is killed, no notified syscall succeeds and the container is gone', { skip }, async (t) => {
  const sb = new Sandbox('notify-crash');
  t.teardown(() => sb.cleanup());
  await sb.importBusybox('busybox', applets);
  const out = sb.path('out');
  mkdirSync(out);
  chmodSync(out, 0o777);
  // the payload reports every execve that succeeded (ls ran) to the host through a volume
  const r = sb.cli(['run', '-d', '--name', 'victim', '-v', `${out}:/out`, 'busybox', 'sh', '-c', 'i=0; while true; do ls / >/dev/null && echo "ok $i" >> /out/log; i=$((i+1)); sleep 0.05; done']);
  t.equal(r.code, 0, r.stderr);
  const ins = (JSON.parse(sb.cli(['inspect', 'victim']).stdout) as { Id: string; State: { Pid: number; SupervisorPid: number } }[])[0]!;
  const count = () => { try { return readFileSync(`${out}/log`, 'utf8').split('\n').filter(Boolean).length; } catch { return 0; } };
  for (let i = 0; i < 200 && count() < 3; i++) await new Promise((res) => setTimeout(res, 50));
  t.ok(count() >= 3, 'execve succeeds while the supervisor answers');
  process.kill(ins.State.SupervisorPid, 'SIGKILL');
  t.ok(await gone(ins.State.Pid), 'the payload is gone with its supervisor');
  const after = count();
  await new Promise((res) => setTimeout(res, 300));
  t.equal(count(), after, 'nothing ran after');
  const lines = readLog(sb, ins.Id);
  t.ok(lines.filter((l) => l.syscall?.name === 'execve').length >= 3, 'the execs before the kill were recorded');
  t.equal(sb.cli(['rm', 'victim']).code, 0);
  sb.cli(['ps', '-a']);
  t.same(sb.leftovers(), []);
});
