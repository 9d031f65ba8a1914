// oci/sysctl.ts — which linux.sysctl keys a container may set: only those of namespaces it owns (OCI front end, pure but for the netns check)
//
// A sysctl outside the container's own namespaces is a host setting: writing it would change every
// other container and the host. runc's and crun's rule, refused the same way, one line naming the
// key and why. The launcher writes what passes (native/launcher/kernel.c).
import { statSync } from 'node:fs';
import { fail } from '../common/errors.js';

/** System V IPC limits: per ipc namespace, and every container has its own */
const IPC = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

export interface SysctlNamespaces {
  /** 'new': its own network namespace; a path: a joined one (the pod's); undefined: the host's */
  readonly network?: 'new' | string;
  /** ipc, uts, … namespaces joined by path (a pod's, oci/namespaces.ts): not the container's own */
  readonly joined?: readonly string[];
}

function whyRefused(key: string, ns: SysctlNamespaces): string | null {
  // its own ipc and uts namespaces, unless joined: then they are the pod's, shared with its other containers
  if (IPC.has(key) || key.startsWith('fs.mqueue.')) return ns.joined?.includes('ipc') ? 'the ipc namespace is joined by path: it is the pod\'s, not the container\'s own' : null;
  if (key === 'kernel.domainname') return ns.joined?.includes('uts') ? 'the uts namespace is joined by path: it is the pod\'s, not the container\'s own' : null;
  if (key === 'kernel.hostname') return 'set the hostname with the hostname field';
  if (key.startsWith('net.')) {
    if (!ns.network) return 'the container shares the host\'s network namespace';
    if (ns.network !== 'new' && sameInode(ns.network, '/proc/self/ns/net')) return `${ns.network} is the host's network namespace`;
    return null;
  }
  return 'not a sysctl of a namespace the container owns (it would change the host)';
}

function sameInode(a: string, b: string): boolean {
  try { const x = statSync(a), y = statSync(b); return x.dev === y.dev && x.ino === y.ino; } catch { return false; }
}

/** checkSysctls returns the keys as given when every one is the container's own; else one line naming the first that is not */
export function checkSysctls(sysctl: Readonly<Record<string, string>>, ns: SysctlNamespaces): Record<string, string> {
  for (const [key, value] of Object.entries(sysctl)) {
    // dots become directories under /proc/sys: nothing else may shape the path
    if (!/^[a-z][a-z0-9_]*(\.[A-Za-z0-9_@:+-]+)+$/.test(key)) fail('TSS_EUSAGE', 'create', `linux.sysctl ${key}`, 'not a sysctl name');
    if (/[\0-\x08\n-\x1f]/.test(value)) fail('TSS_EUSAGE', 'create', `linux.sysctl ${key}`, 'the value has a control character');
    const why = whyRefused(key, ns);
    if (why) fail('TSS_EUSAGE', 'create', `linux.sysctl ${key}`, why);
  }
  return { ...sysctl };
}
