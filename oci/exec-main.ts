// oci/exec-main.ts — the detached supervisor of one `exec --detach` process, `node exec-main.js FILE` (detached process; the pid file names it)
//
// It runs the launcher's exec mode with the caller's stdio on fds 4-6, says `started` (or the
// failing step) on fd 3, and exits with the process's status, which conmon or the shim reaps.
import { closeSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { SandboxError } from '../common/errors.js';
import { launchExec, type OciExecAudit } from './exec-run.js';
import type { LaunchPlan } from '../sandbox/plan.js';

function report(msg: Record<string, unknown>): void {
  try { writeSync(3, `${JSON.stringify(msg)}\n`); closeSync(3); } catch { /* the CLI is gone */ }
}

async function main(file: string): Promise<number> {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Omit<LaunchPlan, 'capabilities' | 'seccomp' | 'seccompBefore'> & { capabilities: string; seccomp: string | null; seccompBefore: string[]; extra: string[][]; audit?: OciExecAudit };
  rmSync(file, { force: true });
  const { extra, audit, ...rest } = raw;
  const plan: LaunchPlan = { ...rest, capabilities: BigInt(raw.capabilities), seccomp: raw.seccomp === null ? null : Buffer.from(raw.seccomp, 'hex'), seccompBefore: raw.seccompBefore.map((s) => Buffer.from(s, 'hex')) };
  let started = false;
  try {
    // an audited container's exec: this process hands the listener to the container's supervisor (exec-run.ts)
    const { handle, done } = await launchExec(plan, audit, [4, 5, 6], extra, { onStarted: () => { started = true; report({ event: 'started' }); } });
    for (const fd of [4, 5, 6]) { try { closeSync(fd); } catch { /* not given */ } }
    for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(s, () => handle.signal(15));
    return await done;
  } catch (e) {
    const code = e instanceof SandboxError ? e.exitCode : 125;
    if (!started) report({ event: 'error', message: (e as Error).message, exitCode: code });
    return code;
  }
}

const file = process.argv[2];
if (!file) { process.stderr.write('usage: exec-main FILE\n'); process.exit(2); }
main(file).then((code) => { process.exitCode = code; }, (e: unknown) => {
  report({ event: 'error', message: `exec: ${(e as Error)?.message ?? String(e)}`, exitCode: 125 });
  process.exitCode = 125;
});
