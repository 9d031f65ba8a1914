// oci/spawn.ts — start a detached supervisor for an OCI verb and read its first message (CLI process)
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { dirname, join, resolve } from 'node:path';
import { SUPERVISOR_NODE_ARGS, supervisorEnv } from '../sandbox/supervisor-flags.js';

export interface FirstMessage { event: string; message?: string; exitCode?: number }

/**
 * spawnSupervisor starts `node MAIN ARG` detached, with the flags and environment every detached
 * supervisor gets (sandbox/supervisor-flags.ts), its stdout/stderr appended to LOG, fd 3 a pipe
 * for its first JSON line, and fds 4-6 the payload's stdio: this process's 0-2 when `inherit`,
 * else /dev/null. It resolves with that first message (null when the supervisor exited without
 * one); fd 3 is closed either way.
 */
export async function spawnSupervisor(main: string, arg: string, log: string, inherit: boolean): Promise<{ child: ChildProcess; msg: FirstMessage | null }> {
  const logFd = openSync(log, 'a', 0o600);
  // never 'ignore' past fd 2: the fd would stay unset and the supervisor's libuv would take its number
  const nul = openSync('/dev/null', 'r+');
  const io = inherit ? [0, 1, 2] : [nul, nul, nul];
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [...SUPERVISOR_NODE_ARGS, main, arg], { detached: true, stdio: ['ignore', logFd, logFd, 'pipe', ...io], cwd: '/', env: supervisorEnv() });
  } finally {
    closeSync(logFd);
    closeSync(nul);
  }
  const msg = await new Promise<FirstMessage | null>((res) => {
    const lines = createInterface({ input: child.stdio[3] as Readable });
    let got: FirstMessage | null = null;
    lines.on('line', (l) => { if (!got) { try { got = JSON.parse(l) as FirstMessage; } catch { /* not JSON: wait for the next line */ } } if (got) lines.close(); });
    lines.on('close', () => res(got));
    child.on('error', () => res(null));
  });
  (child.stdio[3] as Readable).destroy();
  return { child, msg };
}

/** writePidFile writes PID the way runc does, atomically: the caller may poll for the file */
export function writePidFile(file: string, pid: number): void {
  const tmp = join(dirname(resolve(file)), `.${process.pid}.pid.tmp`);
  writeFileSync(tmp, String(pid));
  renameSync(tmp, file);
}
