// oci/supervisor-main.ts — the detached OCI supervisor, `node supervisor-main.js DIR` (detached supervisor process; the pid file names it)
//
// It owns the container from create to exit: holds the liveness lock, runs the launcher with the
// caller's stdio on fds 4-6 (the payload gets them as they are), says `created` on fd 3 once the
// payload is set up and waiting at the start gate, serves `start`/`signal`/`status` on the control
// socket, keeps state.json right at every step, and at the end cleans up and EXITS WITH THE
// CONTAINER'S STATUS: conmon and the containerd shim reap this pid to learn it (gVisor's runsc
// model). If it dies, the launcher dies by PDEATHSIG and takes the container with it. For a
// supervised profile (oci/audit.ts) it also answers the seccomp listener and writes the audit log,
// with `run`'s AuditSession; its death closes the listener, so notified calls fail (ENOSYS) until
// the container is gone.
import { closeSync, existsSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { SandboxError } from '../common/errors.js';
import { bindable } from '../sandbox/containers.js';
import { launch, type LaunchHandle } from '../sandbox/launcher.js';
import { holdLock } from '../sandbox/lock.js';
import { serveExec, type ExecRegistration } from '../sandbox/supervise.js';
import { closeFd, dropStartupPages } from '../sandbox/notify/sys.js';
import { sendToAgent } from './agent.js';
import { readOciHandoff, type OciHandoff } from './handoff.js';
import { freeze, thaw } from './pause.js';
import { runStage } from './hooks.js';
import { controlSocket, lockFile, readRecord, writeRecord, type OciRecord } from './state.js';

const REPORT_FD = 3;
let reported = false;

function report(msg: Record<string, unknown>): void {
  if (reported) return;
  reported = true;
  try { writeSync(REPORT_FD, `${JSON.stringify(msg)}\n`); closeSync(REPORT_FD); } catch { /* create is gone */ }
}

async function cleanup(h: OciHandoff): Promise<void> {
  const { createCgroupManager } = await import('../sandbox/cgroups/index.js');
  try { const cg = createCgroupManager().attach(h.id, h.cgroupParent); if (cg) { cg.killAll(); cg.remove(); } } catch { /* delete retries */ }
  rmSync(join(h.dir, 'launch'), { recursive: true, force: true });
  if (h.slotFile) rmSync(h.slotFile, { force: true });
}

async function oomKilled(h: OciHandoff): Promise<boolean> {
  try {
    const { createCgroupManager } = await import('../sandbox/cgroups/index.js');
    return createCgroupManager().attach(h.id, h.cgroupParent)?.oomKilled() ?? false;
  } catch { return false; }
}

export interface OciControlRequest { op: 'status' | 'start' | 'signal' | 'pause' | 'resume' | 'exec'; sig?: number; exec?: ExecRegistration }
export interface OciControlReply { ok: boolean; status?: string; error?: string; exitCode?: number; warnings?: string[] }

function handToAgent(h: OciHandoff, rec: OciRecord, fd: number, kill: () => void): void {
  try {
    sendToAgent(h.agent!, { ociVersion: rec.ociVersion, id: h.id, status: rec.status, pid: rec.payloadPid ?? 0, bundle: rec.bundle, annotations: rec.annotations }, fd);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    kill();
  } finally {
    closeFd(fd);
  }
}

async function main(dir: string): Promise<number> {
  const h = readOciHandoff(dir);
  if (h.slotFile) writeFileSync(h.slotFile, `${h.id} ${process.pid}\n`);
  if (!holdLock(lockFile(dir))) { report({ event: 'error', message: `supervise \`${h.id}\`: another supervisor holds it` }); return 125; }
  let rec: OciRecord = readRecord(h.stateRoot, h.id, 'supervise');
  const set = (r: Partial<OciRecord>) => { rec = { ...rec, ...r }; writeRecord(h.stateRoot, rec); };
  let startWaiters: ((r: OciControlReply) => void)[] = [];
  let handle: LaunchHandle;
  // hooks get the runtime-spec state with the CONTAINER's pid (its namespaces are what they enter), not ours
  const hookState = (status: string, pid?: number) => ({ ociVersion: rec.ociVersion, id: h.id, status, ...(pid ? { pid } : {}), bundle: rec.bundle, annotations: rec.annotations });
  let poststart: Promise<string[]> | undefined;
  // supervised (create wrote notify.json, oci/audit.ts): this process answers the listener and
  // writes the audit log, with run's session code. The log is opened before the launch, so the
  // payload cannot make a notified call before there is somewhere to record it; a log that cannot
  // be opened fails the create (closed)
  const notify = existsSync(join(dir, 'notify.json')) ? await import('../sandbox/notify/index.js') : undefined;
  const killer = { now: () => {} };
  const audit = notify?.openSessionFromState(dir, dir, () => killer.now()) ?? undefined;
  try {
    handle = launch(h.plan, h.what, {
      ...(audit ? audit.hooks() : {}),
      // listenerPath (oci/agent.ts): the listener goes to the bundle's agent and we keep no copy;
      // an agent that cannot be reached kills the container before its first notified call is
      // left waiting (create refused an agent alongside a supervised profile: `audit` is unset)
      ...(h.agent ? { onListener: (fd: number) => handToAgent(h, rec, fd, () => killer.now()) } : {}),
      onPid: (pid) => set({ payloadPid: pid }),
      onHooks: async (pid) => {
        const failed = await runStage(h.hooks, 'prestart', hookState('creating', pid), true);
        if (!failed.length) failed.push(...await runStage(h.hooks, 'createRuntime', hookState('creating', pid), true));
        if (failed.length) throw new SandboxError('TSS_ELAUNCH', `create \`${h.id}\`: ${failed[0]}`, { exitCode: 1 });
      },
      onCreated: () => { set({ status: 'created', pid: process.pid }); report({ event: 'created' }); },
      onStarted: () => {
        set({ status: 'running' });
        audit?.started(rec.payloadPid);
        // poststart hooks run before `start` returns; their failures are warnings start logs
        poststart = runStage(h.hooks, 'poststart', hookState('running', rec.payloadPid), false);
        void poststart.then((warnings) => { for (const w of startWaiters.splice(0)) w({ ok: true, status: 'running', ...(warnings.length ? { warnings } : {}) }); });
        // as run's supervisor: start-up is over, what it touched of node's binary need not stay resident
        setImmediate(dropStartupPages);
      },
    }, [4, 5, 6]);
    const launched = handle;
    killer.now = () => launched.signal(9);
  } catch (e) {
    audit?.close(); // closed (anchor written) before create hears of the failure and removes the log
    report({ event: 'error', message: (e as Error).message, exitCode: e instanceof SandboxError ? e.exitCode : 125 });
    return 125;
  }
  for (const fd of [4, 5, 6]) { try { closeSync(fd); } catch { /* not given */ } }
  // `exec` into an audited container: its processes are answered in this container's session (sandbox/exec-audit.ts)
  const execHandler = audit ? (await import('../sandbox/exec-audit.js')).execAuditHandler(audit) : undefined;
  const execSocks = new Set<Socket>();
  const { path, close } = bindable(controlSocket(dir));
  rmSync(controlSocket(dir), { force: true });
  const server = createServer((sock) => {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('error', () => {});
    sock.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) { if (buf.length > 4096) sock.destroy(); return; }
      const reply = (r: OciControlReply) => { if (!sock.destroyed) sock.end(`${JSON.stringify(r)}\n`); };
      let req: OciControlRequest;
      try { req = JSON.parse(buf.slice(0, nl)) as OciControlRequest; } catch { reply({ ok: false, error: 'malformed request' }); return; }
      if (req.op === 'exec') {
        // an audited exec's listener (oci/exec-run.ts): the connection lasts the exec session and
        // speaks run's exec protocol from here (sandbox/supervise.ts serveExec), not this loop's
        sock.removeAllListeners('data');
        serveExec(sock, execHandler, req.exec, buf.slice(nl + 1), execSocks);
        return;
      }
      buf = '\u0000';
      if (req.op === 'status') reply({ ok: true, status: rec.status });
      else if (req.op === 'signal') {
        handle.signal(req.sig ?? 15);
        // runc thaws a paused container it SIGKILLs: frozen v1 tasks die only once thawed, and
        // delete --force waits for this supervisor to see the container exit
        if (req.sig === 9 && rec.status === 'paused') {
          thaw(h).then(() => { if (rec.status === 'paused') set({ status: 'running' }); }, () => { /* the cleanup's killAll thaws */ });
        }
        reply({ ok: true, status: rec.status });
      } else if (req.op === 'pause' || req.op === 'resume') {
        const pause = req.op === 'pause';
        if (rec.status !== (pause ? 'running' : 'paused')) { reply({ ok: false, error: pause ? `the container is ${rec.status}, not running` : `the container is ${rec.status}, not paused` }); return; }
        // state.json says paused only once the kernel reports the cgroup frozen, running only once thawed
        (pause ? freeze(h) : thaw(h)).then(() => {
          if (rec.status === (pause ? 'running' : 'paused')) set({ status: pause ? 'paused' : 'running' });
          reply({ ok: true, status: rec.status });
        }, (e: unknown) => reply({ ok: false, error: (e as Error).message }));
      }
      else if (req.op === 'start') {
        if (rec.status !== 'created') { reply({ ok: false, error: `the container is ${rec.status}, not created` }); return; }
        startWaiters.push(reply);
        handle.start();
      } else reply({ ok: false, error: 'unknown op' });
    });
  });
  server.on('error', () => {});
  server.on('close', close);
  server.listen(path);
  // a polite shutdown of the host stops the container; the exit status still comes from it
  for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(s, () => handle.signal(15));
  let code: number;
  let signal: number | undefined;
  try {
    const res = await handle.done;
    code = res.code;
    signal = res.signal;
  } catch (e) {
    const err = e as SandboxError;
    code = err instanceof SandboxError ? err.exitCode : 125;
    if (!reported) { audit?.close(); report({ event: 'error', message: err.message, exitCode: code }); server.close(); return 125; }
    for (const w of startWaiters.splice(0)) w({ ok: false, error: err.message, exitCode: code });
  }
  if (poststart) await poststart; // a payload that exited at once was still started: start says so
  for (const w of startWaiters.splice(0)) w({ ok: false, error: `the container exited (${code}) before it started`, exitCode: code });
  if (audit) await audit.exited(code, signal, await oomKilled(h));
  set({ status: 'stopped', exitCode: code });
  await cleanup(h);
  // a finished supervisor waits on no exec's CLI (their processes died with the container)
  for (const s of execSocks) s.destroy();
  server.close();
  return code;
}

const dir = process.argv[2];
if (!dir) { process.stderr.write('usage: supervisor-main DIR\n'); process.exit(2); }
main(dir).then((code) => { process.exitCode = code; }, (e: unknown) => {
  process.stderr.write(`tssandbox oci supervisor: ${(e as Error)?.stack ?? String(e)}\n`);
  report({ event: 'error', message: `supervise \`${dir}\`: ${(e as Error)?.message ?? String(e)}`, exitCode: 125 });
  process.exitCode = 125;
});
