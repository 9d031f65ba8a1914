// test/supervisor/loop.test.ts — the notify loop against a real target: observe answers CONTINUE and records, deny answers the errno after the line, the watchdog kills the target of a hung loop (tests, needs cc and user notification)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { AuditWriter } from '../../audit/writer.js';
import { fastKeys, NotifyLoop } from '../../sandbox/notify/loop.js';
import { AUDIT_ARCH, syscallNumber } from '../../abi/index.js';
import type { NotifyTable } from '../../sandbox/notify/rules.js';
import { closeFd, recvFd, socketPair } from '../../sandbox/notify/sys.js';
import { Watchdog } from '../../sandbox/notify/watchdog.js';
import { REPO_ROOT } from '../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'tss-test-notify-loop-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const bin = join(dir, 'notify-bench');
const built = spawnSync('cc', ['-O2', '-o', bin, join(REPO_ROOT, 'bench/notify-bench.c')], { encoding: 'utf8' });
const notif = (() => { try { return readFileSync('/proc/sys/kernel/seccomp/actions_avail', 'utf8').includes('user_notif'); } catch { return false; } })();
const skip = built.status !== 0 ? `cc failed: ${built.stderr.split('\n')[0]}` : !notif ? 'no seccomp user notification' : process.arch !== 'x64' && process.arch !== 'arm64' ? 'x86_64/aarch64 only' : false;
const policy = { name: 't', defaultAction: { kind: 'allow' as const }, arches: [], foreignAction: { kind: 'kill_process' as const }, rules: [] };
const table = (kind: 'observe' | 'deny'): NotifyTable => ({ entries: [{ rule: 0, syscall: 'getppid', kind, ...(kind === 'deny' ? { errno: 13 } : {}), family: 'test', source: 'test.yaml:1' }], bySyscall: { getppid: [0] } });

/** start the target (notifies getppid n+2 times), hand its listener to a loop */
async function target(n: number) {
  const [mine, theirs] = socketPair();
  const child = spawn(bin, ['target', String(n)], { stdio: ['ignore', 'pipe', 'inherit', theirs] });
  closeFd(theirs);
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('close', (code, signal) => r({ code, signal })));
  let fd = -1;
  for (let i = 0; i < 500 && fd < 0; i++) { fd = recvFd(mine); if (fd < 0) await new Promise((r) => setTimeout(r, 10)); }
  closeFd(mine);
  return { child, fd, exit, out: () => out };
}

t.test('observe: every call is recorded, then continues (getppid returns the real parent)', { skip }, async (t) => {
  const tg = await target(50);
  t.ok(tg.fd >= 0, 'the listener arrived by SCM_RIGHTS');
  const log = join(dir, 'observe.ndjson');
  const w = AuditWriter.open(log, { container: { id: 'obs' } });
  const loop = new NotifyLoop({ fd: tg.fd, table: table('observe'), policy, writer: w });
  const stats = await loop.run();
  closeFd(tg.fd);
  w.close();
  const e = await tg.exit;
  t.equal(e.code, 0);
  const [, ret, err] = tg.out().trim().split(' ');
  t.equal(Number(ret), process.pid, 'CONTINUE: the kernel ran getppid for real');
  t.equal(err, '0');
  t.equal(stats.received, 52);
  t.equal(stats.answered, 52);
  const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { syscall: { name: string }; decision: { action: string; rule: string } });
  t.equal(lines.length, 52, 'one line per call (no rate limiting asked)');
  t.ok(lines.every((l) => l.syscall.name === 'getppid' && l.decision.action === 'observe' && l.decision.rule === 'test.yaml:1'));
});

t.test('observe fast path: after its first call, a task\'s observe-only calls are continued by the notifier thread, each still recorded in order with its /proc facts', { skip }, async (t) => {
  const n = 3000;
  const tg = await target(n);
  const log = join(dir, 'fast.ndjson');
  const w = AuditWriter.open(log, { container: { id: 'fast' } });
  const loop = new NotifyLoop({ fd: tg.fd, table: table('observe'), policy, writer: w });
  const stats = await loop.run();
  closeFd(tg.fd);
  w.close();
  t.equal((await tg.exit).code, 0);
  t.equal(Number(tg.out().trim().split(' ')[1]), process.pid, 'CONTINUE: the kernel ran getppid');
  t.equal(stats.received, n + 2);
  t.equal(stats.answered, n + 2);
  // the first call of the task comes to JS (its /proc facts are read while it waits); every later one
  // is continued by the thread: the task is single-threaded, so this count is exact
  t.equal(stats.fast, n + 1, 'all but the first call continued by the thread');
  const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { seq: number; proc: { pid: number; comm?: string; uid?: number } });
  t.equal(lines.length, n + 2, 'every call recorded (none lost in the hand-over)');
  t.ok(lines.every((l, i) => l.seq === lines[0]!.seq + i), 'in order, no gap');
  t.ok(lines.every((l) => l.proc.pid === tg.child.pid && l.proc.comm === 'notify-bench' && l.proc.uid === 0), 'each with the task\'s pid, comm and uid');
});

t.test('stop() while the thread has calls queued: every call it continued is still recorded', { skip }, async (t) => {
  const tg = await target(100_000_000);
  const log = join(dir, 'stopped.ndjson');
  const w = AuditWriter.open(log, { container: { id: 'stopped' } });
  const loop = new NotifyLoop({ fd: tg.fd, table: table('observe'), policy, writer: w });
  const running = loop.run();
  await new Promise((r) => setTimeout(r, 300));
  // a synchronous stretch lets the thread fill its queue, then stop() comes before JS took it
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  loop.stop();
  const stats = await running;
  w.close();
  tg.child.kill('SIGKILL');
  await tg.exit;
  closeFd(tg.fd);
  const lines = readFileSync(log, 'utf8').trim().split('\n').filter((l) => JSON.parse(l).event === 'syscall');
  t.ok(stats.fast > 0, `the thread continued calls (${stats.fast})`);
  t.equal(lines.length, stats.received, 'one line for every call received, the queued ones included');
  t.equal(stats.answered + stats.gone, stats.received, 'and each was answered');
});

t.test('fastKeys: only syscalls whose every notify entry observes and whose line needs no memory', async (t) => {
  const tbl: NotifyTable = {
    entries: [
      { rule: 0, syscall: 'getppid', kind: 'observe', family: 'a' },
      { rule: 1, syscall: 'execve', kind: 'observe', family: 'a' },
      { rule: 2, syscall: 'connect', kind: 'observe', family: 'a' },
      { rule: 3, syscall: 'uname', kind: 'observe', family: 'a' },
      { rule: 4, syscall: 'uname', kind: 'deny', errno: 1, family: 'a' },
      { rule: 5, syscall: 'mount', kind: 'deny', errno: 1, family: 'a' },
      { rule: 6, syscall: 'getpid', kind: 'observe', family: 'a' },
      { rule: 7, syscall: 'getpid', kind: 'observe', family: 'b' },
    ],
    bySyscall: { getppid: [0], execve: [1], connect: [2], uname: [3, 4], mount: [5], getpid: [6, 7] },
  };
  const keys = fastKeys(tbl);
  const pairs = new Set<string>();
  for (let i = 0; i < keys.length; i += 2) pairs.add(`${keys[i]}:${keys[i + 1]}`);
  const has = (name: string) => pairs.has(`${AUDIT_ARCH.x86_64 >>> 0}:${syscallNumber('x86_64', name)}`);
  t.ok(has('getppid') && has('getpid'), 'observe-only, registers-only: fast (several observe entries too)');
  t.notOk(has('execve') || has('connect'), 'lines that read memory (argv, sockaddr) stay with JS');
  t.notOk(has('uname'), 'a syscall with a deny entry stays with JS (which entry matched is decided there)');
  t.notOk(has('mount'), 'deny: never fast');
  t.ok(pairs.has(`${AUDIT_ARCH.i386 >>> 0}:${syscallNumber('i386', 'getppid')}`), 'every arch the filter lets through, by its own numbers');
});

t.test('deny: the errno is answered, after the line', { skip }, async (t) => {
  const tg = await target(3);
  const log = join(dir, 'deny.ndjson');
  const w = AuditWriter.open(log, { container: { id: 'deny' } });
  let linesAtAnswer = -1;
  // the line must exist when the answer goes out: count lines from inside append's check hook
  const loop = new NotifyLoop({ fd: tg.fd, table: table('deny'), policy, writer: w, beat: () => { linesAtAnswer = w.head.seq; } });
  const stats = await loop.run();
  closeFd(tg.fd);
  w.close();
  await tg.exit;
  const [, ret, err] = tg.out().trim().split(' ');
  t.equal(ret, '-1');
  t.equal(err, '13', 'EACCES from the table');
  t.equal(stats.denied, 5);
  t.equal(linesAtAnswer, 5, 'the last answer went out after its line was written');
  const last = JSON.parse(readFileSync(log, 'utf8').trim().split('\n').pop()!) as { syscall: { errno: string }; decision: { action: string } };
  t.equal(last.decision.action, 'deny');
  t.equal(last.syscall.errno, 'EACCES');
});

t.test('watchdog: a loop that stops answering gets its target killed', { skip }, async (t) => {
  const tg = await target(100_000_000);
  const w = AuditWriter.open(join(dir, 'hung.ndjson'), { container: { id: 'hung' } });
  const dog = new Watchdog(tg.fd, tg.child.pid!, 300);
  const loop = new NotifyLoop({ fd: tg.fd, table: table('observe'), policy, writer: w, beat: () => dog.beat() });
  const running = loop.run();
  await new Promise((r) => setTimeout(r, 200));
  t.ok(loop.stats.answered > 0, 'answering at first');
  const before = loop.stats.received;
  // the event loop hangs (a synchronous wait): the target waits in a notified call meanwhile
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);
  const e = await tg.exit;
  // the notifier thread answers observe-only calls by itself, but no further than the queue's bound
  // while JS records nothing (1.5 s unbounded would be ~10^5 calls): an unrecorded container stops
  t.ok(loop.stats.received - before <= 600, `the thread stopped at its bound while JS hung (${loop.stats.received - before} calls)`);
  t.equal(e.signal, 'SIGKILL', 'the watchdog killed the target');
  t.ok(dog.fired);
  await running;
  await dog.stop();
  closeFd(tg.fd);
  w.close();
});

t.test('watchdog: stopped right after it started, stop waits for its process to be gone', { skip }, async (t) => {
  // a container that ends in milliseconds: no watchdog process may outlive its supervisor's stop
  const tg = await target(1);
  const dog = new Watchdog(tg.fd, tg.child.pid!, 10_000);
  t.ok(dog.pid, 'a watchdog process was started');
  await dog.stop();
  t.ok(dog.gone, 'the watchdog process exited before stop() returned');
  t.notOk(existsSync(`/proc/${dog.pid}`), 'and it is reaped: no process left');
  t.notOk(dog.fired);
  closeFd(tg.fd);
  await tg.exit;
});

t.test('watchdog: a healthy loop is left alone', { skip }, async (t) => {
  const tg = await target(20_000);
  const w = AuditWriter.open(join(dir, 'ok.ndjson'), { container: { id: 'ok' } });
  const dog = new Watchdog(tg.fd, tg.child.pid!, 300);
  const loop = new NotifyLoop({ fd: tg.fd, table: table('observe'), policy, writer: w, beat: () => dog.beat() });
  await loop.run();
  await dog.stop();
  closeFd(tg.fd);
  w.close();
  const e = await tg.exit;
  t.equal(e.code, 0);
  t.notOk(dog.fired);
});
