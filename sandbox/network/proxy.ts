// sandbox/network/proxy.ts — runs build/portproxy for a container's published ports (foreground CLI or detached supervisor)
//
// The proxy binds the host ports before the payload exists (a busy port fails the run with nothing
// started), then waits; once the launcher has made the container's network namespace and bound it
// to STATEDIR/netns, go() tells the proxy to enter it. The bound ports (a host port of 0 gets a free
// one) are written to the container's record for `port`. The proxy dies with its owner (PDEATHSIG).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SandboxError } from '../../common/errors.js';
import { PACKAGE_ROOT } from '../paths.js';
import { ANN_PORTS, proxyArg, type BoundPort, type PortSpec } from './ports.js';
import { netnsFile } from './netns.js';

export const PORTPROXY_PATH = join(PACKAGE_ROOT, 'build', 'portproxy');

export interface PortProxy {
  readonly bound: readonly BoundPort[];
  /** enter the container's network namespace (call once the launcher reported the payload's pid) */
  go(): void;
  stop(): void;
}

/** portsOf reads the published ports from a container's spec annotations. */
export function portsOf(annotations: Readonly<Record<string, string>>): PortSpec[] {
  const raw = annotations[ANN_PORTS];
  return raw ? (JSON.parse(raw) as PortSpec[]) : [];
}

export const portsFile = (recordDir: string) => join(recordDir, 'ports.json');

/** readBoundPorts: what `port` shows (empty when the container publishes nothing or is not running) */
export function readBoundPorts(recordDir: string): BoundPort[] {
  try { return JSON.parse(readFileSync(portsFile(recordDir), 'utf8')) as BoundPort[]; } catch { return []; }
}

/** startPortProxy binds every published port or throws naming the one that failed; null when there are none. */
export async function startPortProxy(ports: readonly PortSpec[], stateDir: string, recordDir: string, what: string): Promise<PortProxy | null> {
  if (!ports.length) return null;
  if (!existsSync(PORTPROXY_PATH)) throw new SandboxError('TSS_ENATIVE', `run \`${PORTPROXY_PATH}\`: the port proxy is not built (run npm run build)`);
  const child: ChildProcess = spawn(PORTPROXY_PATH, ports.map(proxyArg), { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin!.on('error', () => { /* the proxy is gone; stop() has nothing to do */ });
  let err = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => { if (err.length < 4096) err += d; });
  const bound: BoundPort[] = [];
  const ok = await new Promise<boolean>((resolve) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (l) => {
      const m = /^bound (tcp|udp) (\S+) (\d+) (\d+)$/.exec(l);
      if (m) bound.push({ proto: m[1] as 'tcp' | 'udp', hostIp: m[2]!, hostPort: Number(m[3]), ctrPort: Number(m[4]) });
      else if (l === 'ready') resolve(true);
    });
    child.on('exit', () => resolve(false));
    child.on('error', () => resolve(false));
  });
  if (!ok) {
    await new Promise((r) => setTimeout(r, 10)); // let stderr's last chunk arrive
    const why = err.trim().split('\n').pop()?.replace(/^portproxy: /, '') ?? 'the port proxy failed';
    throw new SandboxError('TSS_ENETWORK', `publish ports of \`${what}\`: ${why}`);
  }
  writeFileSync(portsFile(recordDir), JSON.stringify(bound));
  let stopped = false;
  return {
    bound,
    go: () => { if (!stopped) child.stdin!.write(`go ${netnsFile(stateDir)}\n`); },
    stop: () => {
      if (stopped) return;
      stopped = true;
      child.stdin!.end();
      try { child.kill('SIGKILL'); } catch { /* already gone */ }
      rmSync(portsFile(recordDir), { force: true });
    },
  };
}
