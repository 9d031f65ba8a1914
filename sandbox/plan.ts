// sandbox/plan.ts — the LaunchPlan: what the native launcher executes, and its wire encoding (parent, pure)
//
// bubblewrap's model: policy decides in TypeScript, the launcher obeys. The plan is a list of
// records, each a run of NUL-terminated strings ended by an empty string; the launcher reports a
// failing record by its index, which describeStep() turns back into words.

export interface IdMap { readonly inside: number; readonly outside: number; readonly count: number }

export type SetupOp =
  | { readonly op: 'mkdir'; readonly path: string; readonly mode?: number }
  | { readonly op: 'file'; readonly path: string; readonly content: string }
  | { readonly op: 'mkfile'; readonly path: string }
  | { readonly op: 'proc'; readonly path: string }
  | { readonly op: 'sysfs'; readonly path: string }
  | { readonly op: 'dev'; readonly path: string; readonly names: readonly string[] }
  | { readonly op: 'tmpfs'; readonly path: string; readonly options: string }
  /** a fresh mqueue, cgroup or cgroup2 filesystem (OCI mounts of those types) */
  | { readonly op: 'kernfs'; readonly path: string; readonly fstype: 'mqueue' | 'cgroup' | 'cgroup2'; readonly data: string; readonly readOnly: boolean }
  | { readonly op: 'bind'; readonly src: string; readonly dst: string; readonly readOnly: boolean }
  | { readonly op: 'mask'; readonly path: string }
  | { readonly op: 'readonly'; readonly path: string }
  | { readonly op: 'pty' }
  | { readonly op: 'rootro' };

export interface LaunchPlan {
  readonly uidMap: readonly IdMap[];
  readonly gidMap: readonly IdMap[];
  /** host ids of the container's root: the idmap base every layer is shown through */
  readonly rootUid: number;
  readonly rootGid: number;
  /** cgroup.procs files the launcher writes the payload's pid into before it starts */
  readonly cgroupProcs: readonly string[];
  readonly hostname: string;
  /** 'new': a network namespace of its own (loopback only); 'host': the host's */
  readonly network: 'new' | 'host';
  /** an empty file the launcher binds the new network namespace onto (published ports, lab networks: sandbox/network/) */
  readonly netnsFile?: string;
  /** run by the launcher once that namespace exists, before the payload (a lab network's attach script) */
  readonly netHook?: readonly string[];
  /** an empty directory the root is assembled on (only inside the launcher's mount namespace) */
  readonly root: string;
  /** image layers bottom first, each with an empty staging directory for its idmapped mount */
  readonly layers: readonly { readonly dir: string; readonly stage: string }[];
  /** the per-container layer: dir holds upper/ and work/ */
  readonly rwLayer: { readonly dir: string; readonly stage: string };
  readonly setup: readonly SetupOp[];
  /** resource numbers as the kernel numbers them; -1 = unlimited */
  readonly rlimits: readonly { readonly resource: number; readonly soft: number; readonly hard: number }[];
  readonly user: { readonly uid: number; readonly gid: number; readonly groups: readonly number[] };
  readonly cwd: string;
  /** PR_SET_NO_NEW_PRIVS before the filter (forced by the planner whenever there is a filter) */
  readonly noNewPrivileges: boolean;
  /** capabilities kept (bit N = capability N) */
  readonly capabilities: bigint;
  /** compiled sock_filter bytes; null = no filter (unconfined only) */
  readonly seccomp: Buffer | null;
  readonly env: readonly string[];
  readonly argv: readonly string[];
  /** -i: the runtime's stdin is copied to the payload's (else it reads /dev/null) */
  readonly interactive?: boolean;
  /** OCI mode (oci/): the root is this plain directory instead of layers; idmap when its files are owned by host ids */
  readonly rootDir?: { readonly path: string; readonly idmap: boolean };
  /** OCI create: the payload waits, set up, until `start` */
  readonly gate?: boolean;
  /** OCI mode: the payload gets the launcher's fds 0-2 as they are (the caller's pipes) */
  readonly inheritStdio?: boolean;
  /** OCI --console-socket: where the pty master goes */
  readonly consoleSocket?: string;
  /** OCI mode: a network namespace to join (a pod's), before the user namespace is made; network must be 'host' */
  readonly netnsJoin?: string;
  /**
   * OCI mode: ipc, uts, pid, cgroup namespaces to join by path (a pod's) instead of making new ones.
   * Joined before the user namespace is made (native/launcher/main.c join_early), so they stay their
   * maker's: the container gets no capability over them. Mount and user namespaces and the runtime's
   * own are refused (oci/namespaces.ts; the launcher re-checks the last on the fd it joins).
   */
  readonly nsJoin?: readonly { readonly type: 'ipc' | 'uts' | 'pid' | 'cgroup'; readonly path: string }[];
  /** OCI mode: filters installed BEFORE `seccomp` (the bundle's own), stacked by the kernel */
  readonly seccompBefore?: readonly Buffer[];
  /** OCI process.user.umask: the payload's umask */
  readonly umask?: number;
  /** OCI process.oomScoreAdj: written by the child while still host root */
  readonly oomScoreAdj?: number;
  /** OCI linux.sysctl, already checked to belong to the container's own namespaces (oci/sysctl.ts) */
  readonly sysctl?: readonly { readonly key: string; readonly value: string }[];
  /** OCI create with createRuntime/prestart hooks: the child stops before pivot_root until they ran */
  readonly hookGate?: boolean;
  /** OCI createContainer/startContainer hooks, run by the child in the container's namespaces (native/launcher/hooks.c) */
  readonly containerHooks?: readonly { readonly stage: 'createContainer' | 'startContainer'; readonly path: string; readonly args: readonly string[]; readonly env: readonly string[]; readonly timeout: number }[];
  /** their state JSON, split where the container's host pid goes (only the child knows it) */
  readonly hookState?: readonly { readonly stage: 'createContainer' | 'startContainer'; readonly prefix: string; readonly suffix: string }[];
  /** rootless (sandbox/rootless.ts): the launcher's own user namespace, mapped by these setuid
   * helpers with these host ranges; uidMap/gidMap and rootUid are then in that namespace's ids */
  readonly rootless?: RootlessMaps;
}

export interface RootlessMaps {
  readonly newuidmap: string;
  readonly newgidmap: string;
  readonly uidMap: readonly IdMap[];
  readonly gidMap: readonly IdMap[];
}

/** encodePlan renders the plan as the launcher reads it; the second value names each record. */
export function encodePlan(plan: LaunchPlan): { bytes: Buffer; steps: string[] } {
  const records: string[][] = [];
  const add = (...fields: (string | number)[]) => {
    for (const f of fields) {
      if (String(f).includes('\0')) throw new Error(`plan field contains a NUL byte: ${JSON.stringify(String(f).slice(0, 40))}`);
    }
    records.push(fields.map(String));
  };
  if (plan.rootless) {
    add('rootless', plan.rootless.newuidmap, plan.rootless.newgidmap);
    for (const m of plan.rootless.uidMap) add('outeruidmap', m.inside, m.outside, m.count);
    for (const m of plan.rootless.gidMap) add('outergidmap', m.inside, m.outside, m.count);
  }
  for (const m of plan.uidMap) add('uidmap', m.inside, m.outside, m.count);
  for (const m of plan.gidMap) add('gidmap', m.inside, m.outside, m.count);
  add('idmapbase', plan.rootUid, plan.rootGid);
  add('netns', plan.network);
  if (plan.netnsJoin) add('netnsjoin', plan.netnsJoin);
  for (const j of plan.nsJoin ?? []) add('nsjoin', j.type, j.path);
  if (plan.netnsFile) add('netnsfile', plan.netnsFile);
  if (plan.netHook?.length) add('nethook', ...plan.netHook);
  for (const f of plan.cgroupProcs) add('cgroup', f);
  add('hostname', plan.hostname);
  add('root', plan.root);
  for (const l of plan.layers) add('layer', l.dir, l.stage);
  add('rwlayer', plan.rwLayer.dir, plan.rwLayer.stage);
  if (plan.rootDir) add('rootdir', plan.rootDir.path, plan.rootDir.idmap ? 'idmap' : 'plain');
  if (plan.gate) add('gate');
  if (plan.inheritStdio) add('stdioinherit');
  if (plan.consoleSocket) add('console', plan.consoleSocket);
  if (plan.oomScoreAdj !== undefined) add('oomscoreadj', plan.oomScoreAdj);
  // System V IPC and mqueue sysctls are writable only by the ipc namespace's root (the container's
  // root, host uid rootUid), not by host root; the others by host root
  for (const k of plan.sysctl ?? []) add('sysctl', k.key, k.key.replace(/\./g, '/'), k.value, /^(kernel\.(msg|sem|shm)|fs\.mqueue\.)/.test(k.key) ? 'nsroot' : 'root');
  // a cgroup mount shows the container's own cgroup namespace: the child makes it before the tree
  if (plan.setup.some((s) => s.op === 'kernfs' && s.fstype !== 'mqueue')) add('cgroupns');
  if (plan.hookGate) add('hookgate');
  for (const h of plan.containerHooks ?? []) add('hook', h.stage, h.timeout, h.path, h.args.length, ...h.args, ...h.env);
  for (const h of plan.hookState ?? []) add('hookstate', h.stage, h.prefix, h.suffix);
  for (const s of plan.setup) add(...setupFields(s));
  for (const r of plan.rlimits) add('rlimit', r.resource, r.soft, r.hard);
  add('user', plan.user.uid, plan.user.gid, ...plan.user.groups);
  add('cwd', plan.cwd);
  if (plan.umask !== undefined) add('umask', plan.umask.toString(8));
  add('caps', plan.capabilities.toString(16));
  if (plan.noNewPrivileges) add('nnp');
  for (const f of plan.seccompBefore ?? []) add('seccomp', f.toString('hex'));
  if (plan.seccomp) add('seccomp', plan.seccomp.toString('hex'));
  for (const e of plan.env) add('env', e);
  if (plan.interactive) add('interactive');
  add('argv', ...plan.argv);
  const parts: Buffer[] = [];
  for (const r of records) {
    for (const f of r) parts.push(Buffer.from(f + '\0'));
    parts.push(Buffer.from('\0'));
  }
  return { bytes: Buffer.concat(parts), steps: records.map((r) => describeRecord(r)) };
}

function setupFields(s: SetupOp): (string | number)[] {
  switch (s.op) {
    case 'mkdir': return ['mkdir', s.path, (s.mode ?? 0o755).toString(8)];
    case 'file': return ['file', s.path, Buffer.from(s.content).toString('hex')];
    case 'mkfile': return ['mkfile', s.path];
    case 'proc': return ['proc', s.path];
    case 'sysfs': return ['sysfs', s.path];
    case 'dev': return ['dev', s.path, ...s.names];
    case 'tmpfs': return ['tmpfs', s.path, s.options];
    // an empty field would end the record: no mount data is '-'
    case 'kernfs': return ['kernfs', s.path, s.fstype, s.data || '-', s.readOnly ? 'ro' : 'rw'];
    case 'bind': return ['bind', s.src, s.dst, s.readOnly ? 'ro' : 'rw'];
    case 'mask': return ['mask', s.path];
    case 'readonly': return ['readonly', s.path];
    case 'pty': return ['pty'];
    case 'rootro': return ['rootro'];
  }
}

function describeRecord(r: string[]): string {
  const [op, ...rest] = r;
  switch (op) {
    case 'seccomp': return 'seccomp (install the filter)';
    case 'sysctl': return `sysctl ${rest[0]}`;
    case 'file': return `file ${rest[0]}`;
    case 'bind': return `bind ${rest[0]} → ${rest[1]}${rest[2] === 'ro' ? ' (read-only)' : ''}`;
    case 'argv': return `exec ${rest.join(' ')}`;
    case 'env': return 'env';
    default: return [op, ...rest].join(' ');
  }
}
