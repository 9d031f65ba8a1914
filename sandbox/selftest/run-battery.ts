// sandbox/selftest/run-battery.ts — runs the escape-battery probe under tssandbox itself, as a child CLI process with a throwaway --root (host)
//
// Everything goes through the real command line (`node bin/tssandbox.js --root TMP run --rm …`), so
// the battery tests exactly what a user runs. The harness hands the probe its token, the host's
// namespace inodes, a loopback listener and an abstract unix socket on the host, and always runs it
// under limits the harness sets itself (--memory, --pids-limit, --timeout) with the resource
// probes' bounds placed on the side of those limits the profile's expectations call for. Every
// temporary thing (root dir, listeners, the CLI child) is removed or stopped on every path.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fail } from '../../common/errors.js';
import { importRootfs, openStore } from '../../image/index.js';
import { loadProfile } from '../../policy/index.js';
import { PACKAGE_ROOT } from '../paths.js';
import { EXPECTATIONS, judgeRun, type Expect, type Judgement, type ProfileName } from './expectations.js';
import { newProbeToken, probeArgv, probeEnv, readHostNamespaces } from './probe-args.js';
import { parseProbeOutput, type ProbeRun } from './probe-format.js';
import { packTar, probeImageMembers, probeMissing, PROBE_BIN, PROBE_REF, type ImageMember } from './probe-image.js';

export const CLI_PATH = join(PACKAGE_ROOT, 'bin', 'tssandbox.js');

export interface BatteryEnv {
  /** the throwaway --root holding the probe image */
  readonly root: string;
  /** scratch space beside the root for profile files and volume sources */
  readonly scratch: string;
  readonly image: string;
  /** removes everything the env made; safe to call twice */
  close(): void;
}

/** openBatteryEnv makes a temp dir, imports the probe image into a store there and returns it */
export async function openBatteryEnv(o: { probeBin?: string; extra?: readonly ImageMember[]; ref?: string } = {}): Promise<BatteryEnv> {
  const probeBin = o.probeBin ?? PROBE_BIN;
  const missing = probeMissing(probeBin);
  if (missing) fail('TSS_ESELFTEST', 'open battery', probeBin, missing);
  const dir = mkdtempSync(join(tmpdir(), 'tss-battery-'));
  // the container's root (an unprivileged host id) must reach volume sources under scratch/
  chmodSync(dir, 0o755);
  const close = () => rmSync(dir, { recursive: true, force: true });
  try {
    const root = join(dir, 'root');
    const scratch = join(dir, 'scratch');
    mkdirSync(scratch, { mode: 0o755 });
    const tarPath = join(dir, 'probe.tar');
    writeFileSync(tarPath, await packTar(probeImageMembers(probeBin, o.extra)));
    const ref = o.ref ?? PROBE_REF;
    await importRootfs(openStore(root), tarPath, ref);
    rmSync(tarPath);
    return { root, scratch, image: ref, close };
  } catch (e) {
    close();
    throw e;
  }
}

export interface CliOutcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** the harness had to kill the CLI (it ran past timeoutMs) */
  readonly killed: boolean;
}

export interface SandboxCommand {
  readonly profile: string;
  /** run flags before the image (e.g. ['-v', 'SRC:DST:ro']) */
  readonly flags?: readonly string[];
  readonly command: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** a host-side watchdog: SIGTERM (forwarded by the CLI to the container), SIGKILL 5 s later */
  readonly timeoutMs?: number;
}

/** runInSandbox runs `tssandbox --root ROOT run --rm --profile P FLAGS -e … IMAGE CMD…` as a child */
export async function runInSandbox(env: BatteryEnv, c: SandboxCommand): Promise<CliOutcome> {
  const envFlags = Object.entries(c.env ?? {}).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  const argv = [CLI_PATH, '--root', env.root, 'run', '--rm', '--profile', c.profile, ...(c.flags ?? []), ...envFlags, env.image, ...c.command];
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TSSANDBOX_ROOT: env.root } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  let killed = false;
  let hard: NodeJS.Timeout | undefined;
  const soft = setTimeout(() => {
    killed = true;
    child.kill('SIGTERM');
    hard = setTimeout(() => child.kill('SIGKILL'), 5000);
  }, c.timeoutMs ?? 180_000);
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code2, sig) => resolve([code2, sig]));
    });
    return { code, signal, stdout, stderr, killed };
  } finally {
    clearTimeout(soft);
    if (hard) clearTimeout(hard);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** the harness's own limits and the resource probes' bounds (MiB, processes) */
export interface BatteryLimits { readonly memoryMib: number; readonly pids: number; readonly memMib: number; readonly forkMax: number; readonly raise: boolean }

const LIMIT_MEMORY_MIB = 128;
const LIMIT_PIDS = 64;

/** batteryLimits chooses limits and bounds. `below`: the bounds sit above the limits, so the limit
 * must stop the probe (strict). `above`: the limits sit above the bounds, so the probe reaches its
 * own bound ("allowed") while still running under a limit — for profiles that set none by design. */
export function batteryLimits(profileLimits: { memory?: number; pids?: number; raise: boolean }, side: 'below' | 'above'): BatteryLimits {
  const pm = profileLimits.memory !== undefined ? Math.floor(profileLimits.memory / 1048576) : undefined;
  const pp = profileLimits.pids;
  if (side === 'below') {
    // never above the profile's own limits: raising them is refused by strict
    const memoryMib = Math.min(pm ?? Infinity, LIMIT_MEMORY_MIB);
    const pids = Math.min(pp ?? Infinity, LIMIT_PIDS);
    return { memoryMib, pids, memMib: memoryMib + 64, forkMax: pids + 32, raise: false };
  }
  const memoryMib = profileLimits.raise || pm === undefined ? 1024 : pm;
  const pids = profileLimits.raise || pp === undefined ? 1024 : pp;
  return { memoryMib, pids, memMib: Math.min(96, Math.floor(memoryMib / 2)), forkMax: Math.min(48, Math.floor(pids / 2)), raise: true };
}

export interface BatteryOptions {
  /** a built-in profile name or a profile file */
  readonly profile: string;
  /** the expectations to judge by (default: the built-in table for `profile`, or strict's) */
  readonly expectations?: Readonly<Record<string, Expect>>;
  readonly flags?: readonly string[];
  readonly only?: readonly string[];
  readonly skip?: readonly string[];
  /** where the limits sit relative to the resource probes' bounds (default: from the expectations) */
  readonly limits?: 'below' | 'above';
  readonly timeoutMs?: number;
}

export interface BatteryResult {
  readonly profile: string;
  readonly outcome: CliOutcome;
  readonly run: ProbeRun;
  readonly judgement: Judgement;
  readonly limits: BatteryLimits;
}

/** runBattery runs the whole probe under tssandbox with `profile` and judges the result */
export async function runBattery(env: BatteryEnv, o: BatteryOptions): Promise<BatteryResult> {
  const builtin = (EXPECTATIONS as Record<string, Readonly<Record<string, Expect>>>)[o.profile];
  const expectations = o.expectations ?? builtin ?? EXPECTATIONS.strict;
  const profile = loadProfile(o.profile);
  const side = o.limits ?? (expectations.fork_storm === 'allowed' || expectations.memory_hog === 'allowed' ? 'above' : 'below');
  const lim = batteryLimits({ ...profile.limits, raise: profile.loosen.raiseLimits }, side);
  if (side === 'above' && !lim.raise) fail('TSS_ESELFTEST', 'run battery', o.profile, 'its limits cannot be raised above the probe bounds');
  const token = newProbeToken();
  return withHostListeners(async (hostPort, hostAbstract) => {
    const argv = probeArgv({
      token, hostPort, hostAbstract, memMib: lim.memMib, forkMax: lim.forkMax,
      ...(o.only ? { only: o.only } : {}), ...(o.skip ? { skip: o.skip } : {}),
    });
    const outcome = await runInSandbox(env, {
      profile: o.profile,
      flags: ['--memory', `${lim.memoryMib}m`, '--pids-limit', String(lim.pids), '--timeout', '150', ...(o.flags ?? [])],
      env: probeEnv(token, readHostNamespaces()),
      command: ['/probe', ...argv],
      timeoutMs: o.timeoutMs ?? 180_000,
    });
    const run = parseProbeOutput(outcome.stdout);
    const name = (builtin ? o.profile : 'strict') as ProfileName;
    return { profile: o.profile, outcome, run, judgement: judgeRun(name, run, expectations), limits: lim };
  });
}

/** withHostListeners: a TCP listener on the host's 127.0.0.1 and a unix listener in the host's
 * abstract namespace, both closed when fn settles. A connection is closed at once. */
export async function withHostListeners<T>(fn: (port: number, abstract: string) => Promise<T>): Promise<T> {
  const tcp: Server = createServer((s) => s.destroy());
  const unix: Server = createServer((s) => s.destroy());
  const name = `tss-battery-${process.pid}-${Date.now()}`;
  const close = (s: Server) => new Promise<void>((res) => (s.listening ? s.close(() => res()) : res()));
  try {
    await new Promise<void>((res, rej) => { tcp.once('error', rej); tcp.listen(0, '127.0.0.1', res); });
    await new Promise<void>((res, rej) => { unix.once('error', rej); unix.listen(`\0${name}`, res); });
    const addr = tcp.address();
    if (!addr || typeof addr === 'string') fail('TSS_ESELFTEST', 'listen', '127.0.0.1', 'no port');
    return await fn(addr.port, name);
  } finally {
    await close(tcp);
    await close(unix);
  }
}

/** describeFailure: one line per judged failure, for test messages and the CLI */
export function describeRun(r: BatteryResult): string {
  const o = r.outcome;
  const bits = [`exit ${o.code ?? o.signal}${o.killed ? ' (killed by the harness timeout)' : ''}`];
  if (r.run.refused) bits.push(`probe refused: ${r.run.refused}`);
  if (!r.run.complete) bits.push('the probe did not finish');
  const err = o.stderr.trim().split('\n').slice(-3).join(' | ');
  if (err) bits.push(`stderr: ${err}`);
  return bits.join('; ');
}
