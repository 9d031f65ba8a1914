// oci/exec-run.ts — one `exec --process` process launched, and audited in its container's log when the container is (OCI front end: the exec CLI, or exec-main for --detach)
//
// An audited container's exec'd process installs the container's supervised filter; its listener
// goes to the container's OCI supervisor over the control socket's `exec` op, as `tssandbox exec`'s
// goes to run's supervisor (sandbox/exec-audit.ts says in what order and why). The supervisor
// answers it in the container's own audit session: exec.started, the process's lines tagged with
// the session's id, exec.exited.
import { fail } from '../common/errors.js';
import { registerExec } from '../sandbox/control.js';
import { launch, type LaunchEvents, type LaunchHandle } from '../sandbox/launcher.js';
import type { LaunchPlan } from '../sandbox/plan.js';

/** where the container's supervisor listens, and what the exec ran (for its exec.started line) */
export interface OciExecAudit { readonly dir: string; readonly socket: string; readonly argv: readonly string[]; readonly tty?: boolean }

/** launchExec: `done` resolves with the exit status; it rejects when the launch failed or the supervisor refused the listener (the process was killed unstarted) */
export async function launchExec(plan: LaunchPlan, audit: OciExecAudit | undefined, stdio: readonly ('inherit' | number)[], extra: readonly (readonly string[])[], ev: LaunchEvents = {}): Promise<{ handle: LaunchHandle; done: Promise<number> }> {
  const killer = { now: () => {} };
  const a = audit ? (await import('../sandbox/exec-audit.js')).execAudit((reg) => registerExec(audit.dir, reg, audit.socket), { argv: [...audit.argv], ...(audit.tty ? { tty: true } : {}) }, () => killer.now()) : undefined;
  const handle = launch(plan, plan.argv[0] ?? 'exec', { ...ev, ...(a ? { onPid: (pid: number) => { a.events.onPid?.(pid); ev.onPid?.(pid); }, onListener: a.events.onListener! } : {}) }, stdio, extra);
  killer.now = () => handle.signal(9);
  const done = (async () => {
    let code: number | null = null;
    let signal: number | undefined;
    try {
      const r = await handle.done;
      code = r.code;
      signal = r.signal;
    } catch (e) {
      if (!a?.refused()) throw e;
    } finally {
      await a?.finish(code, signal);
    }
    const refused = a?.refused();
    if (refused) fail('TSS_ECONTAINER', 'exec', plan.argv[0] ?? 'exec', `the container's supervisor did not take the exec's seccomp listener: ${refused}`);
    return code ?? 125;
  })();
  return { handle, done };
}
