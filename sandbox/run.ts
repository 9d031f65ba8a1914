// sandbox/run.ts — `run`: resolve, check, build, then launch in the foreground or hand over to a detached supervisor (parent, runtime process)
//
// Everything that can refuse (profile, flags, image) runs before anything is created on the host;
// everything created is registered on a cleanup stack that runs on every path, so a failed or
// interrupted run leaves no mount, cgroup, directory or id range behind.
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants } from 'node:os';
import { SandboxError } from '../common/errors.js';
import { openStore } from '../image/store.js';
import type { ResolvedImage } from '../image/types.js';
import { loadRunPolicy } from '../policy/run-cache.js';
import { createCgroupManager } from './cgroups/index.js';
import { buildDockerSpec } from './docker-spec.js';
import type { RunOptions } from './flags.js';
import { allocateIdRange } from './idrange.js';
import { planLaunch } from './launch-plan.js';
import { launch } from './launcher.js';
import { socketPath, type ContainerConfig } from './containers.js';
import { Supervisor } from './supervise.js';
import type { LaunchPlan } from './plan.js';
import type { CgroupHandle } from './cgroups/index.js';
import { ANN } from './oci-spec.js';
import { dataRoot, DEMO_REF, DEMO_TAR, PACKAGE_ROOT, runRoot } from './paths.js';
import { writeHandoff } from './handoff.js';
import { spawnSupervisor } from './supervisor-spawn.js';
import { checkAuditFlags, closeAuditKey, type AuditFlags } from './audit-flags.js';
import { containerName, ensureNameFree } from './names.js';
import { reapStale } from './stale.js';
import type { Supervision } from './notify/index.js';
import { netnsHook, prepareNetwork, startPorts } from './network/index.js';
import { parseSupervisorFlag } from './notify/mode.js';
import { isRootless, rootlessIds } from './rootless.js';
import { limitsWarning, refuseUnenforcedLimits } from './rootless-limits.js';

export interface RunResult { readonly id: string; readonly code: number; readonly oomKilled: boolean; readonly timedOut: boolean }

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

export async function resolveImage(root: string, ref: string): Promise<ResolvedImage> {
  const store = openStore(root);
  try {
    return await store.resolve(ref);
  } catch (e) {
    // the embedded demo image is built during install and stored on first use
    if (!(e instanceof SandboxError) || e.code !== 'TSS_EIMAGE' || !isDemo(ref)) throw e;
    await store.importRootfs(DEMO_TAR, DEMO_REF, { changes: ['CMD ["/hello"]', 'LABEL org.opencontainers.image.description="tssandbox demo: a static hello, FROM scratch"'] });
    return store.resolve(DEMO_REF);
  }
}

/** withRunExit keeps docker's contract for run: a failure of tssandbox itself exits 125. */
function withRunExit<T>(f: () => T): T {
  try { return f(); } catch (e) {
    if (e instanceof SandboxError && e.exitCode !== 125) throw new SandboxError(e.code, e.message, { cause: e, exitCode: 125 });
    throw e;
  }
}

async function withRunExitAsync<T>(f: () => Promise<T>): Promise<T> {
  try { return await f(); } catch (e) {
    if (e instanceof SandboxError && e.exitCode !== 125) throw new SandboxError(e.code, e.message, { cause: e, exitCode: 125 });
    throw e;
  }
}

/** scanGate: `--scan warn` reports the image's findings, `--scan enforce` refuses one with a high or critical finding. */
async function scanGate(root: string, image: ResolvedImage, mode: string, warn: (s: string) => void): Promise<void> {
  if (mode !== 'warn' && mode !== 'enforce') throw new SandboxError('TSS_EUSAGE', `run \`--scan ${mode}\`: expected off, warn or enforce`);
  const { scanImage, exceeds } = await import('../image/scan/index.js');
  const report = await scanImage(openStore(root), image.id, { clamscan: false });
  const s = report.summary;
  const line = `scan of ${image.ref}: ${s.critical} critical, ${s.high} high, ${s.medium} medium, ${s.low} low (tssandbox scan ${image.ref} for details)`;
  if (mode === 'enforce' && exceeds(report, 'high')) throw new SandboxError('TSS_ESCAN', `run \`${image.ref}\`: refused by --scan enforce: ${line.slice(line.indexOf(': ') + 2)}`);
  warn(line);
}

function isDemo(ref: string): boolean { return ref === DEMO_REF || ref === DEMO_REF.replace(/:latest$/, ''); }

/** A container made on the host and ready to launch; undo() removes every piece of it. */
export interface Prepared {
  readonly id: string;
  readonly name: string;
  readonly root: string;
  readonly run: string;
  readonly stateDir: string;
  readonly ctrDir: string;
  readonly slotFile: string;
  readonly plan: LaunchPlan;
  readonly config: ContainerConfig;
  readonly cg: CgroupHandle;
  readonly timeout?: number;
  /** a supervised profile: the notify filter and the audit session opener (sandbox/notify/) */
  readonly supervision?: Supervision;
  /** --audit-log and --audit-key (sandbox/audit-flags.ts); undo() closes the key file */
  readonly audit: AuditFlags;
  /** run every cleanup step registered so far, newest first; idempotent */
  undo(): void;
  /** add a cleanup step */
  push(f: () => void): void;
  /** the container ran: undo() leaves its record (config, state, log) for ps -a */
  keepRecord(): void;
}

/** prepare does everything up to the launch: refusals first, then what it creates, each with its undo. */
export async function prepare(o: RunOptions, rootFlag: string | undefined, warn: (s: string) => void): Promise<Prepared> {
  const root = dataRoot(rootFlag);
  const run = runRoot();
  const supervisor = withRunExit(() => parseSupervisorFlag(o.supervisor));
  reapStale(run, root, createCgroupManager);
  // the resolved profile and its filter come from the run cache: no YAML, zod or compile on the hot path
  const { profile, filter } = await withRunExitAsync(() => loadRunPolicy(o.profile, join(root, 'cache', 'profiles')));
  if (profile.warn) warn(profile.warn);
  const image = await resolveImage(root, o.image);
  if (o.scan && o.scan !== 'off') await scanGate(root, image, o.scan, warn);
  const id = randomBytes(32).toString('hex');
  const name = o.name ?? containerName(id);
  ensureNameFree(root, name);
  let spec = buildDockerSpec(image, profile, o, { id, name });
  const override = spec.annotations[ANN.seccomp];
  const seccomp = override === undefined ? filter?.bytes ?? null : override === 'unconfined' ? null : await withRunExitAsync(async () => {
    const { compileSeccomp, loadSeccomp } = await import('../policy/index.js');
    const policy = loadSeccomp(override);
    return policy ? compileSeccomp(policy, undefined, { cacheDir: join(root, 'cache', 'seccomp') }).bytes : null;
  });
  // --audit-log/--audit-key: refused on a run that writes no log; the key file is opened last of all refusals
  const notify = override === undefined ? await import('./notify/index.js') : undefined;
  const audited = notify?.supervised(profile, filter?.digest) ?? false;
  const auditFlags = withRunExit(() => checkAuditFlags(o, audited, override !== undefined ? 'a --security-opt seccomp filter is not supervised'
    : process.env.TSSANDBOX_SUPERVISOR === 'off' ? 'TSSANDBOX_SUPERVISOR=off' : `profile ${profile.name} has no supervisor rules`));

  // rootless: the user's subordinate ranges instead of a host range of the container's own (rootless.ts)
  const rootless = isRootless() ? withRunExit(() => rootlessIds()) : undefined;
  if (rootless?.note) warn(rootless.note);

  // rootless: every id the payload runs as must be one the user may map (rootless.ts)
  if (rootless) {
    const u = spec.process.user, ids = [u.uid, u.gid, ...(u.additionalGids ?? [])];
    if (ids.some((n) => n >= rootless.count)) throw new SandboxError('TSS_EUSAGE', `run \`-u ${u.uid}:${u.gid}\`: rootless, this user maps only container ids 0…${rootless.count - 1} (its /etc/subuid and /etc/subgid ranges)`, { exitCode: 125 });
    // the host's network: its sysfs belongs to the host's user namespace, which no user may mount
    if (!spec.linux.namespaces.some((n) => n.type === 'network')) throw new SandboxError('TSS_ENETWORK', 'run `--network host`: rootless, the host network\'s /sys cannot be mounted without root; use --network none (and -p)', { exitCode: 125 });
  }

  const cleanup: (() => void)[] = [() => closeAuditKey(auditFlags)];
  const undo = () => { for (const f of cleanup.reverse()) { try { f(); } catch { /* keep cleaning */ } } cleanup.length = 0; };
  try {
    const ids = allocateIdRange(run, id, Math.floor(Math.random() * 4096));
    const slotFile = join(run, 'idranges', String(ids.slot));
    // release only while the slot is still ours: a detached supervisor may have released it and another run taken it
    cleanup.push(() => { if (readSlot(slotFile) === id) ids.release(); });
    const stateDir = join(run, 'containers', id);
    cleanup.push(() => rmSync(stateDir, { recursive: true, force: true }));
    const layers: string[] = JSON.parse(spec.annotations[ANN.layers] ?? '[]');
    for (const d of ['root', 'rw', ...layers.map((_, i) => join('l', String(i)))]) mkdirSync(join(stateDir, d), { recursive: true, mode: 0o700 });
    // published ports and lab networks (sandbox/network/); its undo runs before the state dir goes
    const net = await prepareNetwork(spec, { id, name, root, run, stateDir });
    cleanup.push(net.undo);
    spec = net.spec;
    const ctrDir = join(root, 'containers', id);
    // without --rm the record stays for ps -a once the payload ran (keepRecord); a run that never started leaves nothing
    let keep = false;
    cleanup.push(() => { if (!keep) rmSync(ctrDir, { recursive: true, force: true }); });
    const rwDir = join(ctrDir, 'rw');
    mkdirSync(join(rwDir, 'work'), { recursive: true, mode: 0o700 });
    mkdirSync(join(rwDir, 'upper'), { mode: 0o755 });
    // the top of the root filesystem belongs to the container's root, who makes its mount points
    // (rootless: that is the user, who made it)
    if (!rootless) chownSync(join(rwDir, 'upper'), ids.base, ids.base);
    const config: ContainerConfig = {
      id, name, rm: o.rm, spec, detached: o.detach, created: new Date().toISOString(),
      ...(image.config.StopSignal ? { stopSignal: image.config.StopSignal } : {}),
      ...(o.cgroupParent ? { cgroupParent: o.cgroupParent } : {}),
      // where the log is and whether it is keyed (never the key, nor its file)
      ...(audited ? { audit: { log: auditFlags.logPath ?? join(ctrDir, 'audit.ndjson'), ...(auditFlags.key ? { keyed: true } : {}) } } : {}),
    };
    writeFileSync(join(ctrDir, 'config.json'), JSON.stringify(config, null, 1));

    const mgr = createCgroupManager();
    const r = spec.linux.resources;
    const cg = mgr.create(id, {
      ...(r.memory?.limit !== undefined ? { memory: r.memory.limit } : {}),
      ...(r.memory?.swap !== undefined ? { memorySwap: r.memory.swap } : {}),
      ...(r.cpu?.quota !== undefined ? { cpus: r.cpu.quota / (r.cpu.period ?? 100000) } : {}),
      ...(r.cpu?.cpus ? { cpusetCpus: r.cpu.cpus } : {}),
      ...(r.pids ? { pids: r.pids.limit } : {}),
    }, o.cgroupParent);
    cleanup.push(() => { cg.killAll(); cg.remove(); });
    // a limit the user asked for by flag and this host cannot enforce is refused, not dropped
    if (rootless) refuseUnenforcedLimits(o, cg);
    // rootless: one line naming what is not enforced, instead of one per limit and hierarchy
    const limitsLine = rootless ? limitsWarning(cg) : undefined;
    for (const w of rootless ? (limitsLine ? [limitsLine] : []) : cg.warnings) warn(w);

    // a supervised profile routes its audited families and recorded denials to the notify supervisor
    const supervision = notify ? await notify.prepareSupervision(profile, filter?.digest, root, { id, name, image: o.image, imageDigest: image.id }, stateDir, supervisor,
      { ...(auditFlags.logPath ? { logPath: auditFlags.logPath } : {}), ...(auditFlags.key ? { keyed: true } : {}) }) : undefined;
    // an explicit --supervisor asks for a record: a run that would make none says so instead of running unrecorded
    if (supervisor !== 'auto' && !supervision && process.env.TSSANDBOX_SUPERVISOR !== 'off') throw new SandboxError('TSS_EUSAGE', `run \`--supervisor ${supervisor}\`: ${override === undefined ? `profile ${profile.name} has no supervisor rules` : 'a --security-opt seccomp filter is not supervised'} (nothing to record)`);
    // rootless: the container's ids are the launcher's own namespace's 0…count-1 (rootless.ts)
    const idBase = rootless ? 0 : ids.base, idCount = rootless ? rootless.count : ids.size;
    const planned = planLaunch(spec, { stateDir, rwDir, idBase, idCount, cgroupProcs: cg.procsFiles, seccomp: supervision?.bytes ?? seccomp, ...net.host });
    // the kernel maps each extent within ONE extent of the parent's map: the container's map mirrors
    // the launcher's (0 → 0 alone, then 1…N), rather than one 0…N extent that straddles both
    const plan = rootless ? { ...planned, rootless: rootless.maps, uidMap: rootless.inner, gidMap: rootless.inner } : planned;
    // exec joins this container later with the same ids, cgroups and filter bytes (sandbox/exec.ts); under
    // the notify supervisor with the supervised filter, whose listener exec hands to this container's
    // supervisor (exec-audit.ts); under ptrace with the traced filter, after this container's
    // supervisor has seized the exec'd process (session.ts execTraced)
    const execNotify = !supervision ? {} : supervision.filter.mode === 'ptrace' ? { traced: supervision.bytes.toString('hex') } : { notify: supervision.bytes.toString('hex') };
    writeFileSync(join(stateDir, 'exec.json'), JSON.stringify({ idBase, idCount, cgroupProcs: cg.procsFiles, seccomp: seccomp?.toString('hex') ?? null, ...execNotify }), { mode: 0o600 });
    const timeout = spec.annotations[ANN.timeout] ? Number(spec.annotations[ANN.timeout]) : undefined;
    return { id, name, root, run, stateDir, ctrDir, slotFile, plan, config, cg, ...(timeout ? { timeout } : {}), ...(supervision ? { supervision } : {}), audit: auditFlags, undo, push: (f) => cleanup.push(f), keepRecord: () => { keep = true; } };
  } catch (e) {
    undo();
    throw e;
  }
}

function readSlot(file: string): string | undefined {
  try { return readFileSync(file, 'utf8').split(' ')[0]; } catch { return undefined; }
}

/** stopSignalOf: the image's StopSignal as a number (SIGTERM when unset or unknown) */
export function stopSignalOf(c: ContainerConfig): number {
  const s = c.stopSignal?.toUpperCase();
  if (!s) return 15;
  if (/^\d+$/.test(s)) return Number(s);
  return constants.signals[(s.startsWith('SIG') ? s : `SIG${s}`) as keyof typeof constants.signals] ?? 15;
}

export async function runForeground(o: RunOptions, rootFlag?: string, warn: (s: string) => void = (s) => process.stderr.write(`tssandbox: warning: ${s}\n`)): Promise<RunResult> {
  const p = await prepare(o, rootFlag, warn);
  const { id, name } = p;
  try {
    // the CLI is this container's supervisor: ps, stop, kill and wait reach it on its socket
    const sup = new Supervisor(p.root, id, stopSignalOf(p.config));
    const server = sup.serve(socketPath(p.stateDir));
    p.push(() => server.close());
    // published ports are bound before the payload exists; the proxy enters its namespace once it does
    const proxy = await startPorts(p.config.spec, p.stateDir, p.ctrDir, o.image);
    if (proxy) p.push(() => proxy.stop());
    // supervised: this process answers the container's notifications and writes its audit log
    const kill = { now: () => {} };
    const audit = p.supervision?.open(p.ctrDir, () => kill.now(), p.audit.key?.key);
    closeAuditKey(p.audit);
    // `exec` into this container hands its listener here (exec-audit.ts): audited in the same log
    if (audit) sup.execHandler = (await import('./exec-audit.js')).execAuditHandler(audit);
    let payloadPid: number | undefined;
    const handle = launch(p.plan, o.image, {
      onPid: (pid) => { payloadPid = pid; proxy?.go(); sup.running(pid); },
      // rootless -p: slirp4netns comes up in the namespace before the payload exists (network/usernet.ts)
      ...netnsHook(proxy),
      ...(audit ? { ...audit.hooks(), onStarted: () => audit.started(payloadPid) } : {}),
    });
    kill.now = () => handle.signal(9);
    sup.attach(handle, p.timeout);
    const forward = (sig: NodeJS.Signals) => handle.signal(constants.signals[sig] ?? 15);
    for (const s of SIGNALS) process.on(s, forward);
    let ran = false;
    try {
      const res = await handle.done;
      ran = true;
      const oomKilled = p.cg.oomKilled();
      const code = oomKilled && res.signal === 9 ? 137 : res.code;
      // keep the record (ps -a) unless --rm: from here it is a finished container, not a half-made one
      if (!o.rm) p.keepRecord();
      await audit?.exited(code, res.signal, oomKilled);
      if (audit?.failure) warn(`${audit.failure.message}: the container was killed, nothing of it runs unrecorded`);
      const st = sup.exited(code, oomKilled);
      if (sup.timedOut) warn(`container ${name} ran past --timeout ${p.timeout}s and was killed (SIGKILL)`);
      return { id, code, oomKilled: st.oomKilled ?? false, timedOut: sup.timedOut };
    } finally {
      for (const s of SIGNALS) process.off(s, forward);
      audit?.close();
      // a container that never started leaves nothing, an --audit-log file outside its record included
      if (audit && !ran) discardLog(audit);
      p.undo();
      sup.done();
    }
  } catch (e) {
    p.undo();
    throw e;
  }
}

/** discardLog removes the audit log (and anchor) of a container that never started */
export function discardLog(a: { readonly log: string; readonly anchor: string }): void {
  rmSync(a.log, { force: true });
  rmSync(a.anchor, { force: true });
}

const SUPERVISOR_MAIN = join(PACKAGE_ROOT, 'dist', 'sandbox', 'supervisor-main.js');

/**
 * runDetached prepares the container here, then hands it to a detached supervisor (its own session,
 * stdin /dev/null) and returns once the payload started — or throws the failing step's error, the
 * supervisor having removed everything. If the supervisor vanishes without a word, this undoes.
 */
export async function runDetached(o: RunOptions, rootFlag?: string, warn: (s: string) => void = (s) => process.stderr.write(`tssandbox: warning: ${s}\n`)): Promise<{ id: string; name: string }> {
  const p = await prepare(o, rootFlag, warn);
  let handedOver = false;
  try {
    writeHandoff({
      id: p.id, root: p.root, run: p.run, stateDir: p.stateDir, slotFile: p.slotFile, rm: o.rm, stopSignal: stopSignalOf(p.config),
      what: o.image, plan: p.plan, ...(o.cgroupParent ? { cgroupParent: o.cgroupParent } : {}), ...(p.timeout ? { timeout: p.timeout } : {}),
      // --audit-key: the supervisor's fd 4 is the key file this process checked (audit-flags.ts says why an fd)
      ...(p.audit.key ? { auditKeyFd: 4 } : {}),
    });
    // the slot names its owner's pid; from now on that is the supervisor (a killed CLI must not get it reaped)
    const { child, msg } = await spawnSupervisor(SUPERVISOR_MAIN, p.stateDir, join(p.ctrDir, 'supervisor.log'), {
      onSpawn: (c) => { if (c.pid) writeFileSync(p.slotFile, `${p.id} ${c.pid}\n`); },
      ...(p.audit.key ? { extraFds: [p.audit.key.fd] } : {}),
    });
    closeAuditKey(p.audit);
    if (msg?.event === 'started') {
      handedOver = true;
      child.unref();
      return { id: p.id, name: p.name };
    }
    if (msg?.event === 'error') {
      handedOver = true; // the supervisor removed everything, the id slot included
      throw new SandboxError('TSS_ELAUNCH', msg.message ?? `run \`${o.image}\`: the supervisor failed`, { exitCode: msg.exitCode ?? 125 });
    }
    let why = '';
    try { why = readFileSync(join(p.ctrDir, 'supervisor.log'), 'utf8').trim().split('\n').find((l) => l.startsWith('tssandbox supervisor:')) ?? ''; } catch { /* none */ }
    throw new SandboxError('TSS_ELAUNCH', `run \`${o.image}\`: the supervisor exited before the container started${why ? ` (${why.replace(/^tssandbox supervisor: /, '')})` : ''}`);
  } finally {
    closeAuditKey(p.audit);
    if (!handedOver) p.undo();
  }
}
