// sandbox/supervisor-spawn.ts — start a detached supervisor (run -d, OCI create and exec) and read its first message (CLI process)
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { SUPERVISOR_NODE_ARGS, supervisorEnv } from './supervisor-flags.js';

export interface FirstMessage { event: string; message?: string; exitCode?: number }

export interface SpawnOptions {
  /** the payload's stdio as the supervisor's fds 4-6: this process's 0-2 ('inherit'), /dev/null ('null'), or none */
  readonly payloadIo?: 'inherit' | 'null';
  /** more fds of this process for the supervisor, right after the payload's stdio (fd 4 without payloadIo, else 7) */
  readonly extraFds?: readonly number[];
  /** called once the child exists, before its first message is awaited */
  readonly onSpawn?: (child: ChildProcess) => void;
}

/**
 * spawnSupervisor starts `node MAIN ARG` detached, with the flags and environment every detached
 * supervisor gets (RSS is what a supervisor costs per container: supervisor-flags.ts), its
 * stdout/stderr appended to LOG and fd 3 a pipe for its first JSON line. It resolves with that
 * first message (null when the supervisor exited without one); fd 3 is closed either way.
 */
export async function spawnSupervisor(main: string, arg: string, log: string, o: SpawnOptions = {}): Promise<{ child: ChildProcess; msg: FirstMessage | null }> {
  const logFd = openSync(log, 'a', 0o600);
  // never 'ignore' past fd 2: the fd would stay unset and the supervisor's libuv would take its number
  const nul = o.payloadIo === 'null' ? openSync('/dev/null', 'r+') : -1;
  const io = o.payloadIo === 'inherit' ? [0, 1, 2] : o.payloadIo === 'null' ? [nul, nul, nul] : [];
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [...SUPERVISOR_NODE_ARGS, main, arg], { detached: true, stdio: ['ignore', logFd, logFd, 'pipe', ...io, ...(o.extraFds ?? [])], cwd: '/', env: supervisorEnv() });
  } finally {
    closeSync(logFd);
    if (nul >= 0) closeSync(nul);
  }
  o.onSpawn?.(child);
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
