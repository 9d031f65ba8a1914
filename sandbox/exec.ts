// sandbox/exec.ts — `exec`: one more process in a running container, under its exact restrictions (CLI process)
//
// The plan comes from the container's own stored spec through the same planLaunch as run, with
// only the command, environment, working directory and user replaced: the capabilities,
// no_new_privs, rlimits, cgroups and the very filter bytes the container got (stored at create in
// its state dir) are the container's — never fewer. The launcher's exec mode (native/launcher/
// exec.c) joins the cgroup first, then the namespaces through a pidfd of the payload, then forks.
// -t makes its pty in the container's own devpts and proxies it like run -t; -u NAME is looked up
// in the container's own /etc/passwd and /etc/group (exec-user.ts).
//
// A supervised container's exec gets the container's supervised filter (exec.json's `notify`), and
// its listener goes to the container's supervisor (exec-audit.ts): the exec'd processes are
// audited in the container's log like its own, their lines tagged with the exec session's id.
// Under --supervisor ptrace (exec.json's `traced`) the container's supervisor seizes the exec'd
// process before its traced filter exists, with the same lines.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants } from 'node:os';
import { fail, SandboxError } from '../common/errors.js';
import { stateDirOf } from './containers.js';
import type { ExecRegistration } from './supervise.js';
import { registerExec } from './control.js';
import { launch } from './launcher.js';
import { planLaunch } from './launch-plan.js';
import { resolveExecUser } from './exec-user.js';
import { ANN, type OciSpec } from './oci-spec.js';
import type { Ctx } from './lifecycle.js';
import { find } from './lifecycle.js';

export interface ExecOptions { readonly interactive: boolean; readonly tty: boolean; readonly env: readonly string[]; readonly workdir?: string; readonly user?: string }

interface ExecHost {
  idBase: number; idCount: number; cgroupProcs: string[]; seccomp: string | null;
  /** supervised container: its supervised filter (hex), installed with a listener its supervisor answers */
  notify?: string;
  /** --supervisor ptrace container: its traced filter (hex), installed once its supervisor's tracer holds the process */
  traced?: string;
}

/** the container's root as a layer stack, bottom first: its image layers, then its own upper layer */
export function containerLayers(spec: OciSpec, rwDir: string): string[] {
  return [...JSON.parse(spec.annotations[ANN.layers] ?? '[]') as string[], join(rwDir, 'upper')];
}

/** execSpec: the container's spec with only the process's command, env, cwd, user and terminal replaced */
export function execSpec(spec: OciSpec, cmd: readonly string[], o: ExecOptions, layers: readonly string[] = [], idCount = 65536): OciSpec {
  const env = new Map(spec.process.env.map((e) => [e.split('=')[0]!, e]));
  if (o.tty && !env.has('TERM')) env.set('TERM', 'TERM=xterm'); // as run -t (docker-spec.ts) and docker exec -t
  let user = spec.process.user;
  if (o.user !== undefined) {
    const u = resolveExecUser(o.user, layers, idCount);
    user = { uid: u.uid, gid: u.gid, additionalGids: u.additionalGids };
    // the other user's HOME, as runc gives an exec'd process (an explicit -e HOME still wins)
    if (u.home) env.set('HOME', `HOME=${u.home}`);
  }
  for (const e of o.env) {
    if (!e.includes('=')) fail('TSS_EUSAGE', 'exec', `-e ${e}`, 'expected KEY=VALUE');
    env.set(e.split('=')[0]!, e);
  }
  if (o.workdir !== undefined && !o.workdir.startsWith('/')) fail('TSS_EUSAGE', 'exec', `-w ${o.workdir}`, 'the working directory must be absolute');
  const { [ANN.init]: _init, ...annotations } = spec.annotations;
  return {
    ...spec,
    process: { ...spec.process, args: cmd, env: [...env.values()], cwd: o.workdir ?? spec.process.cwd, user, terminal: o.tty },
    annotations: { ...annotations, [ANN.interactive]: String(o.interactive) },
  };
}

export async function execIn(ctx: Ctx, ref: string, cmd: readonly string[], o: ExecOptions): Promise<number> {
  if (!cmd.length) fail('TSS_EUSAGE', 'exec', ref, 'no command given');
  const c = find(ctx, ref, 'exec');
  if (c.state.status !== 'running' || !c.state.pid) fail('TSS_ECONTAINER', 'exec', ref, `the container is not running (${c.state.status})`);
  const stateDir = stateDirOf(ctx.run, c.config.id);
  let host: ExecHost;
  try { host = JSON.parse(readFileSync(join(stateDir, 'exec.json'), 'utf8')) as ExecHost; } catch { return fail('TSS_ECONTAINER', 'exec', ref, 'its runtime state is gone'); }
  const rwDir = join(c.dir, 'rw');
  const supervised = host.notify ?? host.traced;
  const plan = planLaunch(execSpec(c.config.spec, cmd, o, containerLayers(c.config.spec, rwDir), host.idCount), {
    stateDir, rwDir, idBase: host.idBase, idCount: host.idCount, cgroupProcs: host.cgroupProcs,
    seccomp: supervised !== undefined ? Buffer.from(supervised, 'hex') : host.seccomp === null ? null : Buffer.from(host.seccomp, 'hex'),
  });
  const killer = { now: () => {} };
  const what = { argv: [...cmd], ...(o.user !== undefined ? { user: o.user } : {}), ...(o.tty ? { tty: true } : {}) };
  const register = (reg: ExecRegistration) => registerExec(stateDir, reg);
  const ea = supervised !== undefined ? await import('./exec-audit.js') : undefined;
  const audit = host.notify !== undefined ? ea!.execAudit(register, what, () => killer.now()) : host.traced !== undefined ? ea!.execTrace(register, what) : undefined;
  const handle = launch(plan, cmd[0]!, audit?.events ?? {}, ['inherit', 'inherit', 'inherit'], [['exec', String(c.state.pid)]]);
  killer.now = () => handle.signal(9);
  const forward = (sig: NodeJS.Signals) => handle.signal(constants.signals[sig] ?? 15);
  const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
  for (const s of sigs) process.on(s, forward);
  let code: number | null = null;
  let signal: number | undefined;
  try {
    const res = await handle.done.catch((e: unknown) => { if (e instanceof SandboxError && !audit?.refused()) code = e.exitCode; throw e; });
    code = res.code;
    signal = res.signal;
  } catch (e) {
    if (!audit?.refused()) throw e;
  } finally {
    for (const s of sigs) process.off(s, forward);
    await audit?.finish(code, signal);
  }
  const refused = audit?.refused();
  if (refused) fail('TSS_ECONTAINER', 'exec', ref, `the container's supervisor ${host.traced !== undefined ? 'did not seize the exec\'d process' : 'did not take the exec\'s seccomp listener'}: ${refused}`);
  return code ?? 125;
}
