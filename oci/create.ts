// oci/create.ts — `create --bundle DIR [--pid-file F] [--console-socket S] ID`: config.json → spec → LaunchPlan, handed to a detached supervisor (OCI front end, CLI process)
//
// Everything that can refuse (config.json, node policy, annotations) runs before anything is made
// on the host; what is made is undone on every failing path. The supervisor is spawned detached:
// when this process exits it is reparented to the caller's subreaper (conmon, the containerd
// shim), which reaps it and reads the container's exit status from it — the pid file names it.
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { fail, SandboxError } from '../common/errors.js';
import { createCgroupManager } from '../sandbox/cgroups/index.js';
import { allocateIdRange } from '../sandbox/idrange.js';
import { planLaunch } from '../sandbox/launch-plan.js';
import type { IdMap, LaunchPlan } from '../sandbox/plan.js';
import { ANN } from '../sandbox/oci-spec.js';
import { PACKAGE_ROOT, runRoot } from '../sandbox/paths.js';
import { readConfig, toSpec } from './config.js';
import { writeOciHandoff } from './handoff.js';
import { spawnSupervisor } from '../sandbox/supervisor-spawn.js';
import { writePidFile } from './pidfile.js';
import { overlayParts } from './rootfs.js';
import { cgroupMounts } from './cgroup-mounts.js';
import { containerHooks, hookState, runStage } from './hooks.js';
import { boundCaps, compileBundleSeccomp, resolvePolicy, seccompAgent } from './policy.js';
import { prepareOciSupervision } from './audit.js';
import { anchorPathFor } from '../audit/anchor.js';
import { checkId, containerDir, OCI_VERSION, recordFile, writeRecord } from './state.js';

export const OCI_CGROUP_PARENT = 'tssandbox-oci';
const SUPERVISOR = join(PACKAGE_ROOT, 'dist', 'oci', 'supervisor-main.js');

export interface CreateOptions {
  readonly stateRoot: string;
  readonly id: string;
  readonly bundle: string;
  readonly pidFile?: string;
  readonly consoleSocket?: string;
  /** notes (what config.json asked for that is not made) go here */
  readonly note: (s: string) => void;
}

function toMaps(m: readonly { containerID: number; hostID: number; size: number }[]): IdMap[] {
  return m.map((x) => ({ inside: x.containerID, outside: x.hostID, count: x.size }));
}

function hostOf(maps: readonly IdMap[], inside: number, what: string): number {
  const m = maps.find((x) => inside >= x.inside && inside < x.inside + x.count);
  if (!m) fail('TSS_EUSAGE', 'create', what, `container id ${inside} is not mapped`);
  return m.outside + (inside - m.inside);
}

export async function ociCreate(o: CreateOptions): Promise<void> {
  const id = checkId(o.id, 'create');
  const bundle = resolve(o.bundle);
  if (existsSync(recordFile(o.stateRoot, id))) fail('TSS_ECONTAINER', 'create', id, 'container with the given ID already exists');
  const config = readConfig(bundle);
  const { spec: base, rootPath, notes, netnsPath, nsJoins, hooks } = toSpec(config, bundle);
  for (const n of notes) o.note(n);
  try { if (!statSync(rootPath).isDirectory()) fail('TSS_EUSAGE', 'create', rootPath, 'root.path is not a directory'); } catch (e) { if (e instanceof SandboxError) throw e; fail('TSS_EUSAGE', 'create', rootPath, 'root.path does not exist'); }
  // the bundle's annotations are the pod's: none of them may name our own internal keys
  const annotations = Object.fromEntries(Object.entries(config.annotations ?? {}).filter(([k]) => !k.startsWith('io.tssandbox.')));
  const policy = await resolvePolicy(annotations);
  // capabilities: what the bundle asks for, bounded by every applied profile
  const caps = boundCaps(policy.profiles, base.process.capabilities.bounding);
  const bundle_ = await compileBundleSeccomp(config.linux?.seccomp, caps);
  const bundleFilter = bundle_?.bytes ?? null;
  // listenerPath: an external agent gets the listener of the bundle's notify rules (oci/agent.ts) —
  // unless a profile of ours is supervised: the chain's one listener is then our supervisor's
  const agent = seccompAgent(config.linux?.seccomp, bundle_?.notify ?? false, o.note);
  if (agent) {
    const { supervised } = await import('../sandbox/notify/index.js');
    const ours = policy.profiles.find((p, i) => supervised(p, policy.digests[i]));
    if (ours) fail('TSS_EREFUSED', 'create', 'linux.seccomp.listenerPath', `profile ${ours.name}'s supervisor owns the container's one seccomp listener (a filter chain has one), so an external agent cannot have it; use a node profile without supervisor rules`);
  }
  const strictest = policy.profiles[policy.profiles.length - 1]!;
  // the network: no namespace in the bundle is the host's; a joined one is the pod's managed network
  const nets = config.linux?.namespaces?.filter((n) => n.type === 'network') ?? [];
  for (const p of policy.profiles) {
    if (!nets.length && p.network !== 'host' && !p.loosen.networkHost) fail('TSS_EREFUSED', 'create', id, `profile ${p.name} refuses the host's network (the bundle has no network namespace)`);
    if (nets.some((n) => n.path) && !p.loosen.networkLab && !p.loosen.networkHost) fail('TSS_EREFUSED', 'create', id, `profile ${p.name} refuses a shared network namespace (run with --network none)`);
  }
  const spec = {
    ...base,
    root: { ...base.root, readonly: base.root.readonly || policy.profiles.some((p) => p.rootfs.readOnly) },
    process: {
      ...base.process,
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: base.process.noNewPrivileges || policy.profiles.some((p) => p.noNewPrivileges),
    },
    linux: {
      ...base.linux,
      maskedPaths: [...new Set([...base.linux.maskedPaths, ...policy.profiles.flatMap((p) => p.maskedPaths)])],
      readonlyPaths: [...new Set([...base.linux.readonlyPaths, ...policy.profiles.flatMap((p) => p.readonlyPaths)])],
    },
    annotations: { ...annotations, [ANN.profile]: strictest.name, [ANN.devices]: strictest.devices.join(',') },
  };
  const withLayers = (l: readonly string[]) => ({ ...spec, annotations: { ...spec.annotations, [ANN.layers]: JSON.stringify(l) } });

  const dir = containerDir(o.stateRoot, id);
  const cleanup: (() => void)[] = [];
  const undo = () => { for (const f of cleanup.reverse()) { try { f(); } catch { /* keep cleaning */ } } cleanup.length = 0; };
  let handedOver = false;
  try {
    mkdirSync(o.stateRoot, { recursive: true, mode: 0o700 });
    mkdirSync(dir, { mode: 0o700 });
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const stage = join(dir, 'launch');
    for (const d of ['root', 'rw']) mkdirSync(join(stage, d), { recursive: true, mode: 0o700 });
    // ids: the bundle's mappings (its rootfs is already owned by them), or a range of ours and an
    // idmapped root — tssandbox never runs a container as host root, whatever the bundle says
    let uidMap: IdMap[], gidMap: IdMap[], idmap: boolean, slotFile: string | undefined;
    let layers: readonly string[] | null = null;
    if (config.linux?.uidMappings?.length) {
      uidMap = toMaps(config.linux.uidMappings);
      gidMap = toMaps(config.linux.gidMappings ?? config.linux.uidMappings);
      idmap = false;
    } else {
      const ids = allocateIdRange(runRoot(), id, Math.floor(Math.random() * 4096));
      slotFile = join(runRoot(), 'idranges', String(ids.slot));
      cleanup.push(() => ids.release());
      uidMap = gidMap = [{ inside: 0, outside: ids.base, count: ids.size }];
      idmap = true;
      layers = overlayParts(rootPath)?.layers ?? null;
    }
    const rootUid = hostOf(uidMap, 0, 'uid 0'), rootGid = hostOf(gidMap, 0, 'gid 0');
    const r = spec.linux.resources;
    const cg = createCgroupManager().create(id, {
      ...(r.memory?.limit !== undefined ? { memory: r.memory.limit } : {}),
      ...(r.memory?.swap !== undefined ? { memorySwap: r.memory.swap } : {}),
      ...(r.cpu?.quota !== undefined ? { cpus: r.cpu.quota / (r.cpu.period ?? 100000) } : {}),
      ...(r.cpu?.cpus ? { cpusetCpus: r.cpu.cpus } : {}),
      ...(r.pids ? { pids: r.pids.limit } : {}),
    }, OCI_CGROUP_PARENT);
    cleanup.push(() => { cg.killAll(); cg.remove(); });
    for (const w of cg.warnings) o.note(w);
    chownSync(join(stage, 'root'), rootUid, rootGid);
    if (layers) {
      // an overlay's parts become idmapped layers under an upper of ours (oci/rootfs.ts)
      for (let i = 0; i < layers.length; i++) mkdirSync(join(stage, 'l', String(i)), { recursive: true, mode: 0o700 });
      mkdirSync(join(stage, 'rw', 'work'), { recursive: true, mode: 0o700 });
      mkdirSync(join(stage, 'rw', 'upper'), { mode: 0o755 });
      chownSync(join(stage, 'rw', 'upper'), rootUid, rootGid);
      o.note(`root ${rootPath} is an overlay: its layers are shown idmapped under a per-container upper (writes are not seen by the caller)`);
    }
    // a supervised profile (notify rules): its rewritten filter goes last, the one the launcher
    // installs with NEW_LISTENER; the session file goes into the container's dir for the supervisor
    const supervision = await prepareOciSupervision(policy, o.stateRoot, id, dir);
    // a failed create leaves no log behind, but never removes the log of an earlier container of that id
    if (supervision && !existsSync(supervision.log)) cleanup.push(() => { for (const f of [supervision.log, anchorPathFor(supervision.log)]) rmSync(f, { force: true }); });
    const filters = supervision ? [...supervision.others, supervision.bytes] : policy.filters;
    // the filter installed last gets the listener: ours when supervised, the bundle's for an agent.
    // The strictest action of all filters wins whatever the order; only between two denials of the
    // same kind (two errnos) does the newest filter's win — so with an agent the bundle's errno
    // does, otherwise the node's
    const chain = agent && bundleFilter ? [...filters, bundleFilter] : [...(bundleFilter ? [bundleFilter] : []), ...filters];
    const planned = planLaunch(layers ? withLayers(layers) : spec, { stateDir: stage, rwDir: join(stage, 'rw'), idBase: rootUid, idCount: 65536, cgroupProcs: cg.procsFiles, seccomp: chain[chain.length - 1] ?? null,
      ...(spec.mounts.some((m) => m.type === 'cgroup' || m.type === 'cgroup2') ? { cgroupMounts: cgroupMounts(cg.procsFiles) } : {}) });
    const before = chain.slice(0, -1);
    // a file bind's parent may be missing from the image (podman's /run/.containerenv)
    const setup = planned.setup.flatMap((op) => (op.op === 'mkfile' && posix.dirname(op.path) !== '/' ? [{ op: 'mkdir' as const, path: posix.dirname(op.path) }, op] : [op]));
    const plan: LaunchPlan = {
      ...planned, setup, uidMap, gidMap, rootUid, rootGid,
      ...(netnsPath ? { netnsJoin: netnsPath } : {}),
      ...(nsJoins.length ? { nsJoin: nsJoins } : {}),
      noNewPrivileges: planned.noNewPrivileges || before.length > 0,
      ...(layers ? {} : { rootDir: { path: rootPath, idmap } }),
      gate: true,
      inheritStdio: !spec.process.terminal,
      ...(spec.process.terminal && o.consoleSocket ? { consoleSocket: resolve(o.consoleSocket) } : {}),
      seccompBefore: before,
      // createRuntime/prestart hooks: the child waits for them before pivot_root (native/launcher/child.c 3a)
      ...(hooks?.prestart?.length || hooks?.createRuntime?.length ? { hookGate: true } : {}),
      // createContainer/startContainer hooks: the child runs them in the container's namespaces (native/launcher/hooks.c)
      ...(hooks?.createContainer?.length || hooks?.startContainer?.length ? {
        containerHooks: containerHooks(hooks),
        hookState: (['createContainer', 'startContainer'] as const).map((st) => hookState({ ociVersion: config.ociVersion || OCI_VERSION, id, status: st === 'createContainer' ? 'creating' : 'created', bundle, annotations }, st)),
      } : {}),
    };
    if (spec.process.terminal && !o.consoleSocket) fail('TSS_EUSAGE', 'create', id, 'process.terminal needs --console-socket');
    writeRecord(o.stateRoot, { ociVersion: config.ociVersion || OCI_VERSION, id, status: 'creating', bundle, annotations, created: new Date().toISOString(), cgroupParent: OCI_CGROUP_PARENT });
    writeOciHandoff({ id, stateRoot: o.stateRoot, dir, ...(slotFile ? { slotFile } : {}), cgroupParent: OCI_CGROUP_PARENT, what: id, plan, ...(hooks ? { hooks } : {}), ...(supervision ? { execSeccomp: supervision.plain.toString('hex'), execAudited: supervision.notify } : {}), ...(agent ? { agent } : {}) });
    // fds 4-6 of the supervisor are this process's 0-2: the caller's pipes, which the payload gets as they are
    const { child, msg } = await spawnSupervisor(SUPERVISOR, dir, join(dir, 'supervisor.log'), { payloadIo: spec.process.terminal ? 'null' : 'inherit' });
    if (msg?.event === 'created') {
      handedOver = true;
      child.unref();
      if (o.pidFile) writePidFile(o.pidFile, child.pid!);
      return;
    }
    if (msg?.event === 'error') {
      handedOver = true;
      undo();
      // runtime-spec: a failed create goes on to the container's destruction and its poststop hooks (warnings only)
      if (hooks?.poststop?.length) {
        for (const w of await runStage(hooks, 'poststop', { ociVersion: config.ociVersion || OCI_VERSION, id, status: 'stopped', bundle, annotations }, false)) o.note(w);
      }
      throw new SandboxError('TSS_ELAUNCH', msg.message ?? `create \`${id}\`: the supervisor failed`, { exitCode: msg.exitCode ?? 125 });
    }
    let why = '';
    try { why = readFileSync(join(dir, 'supervisor.log'), 'utf8').trim().split('\n').pop() ?? ''; } catch { /* none */ }
    fail('TSS_ELAUNCH', 'create', id, `the supervisor exited before the container was created${why ? ` (${why})` : ''}`);
  } finally {
    if (!handedOver) undo();
  }
}

