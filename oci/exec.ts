// oci/exec.ts — `exec --process FILE [--detach] [--pid-file F] [--console-socket S] ID`: one more process under the container's restrictions (OCI front end, CLI process)
//
// The plan is the container's own (from create's handoff) with only the process replaced: its
// capabilities are the container's intersected with what process.json asks for, its filters,
// cgroups, rlimits and no_new_privs the container's — never fewer. The launcher's exec mode joins
// the payload's namespaces by pidfd. With --detach (conmon, the containerd shim) a small detached
// supervisor (exec-main.ts) holds the launcher and exits with the process's status: the pid file
// names it, as create's names the container's supervisor.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { constants } from 'node:os';
import { errnoReason, fail, SandboxError } from '../common/errors.js';
import { capabilityMask } from '../sandbox/launch-plan.js';
import type { LaunchPlan } from '../sandbox/plan.js';
import { PACKAGE_ROOT } from '../sandbox/paths.js';
import { flag, has, type OciArgs } from './args.js';
import { ConfigSchema } from './config.js';
import { readOciHandoff } from './handoff.js';
import { spawnSupervisor } from '../sandbox/supervisor-spawn.js';
import { writePidFile } from './pidfile.js';
import { checkId, containerDir, controlSocket } from './state.js';
import { launchExec, type OciExecAudit } from './exec-run.js';
import { current } from './verbs.js';

const EXEC_MAIN = join(PACKAGE_ROOT, 'dist', 'oci', 'exec-main.js');

/** execPlan: the container's plan with the process of process.json */
export function execPlan(base: LaunchPlan, procText: string, o: { detach: boolean; consoleSocket?: string }): LaunchPlan {
  let raw: unknown;
  try { raw = JSON.parse(procText); } catch (e) { fail('TSS_EUSAGE', 'exec', '--process', `not JSON (${(e as Error).message})`); }
  const r = ConfigSchema.shape.process.safeParse(raw);
  if (!r.success) fail('TSS_EUSAGE', 'exec', '--process', `${r.error.issues[0]!.path.join('.')}: ${r.error.issues[0]!.message}`);
  const p = r.data;
  const terminal = p.terminal ?? false;
  if (terminal && o.detach && !o.consoleSocket) fail('TSS_EUSAGE', 'exec', '--process', 'process.terminal with --detach needs --console-socket');
  const asked = p.capabilities?.bounding ? capabilityMask(p.capabilities.bounding) : base.capabilities;
  // joined namespaces (netnsJoin, nsJoin) are the payload's now: exec enters them all through its pidfd
  const { gate: _g, consoleSocket: _c, inheritStdio: _i, netnsJoin: _n, nsJoin: _j, rootDir: _r, ...rest } = base;
  return {
    ...rest,
    // a joined or own network namespace is the payload's: exec joins it through the pidfd
    network: base.network === 'new' || base.netnsJoin ? 'new' : 'host',
    setup: terminal ? [{ op: 'pty' }] : [],
    user: { uid: p.user.uid, gid: p.user.gid, groups: p.user.additionalGids ?? [] },
    cwd: p.cwd,
    env: p.env ?? [],
    argv: p.args,
    capabilities: base.capabilities & asked,
    noNewPrivileges: base.noNewPrivileges || (p.noNewPrivileges ?? false),
    ...(o.detach && !terminal ? { inheritStdio: true } : {}),
    ...(terminal && o.consoleSocket ? { consoleSocket: resolve(o.consoleSocket) } : {}),
  };
}

export async function ociExec(root: string, a: OciArgs, note: (s: string) => void): Promise<number> {
  void note;
  const id = checkId(a.operands[0], 'exec');
  const rec = current(root, id, 'exec');
  if (rec.status !== 'running' || !rec.payloadPid) fail('TSS_ECONTAINER', 'exec', id, `cannot exec in a container that is ${rec.status}`);
  const dir = containerDir(root, id);
  const procFile = flag(a.flags, 'process', 'p');
  let procText: string;
  if (procFile) {
    try { procText = readFileSync(procFile, 'utf8'); } catch (e) { fail('TSS_EUSAGE', 'exec', procFile, errnoReason(e)); }
  } else {
    const args = a.operands.slice(1);
    if (!args.length) fail('TSS_EUSAGE', 'exec', id, 'no command (give --process FILE or a command)');
    procText = JSON.stringify({ args, cwd: flag(a.flags, 'cwd') ?? '/', user: { uid: 0, gid: 0 }, env: a.multi.get('env') ?? a.multi.get('e') ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], terminal: has(a.flags, 'tty', 't') });
  }
  const detach = has(a.flags, 'detach', 'd');
  const consoleSocket = flag(a.flags, 'console-socket');
  const h = readOciHandoff(dir);
  // an audited container (notify supervisor): the exec'd process installs the container's supervised
  // filter and its listener goes to the container's supervisor (exec-run.ts). A supervised filter
  // without that (ptrace mode) routes calls to a listener the process lacks: it gets the profile's
  // plain filter instead, same decisions, not audited (handoff.ts)
  const audited = !!h.execSeccomp && h.execAudited === true;
  const base = h.execSeccomp && !audited ? { ...h.plan, seccomp: Buffer.from(h.execSeccomp, 'hex') } : h.plan;
  const plan = execPlan(base, procText, { detach, ...(consoleSocket ? { consoleSocket } : {}) });
  const audit: OciExecAudit | undefined = audited ? { dir, socket: controlSocket(dir), argv: plan.argv, ...(plan.setup.some((s) => s.op === 'pty') ? { tty: true } : {}) } : undefined;
  const extra = [['exec', String(rec.payloadPid)]];
  if (!detach) {
    const { handle, done } = await launchExec(plan, audit, ['inherit', 'inherit', 'inherit'], extra);
    const forward = (sig: NodeJS.Signals) => handle.signal(constants.signals[sig] ?? 15);
    const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
    for (const s of sigs) process.on(s, forward);
    try { return await done; } finally { for (const s of sigs) process.off(s, forward); }
  }
  const file = join(dir, `exec-${process.pid}-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify({ ...plan, capabilities: plan.capabilities.toString(), seccomp: plan.seccomp?.toString('hex') ?? null, seccompBefore: (plan.seccompBefore ?? []).map((b) => b.toString('hex')), extra, ...(audit ? { audit } : {}) }), { mode: 0o600 });
  const { child, msg } = await spawnSupervisor(EXEC_MAIN, file, join(dir, 'supervisor.log'), { payloadIo: plan.inheritStdio ? 'inherit' : 'null' });
  if (msg?.event === 'started') {
    child.unref();
    const pidFile = flag(a.flags, 'pid-file');
    if (pidFile) writePidFile(pidFile, child.pid!);
    return 0;
  }
  rmSync(file, { force: true });
  throw new SandboxError('TSS_ELAUNCH', msg?.message ?? `exec \`${id}\`: the exec supervisor exited before the process started`, { exitCode: msg?.exitCode ?? 125 });
}
