// sandbox/network/usernet.ts — rootless `-p`: slirp4netns as the container's user-mode network stack (foreground CLI or detached supervisor)
//
// Rootless, nothing may be bound onto a host file nor enter a namespace from outside the user's
// own, so the root way (a proxy entering STATEDIR/netns) is closed. Instead the launcher holds the
// container's fresh network namespace before the payload exists (plan record `netgate`, rootless.c
// net_gate) and reports the pid of its namespace helper; we start slirp4netns on that helper's
// user and network namespaces (the helper is alive and waiting, so its pid cannot be reused), let
// it make tap0, shape the network (below), ask it to forward each published port, and only then let
// the launcher go on. slirp4netns dies with us: its --exit-fd is a pipe only we hold.
//
// What the container gets: tap0 with 10.0.2.100/32 and a route to the gateway 10.0.2.2 alone — no
// default route, so it reaches nothing but the gateway (egress none, as root's -p), and the
// gateway's own services are off: --disable-host-loopback (10.0.2.2 is not the host's 127.0.0.1)
// and --disable-dns. A forwarded connection arrives from 10.0.2.2, so replies need only that route.
// Under strict the payload has no CAP_NET_ADMIN to add routes back.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { SandboxError } from '../../common/errors.js';
import type { BoundPort, PortSpec } from './ports.js';
import type { PortProxy } from './proxy.js';
import { portsFile } from './proxy.js';

export const SLIRP4NETNS = '/usr/bin/slirp4netns';
const NSENTER = '/usr/bin/nsenter';
const IP = '/usr/sbin/ip';
const GUEST = '10.0.2.100', GATEWAY = '10.0.2.2';

/** UserNet is a PortProxy whose work happens in netns(): launch's onNetns (sandbox/launcher.ts) */
export interface UserNet extends PortProxy {
  /** start the stack in the namespaces of the launcher's helper HELPER; resolves once every port is forwarded */
  netns(helper: number): Promise<void>;
}

/** userNetMissing: why rootless -p cannot run here (a one-line reason), or null */
export function userNetMissing(): string | null {
  for (const [p, pkg] of [[SLIRP4NETNS, 'slirp4netns'], [NSENTER, 'util-linux'], [IP, 'iproute2']] as const) {
    if (!existsSync(p)) return `${p} is not installed (Debian package ${pkg}); rootless -p needs it`;
  }
  return null;
}

function freePort(proto: 'tcp' | 'udp', ip: string): Promise<number> {
  if (proto === 'udp') return Promise.resolve(40000 + Math.floor(Math.random() * 20000)); // slirp binds it; a clash fails the run by name
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, ip, () => { const a = s.address(); s.close(() => resolve(typeof a === 'object' && a ? a.port : 0)); });
  });
}

/** api sends one request to slirp4netns's API socket and returns its parsed answer */
function api(sock: string, req: unknown): Promise<{ return?: unknown; error?: { desc?: string } }> {
  return new Promise((resolve, reject) => {
    const c = connect(sock);
    let buf = '';
    c.setEncoding('utf8');
    c.on('connect', () => c.end(JSON.stringify(req)));
    c.on('data', (d: string) => { buf += d; });
    c.on('error', reject);
    c.on('close', () => { try { resolve(JSON.parse(buf)); } catch { reject(new Error(`slirp4netns answered ${JSON.stringify(buf.slice(0, 200))}`)); } });
  });
}

/** inNetns runs `ip ARGS` as root of the container's user namespace, in its network namespace */
function inNetns(helper: number, args: string[]): void {
  const r = spawnSync(NSENTER, [`--user=/proc/${helper}/ns/user`, `--net=/proc/${helper}/ns/net`, '--', IP, ...args], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`);
}

export function startUserNet(ports: readonly PortSpec[], stateDir: string, recordDir: string, what: string): UserNet {
  const missing = userNetMissing();
  if (missing) throw new SandboxError('TSS_ENETWORK', `publish ports of \`${what}\`: ${missing}`);
  // the API socket lives in the state dir (removed with it, by a crash's reaper too); a sockaddr_un
  // holds 107 bytes, which STATEDIR under a deep $XDG_RUNTIME_DIR exceeds, so slirp4netns binds it
  // by a relative name from its cwd there and we connect through /proc/PID/cwd (short, and the
  // process is ours)
  const sockName = 'slirp.sock';
  let sock = '';
  let child: ChildProcess | undefined;
  let stopped = false;
  const bound: BoundPort[] = [];
  const stop = () => {
    if (stopped) return;
    stopped = true;
    // closing our end of --exit-fd ends it; SIGKILL too, in case it is stuck before reading it
    try { (child?.stdio[4] as NodeJS.WritableStream | undefined)?.end(); } catch { /* gone */ }
    try { child?.kill('SIGKILL'); } catch { /* already gone */ }
    rmSync(join(stateDir, sockName), { force: true });
    rmSync(portsFile(recordDir), { force: true });
  };
  const fail = (why: string): never => { stop(); throw new SandboxError('TSS_ENETWORK', `publish ports of \`${what}\`: ${why}`); };

  async function netns(helper: number): Promise<void> {
    const c = spawn(SLIRP4NETNS, [
      '--userns-path', `/proc/${helper}/ns/user`, '--netns-type=path',
      '--disable-host-loopback', '--disable-dns', '--enable-seccomp',
      '--api-socket', sockName, '--ready-fd', '3', '--exit-fd', '4',
      `/proc/${helper}/ns/net`, 'tap0',
    ], { cwd: stateDir, stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'] });
    child = c;
    sock = `/proc/${c.pid}/cwd/${sockName}`;
    let err = '';
    // stdout is slirp4netns's banner; stderr says why it failed
    c.stdout!.resume();
    c.stderr!.setEncoding('utf8').on('data', (d: string) => { if (err.length < 4096) err += d; });
    (c.stdio[4] as NodeJS.WritableStream).on('error', () => {});
    const ready = await new Promise<boolean>((resolve) => {
      (c.stdio[3] as NodeJS.ReadableStream).once('data', () => resolve(true));
      c.on('exit', () => resolve(false));
      c.on('error', () => resolve(false));
    });
    if (!ready) fail(`slirp4netns exited: ${err.trim().split('\n').filter((l) => l && !l.startsWith('WARNING')).join('; ') || 'no reason given'}`);
    try {
      // tap0: its address alone and the gateway alone (the header says why); lo is up already (userns.c)
      inNetns(helper, ['addr', 'add', `${GUEST}/32`, 'dev', 'tap0']);
      inNetns(helper, ['link', 'set', 'tap0', 'up']);
      inNetns(helper, ['route', 'add', `${GATEWAY}/32`, 'dev', 'tap0']);
    } catch (e) { fail((e as Error).message); }
    for (const p of ports) {
      if (p.hostIp.includes(':')) fail(`-p ${p.hostIp}: IPv6 host addresses are not forwarded rootless`);
      const hostPort = p.hostPort || await freePort(p.proto, p.hostIp);
      const r = await api(sock, { execute: 'add_hostfwd', arguments: { proto: p.proto, host_addr: p.hostIp, host_port: hostPort, guest_addr: GUEST, guest_port: p.ctrPort } }).catch((e: Error) => ({ error: { desc: e.message } }));
      if (r.error) fail(`${p.hostIp}:${hostPort}/${p.proto}: ${r.error.desc ?? 'refused by slirp4netns'}`);
      bound.push({ proto: p.proto, hostIp: p.hostIp, hostPort, ctrPort: p.ctrPort });
    }
    writeFileSync(portsFile(recordDir), JSON.stringify(bound));
  }

  return { bound, go: () => {}, stop, netns };
}
