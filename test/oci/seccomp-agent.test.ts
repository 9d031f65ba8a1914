// test/oci/seccomp-agent.test.ts — linux.seccomp.listenerPath: the bundle's notify rules are decided by an external agent that gets the listener per the runtime-spec; refused next to our supervisor; an agent gone means ENOSYS (tests, root)
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { OciEnv, rootMissing } from './bundle.js';

const AGENT = join(REPO_ROOT, 'build', 'fixtures', 'seccomp-agent');
const notifMissing = (): string | false => {
  try { return readFileSync('/proc/sys/kernel/seccomp/actions_avail', 'utf8').includes('user_notif') ? false : 'no seccomp user notification in this kernel'; } catch { return 'no /proc/sys/kernel/seccomp/actions_avail'; }
};
const skip = rootMissing() || busyboxMissing() || notifMissing() || (existsSync(AGENT) ? false : 'build/fixtures/seccomp-agent not built (npm run build)');

interface ProcessState { ociVersion: string; fds: string[]; pid: number; metadata?: string; state: { id: string; pid: number; bundle: string; status: string } }

if (skip) t.plan(0, skip);
else {
  const env = new OciEnv('agent');
  const agents: ChildProcess[] = [];
  t.teardown(() => {
    // an agent still waiting (a refused create never connects) is ended by its pid; one already gone is left
    for (const a of agents) if (a.exitCode === null && a.signalCode === null && a.pid) { try { process.kill(a.pid, 'SIGKILL'); } catch { /* gone meanwhile */ } }
    env.cleanup();
  });
  // the node's profile is default (no supervisor): the listener is free for the bundle's agent
  const cfg = join(env.dir, 'oci.json');
  writeFileSync(cfg, JSON.stringify({ profile: 'default', allow: ['default', 'strict'] }));
  process.env.TSSANDBOX_OCI_CONFIG = cfg;

  /** startAgent: the fixture listening on SOCK; resolves once it is ready, `done` when it exits */
  const startAgent = (name: string, mode: 'answer' | 'die') => new Promise<{ sock: string; log: string; done: Promise<number> }>((resolve, reject) => {
    const sock = join(env.dir, `${name}.sock`), log = join(env.dir, `${name}.log`);
    const a = spawn(AGENT, [sock, log, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    agents.push(a);
    const done = new Promise<number>((r) => a.on('exit', (c) => r(c ?? -1)));
    a.on('error', reject);
    createInterface({ input: a.stdout! }).once('line', () => resolve({ sock, log, done }));
  });
  const seccomp = (sock: string) => ({
    defaultAction: 'SCMP_ACT_ALLOW', listenerPath: sock, listenerMetadata: 'course=netsec',
    syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }],
  });
  const CMD = 'mkdir /tmp/made; echo "mkdir=$?"; if [ -d /tmp/made ]; then echo present; else echo absent; fi';

  t.test('the agent gets containerProcessState and the listener, and decides the container\'s mkdir', async (t) => {
    const ag = await startAgent('a1', 'answer');
    const b = await env.bundle('agent', (c) => { c.linux.seccomp = seccomp(ag.sock); c.process.args = ['sh', '-c', CMD]; });
    const id = env.newId('agt');
    const out = join(env.dir, `${id}.out`);
    const run = env.create(id, b, out);
    t.equal(await run.created, 0, 'create succeeds');
    t.equal(env.oci(['start', id]).code, 0, 'start');
    t.equal((await run.exited).status, 0, 'the payload exits 0');
    // the agent answered "success" without making it: only it can have decided
    t.match(readFileSync(out, 'utf8'), /mkdir=0\nabsent/, 'mkdir returned 0, yet no directory exists: the agent answered it');
    // an agent that never got the listener would wait in accept() forever: a generous bound, not a timing
    const ended = await Promise.race([ag.done, new Promise<string>((r) => setTimeout(() => r('still waiting after 120 s'), 120_000).unref())]);
    t.equal(ended, 0, 'the agent ends when the container is gone');
    const lines = readFileSync(ag.log, 'utf8').split('\n');
    const st = JSON.parse(lines.find((l) => l.startsWith('state '))!.slice(6)) as ProcessState;
    t.same(st.fds, ['seccompFd'], 'containerProcessState names the fd it carries');
    t.equal(st.metadata, 'course=netsec', 'listenerMetadata passed on');
    t.equal(st.state.id, id, 'the container\'s id');
    t.equal(st.state.bundle, b, 'its bundle');
    t.ok(st.pid > 0 && st.state.pid === st.pid, 'the container process\'s pid');
    t.ok(lines.some((l) => /^notif (83|258)$/.test(l)), 'the agent received the mkdir/mkdirat notification');
    t.equal(env.oci(['delete', id]).code, 0, 'delete');
    t.same(env.leftovers([id]), [], 'nothing left');
  });

  t.test('the agent dies after taking the listener: the container\'s notified calls fail with ENOSYS (no copy of ours answers)', async (t) => {
    const ag = await startAgent('a2', 'die');
    const b = await env.bundle('agent-die', (c) => { c.linux.seccomp = seccomp(ag.sock); c.process.args = ['sh', '-c', 'sleep 1; mkdir /tmp/made 2>&1; echo "mkdir=$?"']; });
    const id = env.newId('agtdie');
    const out = join(env.dir, `${id}.out`);
    const run = env.create(id, b, out);
    t.equal(await run.created, 0, 'create succeeds');
    t.equal(env.oci(['start', id]).code, 0, 'start');
    t.equal(await ag.done, 0, 'the agent exited');
    t.equal((await run.exited).status, 0, 'the payload runs on');
    t.match(readFileSync(out, 'utf8'), /Function not implemented[^]*mkdir=1/, 'mkdir: ENOSYS');
    t.equal(env.oci(['delete', id]).code, 0, 'delete');
  });

  t.test('an agent that is gone when the listener is ready: the container is killed, not left with calls nobody answers', async (t) => {
    const ag = await startAgent('a4', 'answer');
    const b = await env.bundle('agent-gone', (c) => { c.linux.seccomp = seccomp(ag.sock); c.process.args = ['sh', '-c', CMD]; });
    const id = env.newId('agtgone');
    const out = join(env.dir, `${id}.out`);
    const run = env.create(id, b, out);
    t.equal(await run.created, 0, 'create succeeds (the socket is there)');
    const a = agents[agents.length - 1]!;
    process.kill(a.pid!, 'SIGKILL');
    await ag.done;
    t.ok(existsSync(ag.sock), 'its socket file stays, with nobody listening');
    // start may answer before the hand-off fails (the payload has exec'd by then): what matters is
    // that the container is killed rather than left blocked or answered by nobody
    env.oci(['start', id]);
    t.equal((await run.exited).status, 137, 'the container was killed');
    t.notMatch(readFileSync(out, 'utf8'), /mkdir=/, 'the payload never got past its first notified call');
    t.match(readFileSync(join(env.state, id, 'supervisor.log'), 'utf8'), /hand the seccomp listener to `[^`]*a4\.sock`: ECONNREFUSED/, 'the supervisor log names the agent and the reason');
    t.equal(env.oci(['delete', '--force', id]).code, 0, 'delete');
  });

  t.test('refusals: next to our supervisor (strict by annotation), a path that is not a socket — one line, nothing left', async (t) => {
    const ag = await startAgent('a3', 'answer');
    const b = await env.bundle('agent-strict', (c) => { c.linux.seccomp = seccomp(ag.sock); c.annotations = { 'org.tssandbox.profile': 'strict' }; c.process.args = ['true']; });
    const id = env.newId('agtref');
    const r = env.oci(['create', '--bundle', b, id]);
    t.not(r.code, 0, 'create fails');
    t.match(r.stderr.trim(), /^.*listenerPath.*profile strict's supervisor owns the container's one seccomp listener[^\n]*$/, 'one line naming the conflict');
    const nb = await env.bundle('agent-nosock', (c) => { c.linux.seccomp = seccomp(join(env.dir, 'oci.json')); c.process.args = ['true']; });
    const id2 = env.newId('agtnosock');
    const r2 = env.oci(['create', '--bundle', nb, id2]);
    t.not(r2.code, 0, 'create fails');
    t.match(r2.stderr, /listenerPath .*oci\.json.*is not a unix socket/, 'naming the path and the reason');
    t.same(env.leftovers([id, id2]), [], 'nothing left');
  });
}
