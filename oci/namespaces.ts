// oci/namespaces.ts — linux.namespaces: which the container gets of its own, which it joins by path, which are refused (OCI front end, reads the paths)
//
// A Kubernetes pod's containers share the pause container's network, ipc and uts namespaces (and
// its pid namespace with shareProcessNamespace): the CRI hands each container a path to join. We
// join network, ipc, uts, pid and cgroup namespaces by path — the launcher does, before it makes
// the container's user namespace (native/launcher/main.c join_early), so they stay owned by whoever
// made them and the container gets no capability over them. Refused, with the reason:
//  - mount: the container's tree is built and locked by us (masks, read-only paths, the idmapped
//    root); a mount namespace of someone else's would be none of that;
//  - user: every container has a user namespace and id range of its own (README "Volumes", DESIGN
//    §2); another's would share its ids and capabilities;
//  - any namespace that is the runtime's own (the host's): that is --ipc=host, --pid=host, not a pod.
import { statSync } from 'node:fs';
import { errnoReason, fail } from '../common/errors.js';

export type JoinableNs = 'ipc' | 'uts' | 'pid' | 'cgroup';
export interface NsJoin { readonly type: JoinableNs; readonly path: string }

/** the namespaces we make ourselves when the bundle gives no path (user, pid, mount, uts, ipc, cgroup: always) */
const ALWAYS_NEW = new Set(['user', 'pid', 'mount', 'uts', 'ipc', 'cgroup']);
const JOINABLE = new Set<string>(['ipc', 'uts', 'pid', 'cgroup']);
const REFUSED: Readonly<Record<string, string>> = {
  mount: 'joining a mount namespace is refused: the container\'s tree is built and locked by the runtime (masks, read-only paths, its own root)',
  user: 'joining a user namespace is refused: every container has a user namespace and host id range of its own',
};
/** /proc/self/ns names of the runtime-spec types */
const PROC_NAME: Readonly<Record<string, string>> = { ipc: 'ipc', uts: 'uts', pid: 'pid', cgroup: 'cgroup', network: 'net' };

export interface Namespaces {
  /** a network namespace to join (the pod's) */
  readonly netnsPath?: string;
  /** ipc, uts, pid, cgroup namespaces to join */
  readonly joins: readonly NsJoin[];
}

function sameInode(a: string, b: string): boolean {
  try { const x = statSync(a), y = statSync(b); return x.dev === y.dev && x.ino === y.ino; } catch { return false; }
}

/** checkNamespaces: what linux.namespaces asks of us, or one line naming the namespace we cannot honour */
export function checkNamespaces(list: readonly { readonly type: string; readonly path?: string | undefined }[] | undefined): Namespaces {
  let netnsPath: string | undefined;
  const joins: NsJoin[] = [];
  const seen = new Set<string>();
  for (const ns of list ?? []) {
    if (!ALWAYS_NEW.has(ns.type) && ns.type !== 'network' && ns.type !== 'time') fail('TSS_EUSAGE', 'create', ns.type, 'unknown namespace type');
    if (seen.has(ns.type)) fail('TSS_EUSAGE', 'create', `${ns.type} namespace`, 'listed twice');
    seen.add(ns.type);
    if (!ns.path) continue;
    const what = `${ns.type} namespace ${ns.path}`;
    if (REFUSED[ns.type]) fail('TSS_EREFUSED', 'create', what, REFUSED[ns.type]!);
    if (ns.type !== 'network' && !JOINABLE.has(ns.type)) fail('TSS_EUSAGE', 'create', what, 'joining this namespace type is not supported');
    if (!ns.path.startsWith('/')) fail('TSS_EUSAGE', 'create', what, 'not an absolute path');
    try { statSync(ns.path); } catch (e) { fail('TSS_EUSAGE', 'create', what, errnoReason(e)); }
    // the host's own namespace (the runtime runs in the host's): sharing it is no pod's business.
    // The network keeps its own, profile-decided rule (oci/create.ts, oci/sysctl.ts)
    if (ns.type !== 'network' && sameInode(ns.path, `/proc/self/ns/${PROC_NAME[ns.type]}`)) fail('TSS_EREFUSED', 'create', what, `it is the host's ${ns.type} namespace`);
    if (ns.type === 'network') netnsPath = ns.path;
    else joins.push({ type: ns.type as JoinableNs, path: ns.path });
  }
  return { ...(netnsPath ? { netnsPath } : {}), joins };
}
