// test/supervisor/ptrace-failclosed.test.ts — --supervisor ptrace fails closed: a killed supervisor or a killed tracer takes the container with it, no tracer is left behind; under an outer sandbox holding the listener, auto falls back to ptrace (tests, root)
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import type { Member } from '../helpers/image-archives.js';
import { BUILD, CLI } from '../helpers/paths.js';
import { rootMissing, Sandbox } from '../helpers/sandbox.js';
import { gone } from '../helpers/pids.js';

const TRACER = join(BUILD, 'tracer');
const OUTER = join(BUILD, 'fixtures', 'outer-listener');
const builtMissing = (): string | false => (existsSync(TRACER) && existsSync(OUTER) ? false : 'build/tracer or build/fixtures/outer-listener not built (npm run build)');
const skip = rootMissing() || busyboxMissing() || builtMissing();
const applets: Member[] = ['cat', 'sleep', 'sh'].map((a) => ({ name: `./bin/${a}`, type: 'symlink', linkname: 'busybox' }));

interface Line { event: string; syscall?: { name: string }; proc?: { argv?: string[] }; decision?: { layer?: string } }
const readLog = (sb: Sandbox, id: string): Line[] => readFileSync(sb.path('root', 'containers', id, 'audit.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);

/** the host pid tracing pid (TracerPid in the host's view), 0 when none */
const tracerOf = (pid: number): number => Number(/^TracerPid:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

/** start a detached traced container that appends a line per successful exec to a volume; returns what the test needs */
async function startVictim(t: Test, sb: Sandbox, name: string) {
  const out = sb.path(`out-${name}`);
  mkdirSync(out);
  chmodSync(out, 0o777);
  const r = sb.cli(['run', '-d', '--name', name, '--supervisor', 'ptrace', '-v', `${out}:/out`, 'busybox', 'sh', '-c', 'i=0; while true; do cat /etc/hostname >/dev/null && echo "ok $i" >> /out/log; i=$((i+1)); sleep 0.05; done']);
  t.equal(r.code, 0, r.stderr);
  const ins = (JSON.parse(sb.cli(['inspect', name]).stdout) as { Id: string; State: { Pid: number; SupervisorPid: number } }[])[0]!;
  const count = () => { try { return readFileSync(`${out}/log`, 'utf8').split('\n').filter(Boolean).length; } catch { return 0; } };
  for (let i = 0; i < 200 && count() < 3; i++) await new Promise((res) => setTimeout(res, 50));
  t.ok(count() >= 3, 'execve succeeds while the tracer and the supervisor answer');
  const tracer = tracerOf(ins.State.Pid);
  t.ok(tracer > 0 && readlinkSync(`/proc/${tracer}/exe`) === TRACER, 'the payload is traced by build/tracer');
  t.equal(Number(/^PPid:\s*(\d+)/m.exec(readFileSync(`/proc/${tracer}/status`, 'utf8'))?.[1]), ins.State.SupervisorPid, 'a child of its supervisor');
  return { id: ins.Id, pid: ins.State.Pid, supervisor: ins.State.SupervisorPid, tracer, count };
}

t.test('the supervisor killed: the tracer and the container go with it, nothing runs after', { skip }, async (t) => {
  const sb = new Sandbox('ptrace-crash');
  t.teardown(() => sb.cleanup());
  await sb.importBusybox('busybox', applets);
  const v = await startVictim(t, sb, 'victim');
  process.kill(v.supervisor, 'SIGKILL');
  t.ok(await gone(v.tracer), 'the tracer died with its supervisor (PDEATHSIG): no stray tracer');
  t.ok(await gone(v.pid), 'the payload is gone');
  const after = v.count();
  await new Promise((res) => setTimeout(res, 300));
  t.equal(v.count(), after, 'nothing ran after');
  t.ok(readLog(sb, v.id).filter((l) => l.syscall?.name === 'execve').length >= 3, 'the execs before the kill were recorded');
  t.equal(sb.cli(['rm', 'victim']).code, 0);
  sb.cli(['ps', '-a']);
  t.same(sb.leftovers(), []);
});

t.test('the tracer killed: EXITKILL ends the container, and its supervisor records the exit', { skip }, async (t) => {
  const sb = new Sandbox('ptrace-tracer-kill');
  t.teardown(() => sb.cleanup());
  await sb.importBusybox('busybox', applets);
  const v = await startVictim(t, sb, 'victim');
  process.kill(v.tracer, 'SIGKILL');
  t.ok(await gone(v.pid), 'the payload died with its tracer (PTRACE_O_EXITKILL)');
  const after = v.count();
  await new Promise((res) => setTimeout(res, 300));
  t.equal(v.count(), after, 'nothing ran after');
  const w = sb.cli(['wait', 'victim']);
  t.equal(w.stdout.trim(), '137', 'exit 137: killed');
  t.ok(await gone(v.supervisor), 'the supervisor finished');
  t.ok(readLog(sb, v.id).some((l) => l.event === 'exited'), 'the log records the exit');
  t.equal(sb.cli(['rm', 'victim']).code, 0);
  t.same(sb.leftovers(), []);
});

t.test('a hung supervisor (stopped): the tracer stops waiting for its verdict and kills the container', { skip }, async (t) => {
  const sb = new Sandbox('ptrace-hung');
  t.teardown(() => sb.cleanup());
  await sb.importBusybox('busybox', applets);
  const v = await startVictim(t, sb, 'victim');
  process.kill(v.supervisor, 'SIGSTOP');
  try {
    // the next exec waits for a verdict that cannot come; the tracer's stall bound (10 s) ends it
    t.ok(await gone(v.pid, 1200), 'the payload was killed while its supervisor hung');
  } finally {
    process.kill(v.supervisor, 'SIGCONT');
  }
  t.equal(sb.cli(['wait', 'victim']).stdout.trim(), '137', 'the supervisor, running again, records the kill');
  t.ok(await gone(v.tracer), 'no tracer left');
  t.equal(sb.cli(['rm', 'victim']).code, 0);
  t.same(sb.leftovers(), []);
});

t.test('the log stops taking lines (ENOSPC): the call is refused and the container killed; every exec that ran was recorded', { skip }, async (t) => {
  const sb = new Sandbox('ptrace-full');
  t.teardown(() => sb.cleanup());
  await sb.importBusybox('busybox', applets);
  for (const mode of ['ptrace', 'notify']) {
    // a 16 KiB tmpfs holds the log: it fills after a few lines
    const small = sb.path(`small-${mode}`);
    const out = sb.path(`out-${mode}`);
    mkdirSync(small);
    mkdirSync(out);
    chmodSync(out, 0o777);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tss-test', small]);
    t.teardown(() => { spawnSync('umount', [small]); });
    // each exec has argv of its own, so rate limiting drops none of their lines
    const r = sb.cli(['run', '--rm', '--supervisor', mode, '--audit-log', `${small}/audit.ndjson`, '-v', `${out}:/out`, 'busybox', 'sh', '-c', 'i=0; while [ $i -lt 500 ]; do sh -c true $i && echo "$i" >> /out/log; i=$((i+1)); done']);
    t.equal(r.code, 137, `${mode}: the container was killed`);
    t.match(r.stderr, /audit log .*ENOSPC.*the container was killed/, `${mode}: and the run says why`);
    const ran = readFileSync(`${out}/log`, 'utf8').split('\n').filter(Boolean);
    const logged = new Set(readFileSync(`${small}/audit.ndjson`, 'utf8').split('\n').flatMap((l) => {
      try { const e = JSON.parse(l) as Line; return e.syscall?.name === 'execve' && e.proc?.argv?.[2] === 'true' ? [e.proc.argv[3]] : []; } catch { return []; }
    }));
    t.ok(ran.length > 0 && ran.length < 500, `${mode}: some execs ran before the log filled, not all`);
    t.same(ran.filter((i) => !logged.has(i)), [], `${mode}: no exec ran without its line`);
    spawnSync('umount', [small]);
  }
  t.same(sb.leftovers(), []);
});

t.test('under an outer sandbox holding the listener: notify fails naming EBUSY, auto falls back to ptrace', { skip }, async (t) => {
  const sb = new Sandbox('ptrace-nested');
  t.teardown(() => sb.cleanup());
  await sb.importBusybox('busybox', applets);
  const nested = (args: string[]) => {
    const r = spawnSync(OUTER, [process.execPath, CLI, 'run', '--cgroup-parent', sb.cgroupParent, ...args], { env: sb.env(), encoding: 'utf8', timeout: 120_000 });
    return { code: r.status ?? 137, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  const n = nested(['--rm', '--supervisor', 'notify', 'busybox', 'cat', '/etc/hostname']);
  t.equal(n.code, 125, 'notify cannot run there');
  t.match(n.stderr, /seccomp \(new listener\).*EBUSY/, 'the failing step names the listener and EBUSY');
  const a = nested(['--name', 'auto', 'busybox', 'cat', '/etc/hostname']);
  t.equal(a.code, 0, a.stderr);
  const id = (JSON.parse(sb.cli(['inspect', 'auto']).stdout) as { Id: string }[])[0]!.Id;
  const execs = readLog(sb, id).filter((l) => l.syscall?.name === 'execve');
  // the launcher looks `cat` up on PATH: each execve it tries is a line of its own
  t.ok(execs.length > 0 && execs.every((l) => JSON.stringify(l.proc?.argv) === '["cat","/etc/hostname"]'), 'the payload\'s execve recorded with its argv');
  t.ok(execs.every((l) => l.decision?.layer === 'ptrace'), 'by the ptrace supervisor');
  t.equal(sb.cli(['rm', 'auto']).code, 0);
  t.same(sb.leftovers(), []);
});
