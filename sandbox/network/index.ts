// sandbox/network/index.ts — what run and the supervisors call: host-side network setup of one container and its undo (parent, runtime process)
//
// prepareNetwork runs in `run` after every refusal, before the launch: it makes the mount point the
// launcher binds the container's network namespace onto (when published ports or a lab network
// need to reach it) and, for a lab network, joins it (address, veth, /etc/hosts, the attach hook).
// startPorts runs in whichever process supervises the container (the foreground CLI or the detached
// supervisor): it binds the published ports and is told to enter the namespace once it exists.
import { fail } from '../../common/errors.js';
import type { OciSpec } from '../oci-spec.js';
import { ANN } from '../oci-spec.js';
import { leaveLab } from './lab-leave.js';
import { reapNetworks } from './lab.js';
import { makeNetnsFile, releaseNetns } from './netns.js';
import { portsOf, startPortProxy, type PortProxy } from './proxy.js';
import { startUserNet, userNetMissing, type UserNet } from './usernet.js';

export { reapNetworks } from './lab.js';
export type { PortProxy } from './proxy.js';
export type { UserNet } from './usernet.js';

export interface ContainerNet {
  /** the spec with the network's /etc files (a lab network adds its members to /etc/hosts) */
  readonly spec: OciSpec;
  /** for planLaunch's HostSide */
  readonly host: { netnsFile?: string; netHook?: readonly string[] };
  /** undo everything prepareNetwork did; idempotent */
  undo(): void;
}

export interface NetContext { readonly id: string; readonly name: string; readonly root: string; readonly run: string; readonly stateDir: string }

export async function prepareNetwork(spec: OciSpec, ctx: NetContext): Promise<ContainerNet> {
  const mode = spec.annotations[ANN.network] ?? 'none';
  const lab = mode !== 'none' && mode !== 'host';
  if (!lab && !portsOf(spec.annotations).length) return { spec, host: {}, undo: () => {} };
  if (process.geteuid?.() !== 0) {
    // lab networks are bridges and nftables in namespaces of their own: root's alone
    if (lab) fail('TSS_ENETWORK', 'run', `--network ${mode}`, 'lab networks need root (rootless runs get -p through slirp4netns, not lab networks)');
    // rootless -p: slirp4netns, started by startPorts's owner at the launcher's net gate (usernet.ts); nothing to make here
    const missing = userNetMissing();
    if (missing) fail('TSS_ENETWORK', 'run', '-p', missing);
    return { spec, host: {}, undo: () => {} };
  }
  const netnsFile = makeNetnsFile(ctx.stateDir);
  // a lab membership and the namespace mount are both recorded in the state dir: one undo for either
  const undo = () => releaseNetwork(ctx.stateDir);
  try {
    if (!lab) return { spec, host: { netnsFile }, undo };
    // loaded only for lab networks: a ports-only or plain run does not pay for it
    const { joinLab } = await import('./lab-join.js');
    reapNetworks();
    const j = await joinLab(spec, ctx, netnsFile, mode);
    return { spec: j.spec, host: { netnsFile, netHook: j.hook }, undo };
  } catch (e) {
    undo();
    // a join that failed after bringing the network up leaves it with no member: take it down now
    if (lab) reapNetworks();
    throw e;
  }
}

/**
 * startPorts binds the container's published ports (or returns null when it has none). Rootless it
 * returns a UserNet whose netns() does the work once the launcher holds the namespace: pass it as
 * launch's onNetns.
 */
export async function startPorts(spec: OciSpec, stateDir: string, recordDir: string, what: string): Promise<PortProxy | UserNet | null> {
  const ports = portsOf(spec.annotations);
  if (ports.length && process.geteuid?.() !== 0) return startUserNet(ports, stateDir, recordDir, what);
  return startPortProxy(ports, stateDir, recordDir, what);
}

/** netnsHook: the launch event a rootless port stack needs (none for root's proxy) */
export function netnsHook(p: PortProxy | UserNet | null): { onNetns?: (helper: number) => Promise<void> } {
  return p && 'netns' in p ? { onNetns: (h) => p.netns(h) } : {};
}

/**
 * releaseNetwork undoes a container's host-side network from what its state dir records: the lab
 * network's membership (the last member takes the network's runtime pieces with it) and the
 * namespace's mount. Every owner calls it before removing the state dir — the foreground CLI, the
 * detached supervisor, reapStale for a crashed one. Idempotent; never throws.
 */
export function releaseNetwork(stateDir: string): void {
  try { leaveLab(stateDir); } catch { /* the next prune retries */ }
  releaseNetns(stateDir);
}
