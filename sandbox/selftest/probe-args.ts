// sandbox/selftest/probe-args.ts — argv and environment a harness hands the escape-battery probe (host, pure but for readHostNamespaces)
//
// The probe's safety gate refuses to run unless TSS_PROBE_TOKEN equals --token and the namespaces
// it runs in differ from the host's (TSS_PROBE_HOST_USERNS/MNTNS, inode numbers read here on the
// host). The resource probes run only with their bounds, and those bounds must sit above the
// limits the sandbox sets for the probe to show the limit ("blocked" = stopped below the bound).
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';

export interface HostNamespaces {
  readonly user: number;
  readonly mnt: number;
  readonly pid: number;
  readonly net: number;
}

/** readHostNamespaces reads the calling process's namespace inodes: call it on the host side. */
export function readHostNamespaces(): HostNamespaces {
  const ino = (ns: string): number => Number(statSync(`/proc/self/ns/${ns}`).ino);
  return { user: ino('user'), mnt: ino('mnt'), pid: ino('pid'), net: ino('net') };
}

/** newProbeToken returns a fresh token: the gate wants 16+ characters, equal in argv and env */
export function newProbeToken(): string {
  return `tss-${randomBytes(16).toString('hex')}`;
}

export interface ProbeOptions {
  readonly token: string;
  /** a TCP port the harness listens on at the host's 127.0.0.1 (enables host_loopback) */
  readonly hostPort?: number;
  /** an abstract unix socket name the harness listens on in the host netns (enables host_abstract_unix) */
  readonly hostAbstract?: string;
  /** memory hog bound in MiB (enables memory_hog); set above the sandbox's memory limit */
  readonly memMib?: number;
  /** fork storm bound (probe default 1000); set above the sandbox's pids limit */
  readonly forkMax?: number;
  readonly only?: readonly string[];
  readonly skip?: readonly string[];
}

/** probeArgv: the arguments after the probe's path */
export function probeArgv(o: ProbeOptions): string[] {
  const a = ['--token', o.token];
  if (o.hostPort !== undefined) a.push('--host-port', String(o.hostPort));
  if (o.hostAbstract !== undefined) a.push('--host-abstract', o.hostAbstract);
  if (o.memMib !== undefined) a.push('--mem-mib', String(o.memMib));
  if (o.forkMax !== undefined) a.push('--fork-max', String(o.forkMax));
  if (o.only?.length) a.push('--only', o.only.join(','));
  if (o.skip?.length) a.push('--skip', o.skip.join(','));
  return a;
}

/** probeEnv: the variables the probe must find in its environment inside the sandbox */
export function probeEnv(token: string, host: HostNamespaces): Record<string, string> {
  return {
    TSS_PROBE_TOKEN: token,
    TSS_PROBE_HOST_USERNS: String(host.user),
    TSS_PROBE_HOST_MNTNS: String(host.mnt),
    TSS_PROBE_HOST_PIDNS: String(host.pid),
    TSS_PROBE_HOST_NETNS: String(host.net),
  };
}
