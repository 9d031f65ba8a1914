// test/helpers/probe.ts — build the escape-battery probe and run it under a sandbox command prefix (test harness, host)
//
// The probe must never run on the host with a token: every run here either goes through a prefix
// that creates a user + mount namespace (bwrap today, the tssandbox launcher later) or, for the
// gate tests, runs without a token so that the gate refuses before any probe.
import { spawn, spawnSync, type StdioOptions } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD, REPO_ROOT } from './paths.js';
import { parseProbeOutput, type ProbeRun } from '../../sandbox/selftest/probe-format.js';
import {
  newProbeToken, probeArgv, probeEnv, readHostNamespaces, type HostNamespaces, type ProbeOptions,
} from '../../sandbox/selftest/probe-args.js';

export const PROBE_BIN = join(BUILD, 'fixtures', 'probe');
const PROBE_SRC = join(REPO_ROOT, 'test', 'fixtures', 'probe');

/** buildProbe runs the fixture's Makefile; returns a reason string when it cannot be built */
export function buildProbe(): string | null {
  if (spawnSync('cc', ['--version'], { stdio: 'ignore' }).status !== 0) return 'no C compiler (cc)';
  const r = spawnSync('make', ['-s', '-C', PROBE_SRC], { encoding: 'utf8' });
  if (r.status !== 0) return `make -C test/fixtures/probe failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`;
  return existsSync(PROBE_BIN) ? null : 'the probe was not built';
}

export const TESTFILTER_BIN = join(BUILD, 'fixtures', 'probe-testfilter');

/** buildTestFilter builds the seccomp filter writer (libseccomp); returns a reason when it cannot */
export function buildTestFilter(): string | null {
  const r = spawnSync('make', ['-s', '-C', PROBE_SRC, 'testfilter'], { encoding: 'utf8' });
  return r.status === 0 && existsSync(TESTFILTER_BIN) ? null : 'cannot build the test filter (libseccomp-dev missing?)';
}

/** bwrapPrefix: a bubblewrap sandbox with every namespace unshared, root inside mapped to an
 * unprivileged id (nobody via setpriv when the tests run as root), read-only host tree. */
export function bwrapPrefix(extra: readonly string[] = []): string[] {
  const drop = process.getuid?.() === 0 ? ['setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups'] : [];
  return [
    ...drop, 'bwrap', '--unshare-all', '--uid', '0', '--gid', '0', '--ro-bind', '/', '/', '--proc', '/proc',
    // the checkout again after the fresh /tmp: CI may clone under /tmp, which the tmpfs would hide
    '--dev', '/dev', '--tmpfs', '/tmp', '--ro-bind', REPO_ROOT, REPO_ROOT, '--die-with-parent', ...extra,
  ];
}

/** bwrapWorks returns null when bwrap can create its sandbox here, else the reason */
export function bwrapWorks(): string | null {
  const r = spawnSync(bwrapPrefix()[0]!, [...bwrapPrefix().slice(1), 'true'], { encoding: 'utf8' });
  if (r.error) return `bwrap missing (${(r.error as NodeJS.ErrnoException).code})`;
  return r.status === 0 ? null : `bwrap cannot create a user namespace here: ${r.stderr.trim()}`;
}

export interface RunProbeOptions extends Partial<ProbeOptions> {
  /** command prefix that runs its last arguments in a sandbox; the env is inherited through it */
  readonly prefix: readonly string[];
  /** extra or overriding environment (e.g. a wrong token); undefined values remove a variable */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** leave TSS_PROBE_* out entirely */
  readonly noProbeEnv?: boolean;
  /** the host namespaces the gate compares with (default: this process's) */
  readonly host?: HostNamespaces;
  /** argv after the probe path, replacing the one built from the options */
  readonly argv?: readonly string[];
  /** hand the sandbox an extra pipe as fd 3 (a deliberate leak, to prove leaked_fds sees it) */
  readonly leakFd?: boolean;
  /** a file handed to the sandbox as fd 3 (e.g. a seccomp filter for `bwrap --seccomp 3`) */
  readonly fd3File?: string;
}

export interface ProbeOutcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly run: ProbeRun;
}

/** runProbe runs the probe under `prefix` with a fresh token and returns its parsed output */
export async function runProbe(o: RunProbeOptions): Promise<ProbeOutcome> {
  const token = o.token ?? newProbeToken();
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' };
  if (!o.noProbeEnv) Object.assign(env, probeEnv(token, o.host ?? readHostNamespaces()));
  for (const [k, v] of Object.entries(o.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const argv = o.argv ?? probeArgv({ ...o, token });
  const cmd = [...o.prefix, PROBE_BIN, ...argv];
  const fd3 = o.fd3File ? openSync(o.fd3File, 'r') : undefined;
  const stdio: StdioOptions = fd3 !== undefined ? ['ignore', 'pipe', 'pipe', fd3] : o.leakFd ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'];
  const child = spawn(cmd[0]!, cmd.slice(1), { env, stdio });
  if (fd3 !== undefined) closeSync(fd3); // the child holds its own copy
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c, s) => resolve([c, s]));
  });
  return { code, signal, stdout, stderr, run: parseProbeOutput(stdout) };
}

/** withLoopbackListener runs fn with a TCP listener on the host's 127.0.0.1, closed afterwards */
export async function withLoopbackListener<T>(fn: (port: number) => Promise<T>): Promise<T> {
  const server: Server = createServer((s) => s.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const addr = server.address();
    if (!addr || typeof addr === 'string') throw new Error('listener has no port');
    return await fn(addr.port);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** withAbstractListener runs fn with a unix listener in the host's abstract namespace */
export async function withAbstractListener<T>(fn: (name: string) => Promise<T>): Promise<T> {
  const name = `tss-probe-${process.pid}-${Date.now()}`;
  const server: Server = createServer((s) => s.destroy());
  await new Promise<void>((resolve) => server.listen(`\0${name}`, resolve));
  try {
    return await fn(name);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
