// sandbox/supervisor-main.ts — the detached per-container supervisor, `node supervisor-main.js STATEDIR` (detached supervisor process)
//
// Lean on purpose (measured by bench/supervisor.ts): it imports the launcher, the log writer and
// the control socket, nothing of images or policy; the cgroup code loads only at exit. It owns the
// container from the hand-over on: it takes the id-range slot and the liveness lock, runs the
// launcher with stdin /dev/null and stdout/stderr into the capped log, tells the CLI on fd 3 that
// the payload started (or the step that failed), serves the control socket, records the exit and
// cleans up. If it dies, the launcher dies by PDEATHSIG and takes the container with it; the next
// command's reapStale records "supervisor died" and removes what is left.
import { closeSync, existsSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { SandboxError } from '../common/errors.js';
import { lockPath, logPath, recordDir, socketPath } from './containers.js';
import { readHandoff, type Handoff } from './handoff.js';
import { launch } from './launcher.js';
import { holdLock } from './lock.js';
import { dropStartupPages } from './notify/sys.js';
import { LogWriter } from './logs.js';
import { Supervisor } from './supervise.js';
import { netnsHook, releaseNetwork, startPorts, type PortProxy } from './network/index.js';

/** the published ports' proxy, owned by this supervisor (stopped by cleanup) */
let proxy: PortProxy | null = null;

const REPORT_FD = 3;

function report(msg: Record<string, unknown>): void {
  try { writeSync(REPORT_FD, `${JSON.stringify(msg)}\n`); closeSync(REPORT_FD); } catch { /* the CLI is gone: nobody to tell */ }
}

async function cleanup(h: Handoff, removeRecord: boolean): Promise<void> {
  const { createCgroupManager } = await import('./cgroups/index.js');
  try { const cg = createCgroupManager().attach(h.id, h.cgroupParent); if (cg) { cg.killAll(); cg.remove(); } } catch { /* reapStale retries */ }
  proxy?.stop();
  releaseNetwork(h.stateDir);
  rmSync(h.stateDir, { recursive: true, force: true });
  if (removeRecord) rmSync(recordDir(h.root, h.id), { recursive: true, force: true });
  rmSync(h.slotFile, { force: true });
}

async function oomKilled(h: Handoff): Promise<boolean> {
  try {
    const { createCgroupManager } = await import('./cgroups/index.js');
    return createCgroupManager().attach(h.id, h.cgroupParent)?.oomKilled() ?? false;
  } catch { return false; }
}

async function main(stateDir: string): Promise<number> {
  const h = readHandoff(stateDir);
  // --audit-key: the key file the CLI checked is open on h.auditKeyFd. It is read and closed before
  // anything is started, so no child of ours (launcher, watchdog, port proxy) inherits it
  let key: Buffer | undefined;
  let keyError: string | undefined;
  if (h.auditKeyFd !== undefined) {
    const { readKeyFd } = await import('../audit/key.js');
    try { key = readKeyFd(h.auditKeyFd, `audit key (fd ${h.auditKeyFd})`); } catch (e) { keyError = (e as Error).message; }
    try { closeSync(h.auditKeyFd); } catch { /* not open: keyError says so */ }
  }
  // from here this process owns the id range: reapStale must see a live owner
  writeFileSync(h.slotFile, `${h.id} ${process.pid}\n`);
  if (!holdLock(lockPath(stateDir))) { report({ event: 'error', message: `supervise \`${h.id.slice(0, 12)}\`: another supervisor holds it`, exitCode: 125 }); return 125; }
  const sup = new Supervisor(h.root, h.id, h.stopSignal);
  const log = new LogWriter(logPath(h.root, h.id));
  // supervised (prepare wrote notify.json): this process answers the notifications and writes the audit log
  const notify = existsSync(`${stateDir}/notify.json`) ? await import('./notify/index.js') : undefined;
  // fail closed: a log that was asked to be keyed is never written without its key
  if (keyError || (notify?.sessionWantsKey(stateDir) && !key)) {
    await cleanup(h, true);
    report({ event: 'error', message: keyError ?? `supervise \`${h.id.slice(0, 12)}\`: the audit log is to be keyed but no key was handed over`, exitCode: 125 });
    return 125;
  }
  const killer = { now: () => {} };
  const audit = notify?.openSessionFromState(stateDir, recordDir(h.root, h.id), () => killer.now(), key) ?? undefined;
  // `exec` into this container hands its listener here (exec-audit.ts): audited in the same log
  if (audit) sup.execHandler = (await import('./exec-audit.js')).execAuditHandler(audit);
  let payloadPid: number | undefined;
  let handle;
  try {
    // published ports are bound before the payload exists (a busy port fails the run); the proxy enters the namespace on onPid
    proxy = await startPorts(JSON.parse(readFileSync(`${recordDir(h.root, h.id)}/config.json`, 'utf8')).spec, h.stateDir, recordDir(h.root, h.id), h.what);
    handle = launch(h.plan, h.what, {
      onPid: (pid) => { payloadPid = pid; proxy?.go(); sup.running(pid); },
      // rootless -p: slirp4netns comes up in the namespace before the payload exists (network/usernet.ts)
      ...netnsHook(proxy),
      onStarted: () => {
        audit?.started(payloadPid);
        report({ event: 'started' });
        // start-up is over: what it touched of node's binary need not stay resident for the container's life
        setImmediate(dropStartupPages);
      },
      ...(audit ? audit.hooks() : {}),
    }, ['ignore', 'pipe', 'pipe']);
    const launched = handle;
    killer.now = () => launched.signal(9);
  } catch (e) {
    audit?.close();
    if (audit) { rmSync(audit.log, { force: true }); rmSync(audit.anchor, { force: true }); } // it never started: nothing is left
    await cleanup(h, true);
    report({ event: 'error', message: (e as Error).message, exitCode: e instanceof SandboxError ? e.exitCode : 125 });
    return 125;
  }
  sup.attach(handle, h.timeout);
  sup.serve(socketPath(stateDir));
  // a polite shutdown of the host (SIGTERM to everyone) stops the container the way `stop` would
  for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(s, () => sup.stop());
  const drained = Promise.all([handle.stdout, handle.stderr].map((st, i) => new Promise<void>((resolve) => {
    if (!st) { resolve(); return; }
    st.on('data', (c: Buffer) => log.write(i ? 'stderr' : 'stdout', c));
    st.on('close', resolve);
    st.on('error', () => resolve());
  })));
  try {
    const res = await handle.done;
    await drained;
    log.close();
    const oom = await oomKilled(h);
    await audit?.exited(res.code, res.signal, oom);
    sup.exited(oom && res.signal === 9 ? 137 : res.code, oom);
    await cleanup(h, h.rm);
    sup.done();
    return 0;
  } catch (e) {
    // the launch failed at a named step: nothing of the container may remain
    log.close();
    audit?.close();
    if (audit) { rmSync(audit.log, { force: true }); rmSync(audit.anchor, { force: true }); } // it never started: nothing is left
    await cleanup(h, true);
    report({ event: 'error', message: (e as Error).message, exitCode: e instanceof SandboxError ? e.exitCode : 125 });
    sup.done();
    return 125;
  }
}

const dir = process.argv[2];
if (!dir) { process.stderr.write('usage: supervisor-main STATEDIR\n'); process.exit(2); }
main(dir).then((code) => { process.exitCode = code; }, (e: unknown) => {
  process.stderr.write(`tssandbox supervisor: ${(e as Error)?.stack ?? String(e)}\n`);
  report({ event: 'error', message: `supervise \`${dir}\`: ${(e as Error)?.message ?? String(e)}`, exitCode: 125 });
  process.exitCode = 125;
});
