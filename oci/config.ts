// oci/config.ts — a bundle's config.json: the runtime-spec subset we read (zod), turned into our internal OciSpec (OCI front end, reads the bundle)
//
// Field names and shapes follow opencontainers/runtime-spec config.md and schema/config-linux.json
// (v1.0.2 – v1.2). Unknown fields pass (the spec grows); what we cannot honour is refused or
// reported by name, never silently half-done where it weakens isolation.
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { errnoReason, fail } from '../common/errors.js';
import { quoteWideArgValues } from '../policy/oci-json.js';
import type { OciMount, OciSpec } from '../sandbox/oci-spec.js';
import { checkHooks, type OciHooks } from './hooks.js';
import { checkNamespaces, type NsJoin } from './namespaces.js';
import { checkSysctls } from './sysctl.js';

const IdMapping = z.object({ containerID: z.number().int().nonnegative(), hostID: z.number().int().nonnegative(), size: z.number().int().positive() });
const Mount = z.object({ destination: z.string().min(1), type: z.string().optional(), source: z.string().optional(), options: z.array(z.string()).optional() }).loose();
const Caps = z.object({
  bounding: z.array(z.string()).optional(), effective: z.array(z.string()).optional(), permitted: z.array(z.string()).optional(),
  inheritable: z.array(z.string()).optional(), ambient: z.array(z.string()).optional(),
}).loose();

export const ConfigSchema = z.object({
  ociVersion: z.string(),
  process: z.object({
    terminal: z.boolean().optional(),
    user: z.object({ uid: z.number().int().nonnegative(), gid: z.number().int().nonnegative(), umask: z.number().int().min(0).max(0o777).optional(), additionalGids: z.array(z.number().int().nonnegative()).optional() }).loose(),
    args: z.array(z.string()).min(1),
    env: z.array(z.string()).optional(),
    cwd: z.string().refine((c) => c.startsWith('/'), 'cwd must be absolute'),
    capabilities: Caps.optional(),
    rlimits: z.array(z.object({ type: z.string(), soft: z.number(), hard: z.number() })).optional(),
    noNewPrivileges: z.boolean().optional(),
    oomScoreAdj: z.number().int().min(-1000).max(1000).optional(),
  }).loose(),
  root: z.object({ path: z.string().min(1), readonly: z.boolean().optional() }),
  hostname: z.string().optional(),
  mounts: z.array(Mount).optional(),
  hooks: z.record(z.string(), z.array(z.object({ path: z.string(), args: z.array(z.string()).optional(), env: z.array(z.string()).optional(), timeout: z.number().optional() }).loose())).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  linux: z.object({
    uidMappings: z.array(IdMapping).optional(),
    gidMappings: z.array(IdMapping).optional(),
    namespaces: z.array(z.object({ type: z.string(), path: z.string().optional() })).optional(),
    maskedPaths: z.array(z.string()).optional(),
    readonlyPaths: z.array(z.string()).optional(),
    resources: z.object({
      memory: z.object({ limit: z.number().optional(), swap: z.number().optional() }).loose().optional(),
      cpu: z.object({ quota: z.number().optional(), period: z.number().optional(), cpus: z.string().optional(), shares: z.number().optional() }).loose().optional(),
      pids: z.object({ limit: z.number() }).loose().optional(),
    }).loose().optional(),
    cgroupsPath: z.string().optional(),
    seccomp: z.object({ defaultAction: z.string() }).loose().optional(),
    sysctl: z.record(z.string(), z.string()).optional(),
  }).loose().optional(),
}).loose();

export type OciConfig = z.infer<typeof ConfigSchema>;

export function readConfig(bundle: string): OciConfig {
  const file = join(bundle, 'config.json');
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) { fail('TSS_EUSAGE', 'create', file, errnoReason(e)); }
  let raw: unknown;
  // linux.seccomp's argument values go up to 2^64: quoted before JSON.parse rounds them to a
  // double (0xffffffffffffffff would become 2^64 + 384, then compare as 384 in our filter)
  try { raw = JSON.parse(quoteWideArgValues(text)); } catch (e) { fail('TSS_EUSAGE', 'create', file, `not JSON (${(e as Error).message})`); }
  const r = ConfigSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    fail('TSS_EUSAGE', 'create', file, `${i.path.join('.') || '(top)'}: ${i.message}`);
  }
  return r.data;
}

/** mount types the launcher makes its own way: devpts with /dev */
const SKIPPED = new Set(['devpts']);
/** options that are propagation or atime flags, not tmpfs data */
const NOT_DATA = /^(r?(private|shared|slave|unbindable)|r?bind|(no)?(strict|rel)?atime|(no)?diratime|sync|async|dirsync|(no)?suid|(no)?dev|(no)?exec|ro|rw|tmpcopyup|idmap|ridmap)$/;

export interface Translated {
  readonly spec: OciSpec;
  /** root.path made absolute against the bundle */
  readonly rootPath: string;
  /** a network namespace to join (the pod's) */
  readonly netnsPath?: string;
  /** ipc, uts, pid and cgroup namespaces to join (oci/namespaces.ts) */
  readonly nsJoins: readonly NsJoin[];
  /** what was left out, one line each (written to the log) */
  readonly notes: readonly string[];
  /** the host-side hooks we run (oci/hooks.ts) */
  readonly hooks?: OciHooks;
}

/** toSpec turns config.json into the internal spec every front end produces (the annotations are set by the caller) */
export function toSpec(c: OciConfig, bundle: string): Translated {
  const notes: string[] = [];
  const rootPath = isAbsolute(c.root.path) ? c.root.path : join(bundle, c.root.path);
  const { netnsPath, joins } = checkNamespaces(c.linux?.namespaces);
  const mounts: OciMount[] = [];
  for (const m of c.mounts ?? []) {
    const t = m.type ?? (m.options?.some((o) => o === 'bind' || o === 'rbind') ? 'bind' : undefined);
    if (t && SKIPPED.has(t)) { if (t !== 'devpts') notes.push(`mount ${m.destination} (${t}) is not made`); continue; }
    // /dev is the launcher's own (read-only once populated, with its own 64 MiB shm): a shm of the
    // caller's (podman binds one) is replaced by it
    if (m.destination === '/dev/shm') { notes.push('/dev/shm is the runtime\'s own 64 MiB tmpfs'); continue; }
    if (t === 'mqueue' || t === 'cgroup' || t === 'cgroup2') {
      // fresh instances from the container's own ipc / cgroup namespace (sandbox/launch-plan.ts); cgroup is always read-only
      mounts.push({ destination: m.destination, type: t, options: (m.options ?? []).includes('ro') ? ['ro'] : [] });
      continue;
    }
    if (t === 'tmpfs' || t === 'proc' || t === 'sysfs') {
      mounts.push({ destination: m.destination, type: t, options: (m.options ?? []).filter((o) => !NOT_DATA.test(o) || o === 'ro') });
      continue;
    }
    if (t === 'bind' || t === 'none') {
      if (!m.source) fail('TSS_EUSAGE', 'create', m.destination, 'a bind mount needs a source');
      let file = false;
      try { file = !statSync(m.source).isDirectory(); } catch (e) { fail('TSS_EUSAGE', 'create', m.source, errnoReason(e)); }
      const ro = (m.options ?? []).includes('ro');
      mounts.push({ destination: m.destination, type: 'bind', source: m.source, options: [...(ro ? ['ro'] : []), ...(file ? ['file'] : [])] });
      continue;
    }
    fail('TSS_EUSAGE', 'create', m.destination, `mount type ${t ?? '(none)'} is not supported`);
  }
  if (!mounts.some((m) => m.destination === '/dev')) mounts.push({ destination: '/dev', type: 'tmpfs', options: [] });
  const p = c.process;
  // sysctls: only keys of namespaces the container owns (ipc and uts always; net with a network namespace)
  const net = c.linux?.namespaces?.find((n) => n.type === 'network');
  const sysctl = c.linux?.sysctl && Object.keys(c.linux.sysctl).length ? checkSysctls(c.linux.sysctl, { ...(net ? { network: net.path ?? 'new' } : {}), joined: joins.map((j) => j.type) }) : undefined;
  const caps = p.capabilities ?? {};
  const r = c.linux?.resources ?? {};
  const spec: OciSpec = {
    ociVersion: c.ociVersion,
    process: {
      terminal: p.terminal ?? false,
      user: { uid: p.user.uid, gid: p.user.gid, ...(p.user.additionalGids ? { additionalGids: p.user.additionalGids } : {}), ...(p.user.umask !== undefined ? { umask: p.user.umask } : {}) },
      args: p.args,
      env: p.env ?? [],
      cwd: p.cwd,
      capabilities: { bounding: caps.bounding ?? [], effective: caps.effective ?? [], permitted: caps.permitted ?? [] },
      rlimits: p.rlimits ?? [],
      noNewPrivileges: p.noNewPrivileges ?? false,
      ...(p.oomScoreAdj !== undefined ? { oomScoreAdj: p.oomScoreAdj } : {}),
    },
    root: { path: rootPath, readonly: c.root.readonly ?? false },
    hostname: c.hostname ?? '',
    mounts,
    linux: {
      // a joined namespace is the launcher's `netnsjoin`/`nsjoin`: no new one on top of it
      namespaces: (c.linux?.namespaces ?? []).filter((n) => !n.path).map((n) => ({ type: n.type })),
      maskedPaths: c.linux?.maskedPaths ?? [],
      readonlyPaths: c.linux?.readonlyPaths ?? [],
      resources: {
        ...(r.memory && (r.memory.limit !== undefined || r.memory.swap !== undefined) ? { memory: { ...(r.memory.limit !== undefined ? { limit: r.memory.limit } : {}), ...(r.memory.swap !== undefined ? { swap: r.memory.swap } : {}) } } : {}),
        ...(r.cpu && (r.cpu.quota !== undefined || r.cpu.cpus) ? { cpu: { ...(r.cpu.quota !== undefined && r.cpu.quota > 0 ? { quota: r.cpu.quota } : {}), ...(r.cpu.period ? { period: r.cpu.period } : {}), ...(r.cpu.cpus ? { cpus: r.cpu.cpus } : {}) } } : {}),
        ...(r.pids && r.pids.limit > 0 ? { pids: { limit: r.pids.limit } } : {}),
      },
      ...(c.linux?.cgroupsPath ? { cgroupsPath: c.linux.cgroupsPath } : {}),
      ...(sysctl ? { sysctl } : {}),
    },
    annotations: {},
  };
  const hooks = checkHooks(c.hooks);
  return { spec, rootPath, notes, nsJoins: joins, ...(netnsPath ? { netnsPath } : {}), ...(hooks ? { hooks } : {}) };
}
