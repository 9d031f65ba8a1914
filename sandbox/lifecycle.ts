// sandbox/lifecycle.ts — ps, inspect, stop, kill, rm, wait, logs, prune over container records (CLI process)
//
// Every command first settles the records: a container recorded as running whose supervisor is
// gone (killed, or the host rebooted) is recorded as exited with the reason, and what it left on
// the host is reaped. So no command ever reports a container as Up that nobody supervises.
import { existsSync, rmSync } from 'node:fs';
import { fail } from '../common/errors.js';
import { humanAge } from '../image/format.js';
import { createCgroupManager } from './cgroups/index.js';
import {
  findContainer, listContainers, lockPath, logPath, readContainer, recordDir, signalNumber, stateDirOf, supervisorAlive, writeState,
  type Container, type ContainerState,
} from './containers.js';
import { request } from './control.js';
import { lockHeld } from './lock.js';
import { follow, readLog, render, tailLines } from './logs.js';
import { ANN } from './oci-spec.js';
import { dataRoot, runRoot } from './paths.js';
import { reapStale } from './stale.js';

export interface Ctx { readonly root: string; readonly run: string }

export function context(rootFlag?: string): Ctx {
  const ctx = { root: dataRoot(rootFlag), run: runRoot() };
  reapStale(ctx.run, ctx.root, createCgroupManager);
  return ctx;
}

/** alive: someone supervises the container right now */
export function alive(ctx: Ctx, c: Container): boolean {
  if (c.config.detached) return lockHeld(lockPath(stateDirOf(ctx.run, c.config.id)));
  return supervisorAlive(c.state);
}

/** settle records a dead supervisor's container as exited (re-reading the state after the liveness check) */
export function settle(ctx: Ctx, c: Container): Container {
  if (c.state.status === 'exited' || alive(ctx, c)) return c;
  const now = readContainer(ctx.root, c.config.id);
  if (!now || now.state.status === 'exited') return now ?? c;
  if (now.state.status === 'created' && existsSync(stateDirOf(ctx.run, c.config.id))) return now; // a supervisor starting up
  const { supervisor: _s, pid: _p, ...rest } = now.state;
  const state: ContainerState = {
    ...rest, status: 'exited', exitCode: 137, oomKilled: false, finishedAt: new Date().toISOString(),
    reason: now.state.status === 'running' ? 'supervisor died' : 'the runtime died before the container started',
  };
  writeState(ctx.root, c.config.id, state);
  return { ...now, state };
}

export function all(ctx: Ctx): Container[] { return listContainers(ctx.root).map((c) => settle(ctx, c)); }
export function find(ctx: Ctx, ref: string, action: string): Container { return settle(ctx, findContainer(ctx.root, ref, action)); }

export function statusText(s: ContainerState, now = Date.now()): string {
  if (s.status === 'running') return `Up ${humanAge(s.startedAt, now).replace(/ ago$/, '').replace(/^Less than a second$/, 'Less than a second')}`;
  if (s.status === 'exited') return `Exited (${s.exitCode ?? '?'}) ${humanAge(s.finishedAt, now)}${s.reason === 'supervisor died' ? ' (supervisor died)' : ''}`;
  return 'Created';
}

export interface PsRow { ID: string; Image: string; Command: string; CreatedAt: string; RunningFor: string; Status: string; State: string; Names: string; ExitCode?: number; Reason?: string }

export function psRows(ctx: Ctx, allToo: boolean): PsRow[] {
  return all(ctx).filter((c) => allToo || c.state.status === 'running').map((c) => ({
    ID: c.config.id.slice(0, 12),
    Image: c.config.spec.annotations[ANN.image] ?? '',
    Command: JSON.stringify(c.config.spec.process.args.join(' ')),
    CreatedAt: c.config.created ?? '',
    RunningFor: humanAge(c.config.created),
    Status: statusText(c.state),
    State: c.state.status,
    Names: c.config.name,
    ...(c.state.exitCode !== undefined ? { ExitCode: c.state.exitCode } : {}),
    ...(c.state.reason ? { Reason: c.state.reason } : {}),
  }));
}

export function inspectContainer(ctx: Ctx, c: Container): Record<string, unknown> {
  const a = c.config.spec.annotations;
  const r = c.config.spec.linux.resources;
  return {
    Id: c.config.id,
    Name: c.config.name,
    Created: c.config.created,
    Image: a[ANN.image], ImageId: a[ANN.imageId],
    Profile: { Name: a[ANN.profile], Digest: a[ANN.profileDigest], ...(a[ANN.seccomp] ? { Seccomp: a[ANN.seccomp] } : {}) },
    State: {
      Status: c.state.status, Running: c.state.status === 'running', Pid: c.state.pid ?? 0,
      ExitCode: c.state.exitCode ?? null, OOMKilled: c.state.oomKilled ?? false, TimedOut: c.state.timedOut ?? false,
      StartedAt: c.state.startedAt ?? null, FinishedAt: c.state.finishedAt ?? null, Reason: c.state.reason ?? null,
      SupervisorPid: c.state.supervisor?.pid ?? null,
    },
    Limits: {
      Memory: r.memory?.limit ?? null, MemorySwap: r.memory?.swap ?? null, CpuQuota: r.cpu?.quota ?? null, CpuPeriod: r.cpu?.period ?? null,
      CpusetCpus: r.cpu?.cpus ?? null, PidsLimit: r.pids?.limit ?? null, Rlimits: c.config.spec.process.rlimits,
    },
    Detached: c.config.detached ?? false,
    AutoRemove: c.config.rm,
    StopSignal: c.config.stopSignal ?? 'SIGTERM',
    LogPath: c.config.detached ? logPath(ctx.root, c.config.id) : null,
    AuditLog: c.config.audit ? { Path: c.config.audit.log, Keyed: c.config.audit.keyed ?? false } : null,
    StateDir: stateDirOf(ctx.run, c.config.id),
    Spec: c.config.spec,
  };
}

/** stop: the stop signal (image StopSignal or SIGTERM), SIGKILL after `timeout` seconds; resolves when it exited */
export async function stop(ctx: Ctx, ref: string, timeout: number, sig?: string): Promise<Container> {
  const c = find(ctx, ref, 'stop');
  if (c.state.status !== 'running') return c;
  await request(stateDirOf(ctx.run, c.config.id), { op: 'stop', timeout, ...(sig ? { sig: signalNumber(sig, 'stop') } : {}) });
  return afterExit(ctx, c);
}

export async function kill(ctx: Ctx, ref: string, sig: string): Promise<Container> {
  const n = signalNumber(sig, 'kill');
  const c = find(ctx, ref, 'kill');
  if (c.state.status !== 'running') fail('TSS_ECONTAINER', 'kill', ref, `the container is not running (${c.state.status})`);
  const r = await request(stateDirOf(ctx.run, c.config.id), { op: 'signal', sig: n });
  if (!r?.ok) fail('TSS_ECONTAINER', 'kill', ref, 'its supervisor does not answer');
  return c;
}

/** wait blocks until the container exited and returns its record */
export async function wait(ctx: Ctx, ref: string): Promise<Container> {
  const c = find(ctx, ref, 'wait');
  if (c.state.status === 'exited') return c;
  await request(stateDirOf(ctx.run, c.config.id), { op: 'wait' });
  return afterExit(ctx, c);
}

/** afterExit re-reads the record once the supervisor answered (or vanished) */
async function afterExit(ctx: Ctx, c: Container): Promise<Container> {
  // the supervisor answers after its cleanup; a vanished one is settled as died
  for (let i = 0; i < 100; i++) {
    const now = readContainer(ctx.root, c.config.id);
    if (!now) return { ...c, state: { ...c.state, status: 'exited' } }; // --rm: the record went with it
    const s = settle(ctx, now);
    if (s.state.status === 'exited') return s;
    await new Promise((r) => setTimeout(r, 50));
  }
  return fail('TSS_ECONTAINER', 'wait', c.config.name, 'its supervisor answered but the record still says running');
}

export async function remove(ctx: Ctx, ref: string, force: boolean): Promise<string> {
  const c = find(ctx, ref, 'rm');
  if (c.state.status === 'running') {
    if (!force) fail('TSS_ECONTAINER', 'rm', ref, 'the container is running; stop it first or use -f');
    await request(stateDirOf(ctx.run, c.config.id), { op: 'stop', sig: 9, timeout: 0 });
    await afterExit(ctx, c);
  }
  rmSync(recordDir(ctx.root, c.config.id), { recursive: true, force: true });
  return c.config.id;
}

export interface LogOptions { follow?: boolean; tail?: number; timestamps?: boolean }

export async function logs(ctx: Ctx, ref: string, o: LogOptions, out: (stream: 'stdout' | 'stderr', s: string) => void): Promise<void> {
  const c = find(ctx, ref, 'logs');
  const path = logPath(ctx.root, c.config.id);
  for (const l of tailLines(render(readLog(path), o), o.tail ?? -1)) out(l.stream, l.text);
  if (!o.follow || c.state.status !== 'running') return;
  await follow(path, (r) => { for (const l of render([r], o)) out(l.stream, l.text); }, () => {
    const now = readContainer(ctx.root, c.config.id);
    return !now || settle(ctx, now).state.status === 'exited';
  });
}

/** prune removes every exited container's record and what dead runs left (stale state, cgroups) */
export function prune(ctx: Ctx): { removed: string[]; cgroups: string[] } {
  const before = all(ctx);
  // the default parent is swept only for the real runtime state: a private run root (tests, a
  // second runtime) cannot tell which of the default parent's cgroups are live
  const parents = new Set<string | undefined>(before.map((c) => c.config.cgroupParent));
  if (process.env.TSSANDBOX_RUN_ROOT) parents.delete(undefined); else parents.add(undefined);
  const removed: string[] = [];
  for (const c of before) {
    if (c.state.status !== 'exited') continue;
    rmSync(recordDir(ctx.root, c.config.id), { recursive: true, force: true });
    removed.push(c.config.id);
  }
  const live = new Set(all(ctx).map((c) => c.config.id));
  const mgr = createCgroupManager();
  const cgroups: string[] = [];
  for (const p of parents) cgroups.push(...mgr.pruneStale((id) => live.has(id) || existsSync(stateDirOf(ctx.run, id)), p));
  return { removed, cgroups };
}

/** imageInUse: a container record (any state) names the image id — rmi refuses it */
export function imageInUse(root: string, imageId: string): boolean {
  return listContainers(root).some((c) => c.config.spec.annotations[ANN.imageId] === imageId);
}
