// sandbox/launcher.ts — runs the native launcher on a plan and follows it to the payload's exit (parent, runtime process)
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { SandboxError } from '../common/errors.js';
import { LAUNCHER_PATH } from './paths.js';
import { encodePlan, type LaunchPlan } from './plan.js';
import { closeFd, recvFd, socketPair } from './notify/sys.js';

export interface LaunchEvents {
  /** the payload's host pid, once it exists (before it execs) */
  onPid?(pid: number): void;
  /** the payload exec'd */
  onStarted?(): void;
  /** OCI create: set up and waiting for start() (plan.gate) */
  onCreated?(): void;
  /** supervised run: the seccomp listener fd (the filter's last record gets NEW_LISTENER); the callee owns it */
  onListener?(fd: number): void;
  /** --supervisor ptrace: attach a tracer to the payload's pid; the payload installs its filter only once this resolves */
  onTrace?(pid: number): Promise<void>;
  /** OCI createRuntime/prestart hooks (plan.hookGate): the payload stays before pivot_root until this resolves; a rejection kills it unstarted */
  onHooks?(pid: number): Promise<void>;
  /** rootless -p (network/usernet.ts): the launcher holds the new network namespace before the payload exists, in its helper HELPER, until this resolves; a rejection ends the run unstarted */
  onNetns?(helper: number): Promise<void>;
}

export interface LaunchResult {
  /** docker's exit status: the payload's own code, 128+N when killed by signal N, 125/126/127 */
  readonly code: number;
  readonly signal?: number;
  readonly pid?: number;
}

export interface LaunchHandle {
  /** forward a signal to the payload (through the launcher, which reaps it: no pid reuse race) */
  signal(sig: number): void;
  /** OCI start: release a gated payload */
  start(): void;
  readonly done: Promise<LaunchResult>;
  /** the launcher's stdout/stderr when launch() was asked for pipes (a detached supervisor logs them) */
  readonly stdout?: Readable | null;
  readonly stderr?: Readable | null;
}

interface StatusLine { event: string; pid?: number; code?: number; signal?: number; step?: number; op?: string; errno?: number; errname?: string; path?: string }

/**
 * launch execs the launcher with the plan on fd 3. Its stdio are the runtime's own fds 0-2 —
 * only the launcher, never the payload, touches them (see native/launcher/proxy.c).
 */
export function launch(plan: LaunchPlan, what: string, ev: LaunchEvents = {}, stdio: readonly ('inherit' | 'pipe' | 'ignore' | number)[] = ['inherit', 'inherit', 'inherit'],
  /** records appended to the plan (exec's "exec PID": join that container instead of making one) */
  extra: readonly (readonly string[])[] = []): LaunchHandle {
  if (!existsSync(LAUNCHER_PATH)) throw new SandboxError('TSS_ENATIVE', `run \`${LAUNCHER_PATH}\`: the native launcher is not built (run npm run build)`);
  const enc = encodePlan(plan);
  // supervised: the launcher passes the listener back by SCM_RIGHTS on its fd 6 (native/launcher/main.c)
  const sock = ev.onListener ? socketPair() : undefined;
  if (sock) extra = [...extra, ['notify-listener']];
  // traced: the launcher holds the child before its filter until told `traced` (native/launcher/main.c trace_wait)
  if (ev.onTrace) extra = [...extra, ['trace-gate']];
  // rootless -p: the launcher reports its namespace helper and waits for `netup` (native/launcher/rootless.c net_gate)
  if (ev.onNetns) extra = [...extra, ['netgate']];
  const bytes = Buffer.concat([enc.bytes, ...extra.map((r) => Buffer.from(`${r.join('\0')}\0\0`))]);
  const steps = [...enc.steps, ...extra.map((r) => r.join(' '))];
  let child;
  try {
    child = spawn(LAUNCHER_PATH, [], { stdio: [...stdio, 'pipe', 'pipe', 'pipe', ...(sock ? [sock[1]] : [])] });
  } finally {
    if (sock) closeFd(sock[1]);
  }
  const control = (child.stdio as unknown as Writable[])[5]!;
  control.on('error', () => { /* the launcher exited; nothing left to signal */ });
  (child.stdio[3] as Writable).on('error', () => {});
  (child.stdio[3] as Writable).end(bytes);
  let pid: number | undefined;
  let failure: SandboxError | undefined;
  let exit: { code: number; signal?: number } | undefined;
  const lines = createInterface({ input: child.stdio[4] as NodeJS.ReadableStream });
  lines.on('line', (l) => {
    let s: StatusLine;
    try { s = JSON.parse(l) as StatusLine; } catch { return; }
    if (s.event === 'pid' && s.pid) {
      pid = s.pid;
      ev.onPid?.(s.pid);
      ev.onTrace?.(s.pid).then(
        () => { if (!control.destroyed) control.write('traced\n'); },
        (e: unknown) => { failure ??= e instanceof SandboxError ? e : new SandboxError('TSS_ELAUNCH', `run \`${what}\`: ${(e as Error).message}`); if (!control.destroyed) control.write('signal 9\n'); },
      );
    }
    else if (s.event === 'started') ev.onStarted?.();
    else if (s.event === 'listener' && sock && sock[0] >= 0) { const fd = recvFd(sock[0]); closeFd(sock[0]); sock[0] = -1; if (fd >= 0) ev.onListener?.(fd); }
    else if (s.event === 'created') ev.onCreated?.();
    else if (s.event === 'hooks') {
      (ev.onHooks && pid ? ev.onHooks(pid) : Promise.resolve()).then(
        () => { if (!control.destroyed) control.write('hooked\n'); },
        (e: unknown) => { failure ??= e instanceof SandboxError ? e : new SandboxError('TSS_ELAUNCH', `run \`${what}\`: ${(e as Error).message}`); if (!control.destroyed) control.write('signal 9\n'); },
      );
    }
    else if (s.event === 'netns' && s.pid) {
      ev.onNetns?.(s.pid).then(
        () => { if (!control.destroyed) control.write('netup\n'); },
        (e: unknown) => { failure ??= e instanceof SandboxError ? e : new SandboxError('TSS_ELAUNCH', `run \`${what}\`: ${(e as Error).message}`); if (!control.destroyed) control.write('signal 9\n'); },
      );
    }
    else if (s.event === 'exit') exit = { code: s.code ?? 125, ...(s.signal ? { signal: s.signal } : {}) };
    else if (s.event === 'error') failure = stepError(s, steps, what);
  });
  const done = new Promise<LaunchResult>((resolve, reject) => {
    child.on('error', (e) => reject(new SandboxError('TSS_ENATIVE', `run \`${LAUNCHER_PATH}\`: ${e.message}`, { cause: e })));
    child.on('close', (code, sig) => {
      if (sock && sock[0] >= 0) { closeFd(sock[0]); sock[0] = -1; }
      if (failure) {
        reject(failure);
        return;
      }
      if (exit) resolve({ ...exit, ...(pid ? { pid } : {}) });
      else reject(new SandboxError('TSS_ELAUNCH', `run \`${what}\`: the launcher ended without a status (${sig ? `signal ${sig}` : `exit ${code}`})`));
    });
  });
  return {
    signal: (sig: number) => { if (!control.destroyed) control.write(`signal ${sig}\n`); },
    start: () => { if (!control.destroyed) control.write('start\n'); },
    done,
    stdout: child.stdout,
    stderr: child.stderr,
  };
}

/** stepError turns the launcher's report into one line naming the step; execve failures keep docker's 126/127. */
function stepError(s: StatusLine, steps: readonly string[], what: string): SandboxError {
  const name = s.errname || `errno ${s.errno}`;
  if (s.op === 'execve') {
    const notFound = s.errno === 2 || s.errno === 20;
    return new SandboxError('TSS_ELAUNCH', `run \`${s.path}\`: ${notFound ? 'executable file not found in the container' : `cannot execute (${name})`}`, { exitCode: notFound ? 127 : 126 });
  }
  const step = s.step !== undefined && s.step >= 0 ? `step ${s.step} (${steps[s.step] ?? s.op})` : `step ${s.op}`;
  return new SandboxError('TSS_ELAUNCH', `run \`${what}\`: ${step} failed on ${s.path || '-'}: ${name}`);
}
