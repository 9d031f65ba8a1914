// sandbox/docker-spec.ts — the docker-like front end: image config + profile + run flags → OCI spec (parent, pure but for reading image files)
import { readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { fail, SandboxError } from '../common/errors.js';
import type { ResolvedImage } from '../image/types.js';
import type { Profile } from '../policy/types.js';
import {
  expandEnv, parseAddHost, parseBytes, parsePositiveNumber, parseTmpfs, parseUlimit, parseVolume, readEnvFile,
  type RunOptions,
} from './flags.js';
import { parseGroup, parsePasswd, readImageFile } from './image-files.js';
import { checkCapAdd, checkLimit, normaliseCap, refuse } from './loosen.js';
import { ANN, type OciMount, type OciSpec } from './oci-spec.js';
import { INIT_PATH } from './paths.js';
import { ANN_EGRESS } from './network/egress.js';
import { checkNetwork, etcForMode } from './network/mode.js';
import { ANN_PORTS, publishList } from './network/ports.js';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Kernel interfaces a volume may never cover or replace (nor a parent of them). */
const PROTECTED = ['/proc', '/sys', '/dev'];

export interface SpecContext { readonly id: string; readonly name: string }

export function buildDockerSpec(image: ResolvedImage, profile: Profile, o: RunOptions, ctx: SpecContext): OciSpec {
  if (o.privileged) {
    throw new SandboxError('TSS_EREFUSED', 'run `--privileged`: refused: tssandbox never gives a container every capability with no filter; use --profile unconfined (debugging only) or add what is needed with --cap-add');
  }
  const args = command(image, o);
  const { uid, gid, groups, home } = resolveUser(image, o);
  const env = environment(image, o, ctx, home);
  const hostname = o.hostname ?? ctx.id.slice(0, 12);
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/.test(hostname)) fail('TSS_EUSAGE', 'parse', `--hostname ${hostname}`, 'not a valid host name');

  // Loosening checks come before anything is built: a refusal leaves nothing behind.
  const network = checkNetwork(profile, o.network);
  const ports = publishList(o.publish, o.publishAll ?? false, image.config.ExposedPorts);
  if (ports.length && network === 'host') fail('TSS_EUSAGE', 'run', o.publish.length ? `-p ${o.publish[0]}` : '-P', 'published ports need a network namespace of the container\'s own, not --network host');
  checkCapAdd(profile, o.capAdd);
  const drop = new Set(o.capDrop.map(normaliseCap));
  const caps = [...new Set([...profile.capabilities, ...o.capAdd].map(normaliseCap))]
    .filter((c) => c !== 'ALL' && !drop.has(c) && !drop.has('ALL'));
  if (o.capAdd.map(normaliseCap).includes('ALL')) fail('TSS_EUSAGE', 'run', '--cap-add ALL', 'name the capabilities needed');
  let readOnly = profile.rootfs.readOnly;
  if (o.readOnly === true) readOnly = true;
  if (o.readOnly === false && readOnly) {
    if (!profile.loosen.readWrite) refuse('--read-write', profile, 'loosen.readWrite', 'the root filesystem stays read-only');
    readOnly = false;
  }
  for (const s of o.securityOpt) {
    if (s.startsWith('seccomp=') && !profile.loosen.seccompOverride) refuse(`--security-opt ${s}`, profile, 'loosen.seccompOverride', 'the profile\'s filter may not be replaced');
    if (s !== 'no-new-privileges' && s !== 'no-new-privileges:true' && !s.startsWith('seccomp=')) fail('TSS_EUSAGE', 'parse', `--security-opt ${s}`, 'unknown security option');
  }
  const seccompOpt = o.securityOpt.filter((s) => s.startsWith('seccomp=')).map((s) => s.slice('seccomp='.length)).pop();

  const resources = limits(profile, o);
  const rlimits = rlimitList(profile, o);
  const mounts = mountList(profile, o, readOnly);
  const timeout = o.timeout === undefined ? undefined : parsePositiveNumber('--timeout', o.timeout, false);
  return {
    ociVersion: '1.2.0',
    process: {
      terminal: o.tty, user: { uid, gid, additionalGids: groups }, args, env, cwd: workdir(image, o),
      capabilities: { bounding: caps, effective: uid === 0 ? caps : [], permitted: uid === 0 ? caps : [] },
      // a filter needs no_new_privs to be installed by an unprivileged process: forced with one
      rlimits, noNewPrivileges: profile.noNewPrivileges || profile.seccomp !== null,
    },
    root: { path: image.layers[image.layers.length - 1] ?? '', readonly: readOnly },
    hostname,
    mounts,
    linux: {
      namespaces: ['pid', 'mount', 'ipc', 'uts', 'user', 'cgroup', ...(network === 'host' ? [] : ['network'])].map((type) => ({ type })),
      maskedPaths: profile.maskedPaths, readonlyPaths: profile.readonlyPaths, resources,
      ...(o.cgroupParent ? { cgroupsPath: `${o.cgroupParent}/${ctx.id}` } : {}),
    },
    annotations: {
      [ANN.layers]: JSON.stringify(image.layers), [ANN.profile]: profile.name, [ANN.profileDigest]: profile.digest,
      [ANN.image]: image.ref, [ANN.imageId]: image.id, [ANN.devices]: profile.devices.join(','),
      [ANN.files]: JSON.stringify(etcFiles(hostname, o, network)), [ANN.interactive]: String(o.interactive), [ANN.network]: network,
      ...(timeout ? { [ANN.timeout]: String(timeout) } : {}),
      ...(ports.length ? { [ANN_PORTS]: JSON.stringify(ports) } : {}),
      // a lab member's egress (sandbox/network/egress.ts); absent: none
      ...(network !== 'none' && network !== 'host' && profile.egress ? { [ANN_EGRESS]: JSON.stringify(profile.egress) } : {}),
      ...(seccompOpt !== undefined ? { [ANN.seccomp]: seccompOpt } : {}),
      ...(o.init ? { [ANN.init]: INIT_PATH } : {}),
    },
  };
}

/** docker's rule: --entrypoint replaces Entrypoint and drops the image's Cmd; a CMD replaces Cmd. */
function command(image: ResolvedImage, o: RunOptions): string[] {
  const entry = o.entrypoint !== undefined ? (o.entrypoint === '' ? [] : [o.entrypoint]) : [...(image.config.Entrypoint ?? [])];
  const cmd = o.command.length ? [...o.command] : o.entrypoint !== undefined ? [] : [...(image.config.Cmd ?? [])];
  const args = [...entry, ...cmd];
  if (!args.length) fail('TSS_EUSAGE', 'run', image.ref, 'no command given and the image has no Entrypoint or Cmd');
  return args;
}

function workdir(image: ResolvedImage, o: RunOptions): string {
  const w = o.workdir ?? (image.config.WorkingDir || '/');
  if (!w.startsWith('/')) fail('TSS_EUSAGE', 'parse', `-w ${w}`, 'the working directory must be an absolute path');
  return posix.normalize(w);
}

function resolveUser(image: ResolvedImage, o: RunOptions): { uid: number; gid: number; groups: number[]; home: string } {
  const spec = o.user ?? image.config.User ?? '';
  const passwd = parsePasswd(readImageFile(image.layers, '/etc/passwd'));
  const group = parseGroup(readImageFile(image.layers, '/etc/group'));
  const [u = '', g] = spec.split(':');
  const numeric = (s: string) => /^\d+$/.test(s);
  let uid = 0, gid: number | undefined, home = '/', name: string | undefined;
  if (u !== '') {
    const entry = numeric(u) ? passwd.find((p) => p.uid === Number(u)) : passwd.find((p) => p.name === u);
    if (!numeric(u) && !entry) fail('TSS_EUSAGE', 'run', `-u ${spec}`, `no user ${u} in the image's /etc/passwd`);
    uid = numeric(u) ? Number(u) : entry!.uid;
    gid = entry?.gid;
    home = entry?.home ?? '/';
    name = entry?.name;
  } else {
    const root = passwd.find((p) => p.uid === 0);
    home = root?.home ?? '/root';
    name = root?.name;
    gid = 0;
  }
  if (g !== undefined && g !== '') {
    const ge = numeric(g) ? undefined : group.find((x) => x.name === g);
    if (!numeric(g) && !ge) fail('TSS_EUSAGE', 'run', `-u ${spec}`, `no group ${g} in the image's /etc/group`);
    gid = numeric(g) ? Number(g) : ge!.gid;
  }
  gid ??= uid === 0 ? 0 : uid;
  if (uid > 65535 || gid > 65535) fail('TSS_EUSAGE', 'run', `-u ${spec}`, 'ids above 65535 are outside the container\'s id range');
  const groups = new Set<number>();
  if (name) for (const x of group) if (x.members.includes(name) && x.gid !== gid) groups.add(x.gid);
  for (const a of o.groupAdd) {
    const gid2 = /^\d+$/.test(a) ? Number(a) : group.find((x) => x.name === a)?.gid;
    if (gid2 === undefined || gid2 > 65535) fail('TSS_EUSAGE', 'run', `--group-add ${a}`, 'no such group in the image (or id above 65535)');
    groups.add(gid2);
  }
  return { uid, gid, groups: [...groups], home };
}

function environment(image: ResolvedImage, o: RunOptions, ctx: SpecContext, home: string): string[] {
  const env = new Map<string, string>();
  const put = (e: string) => { const i = e.indexOf('='); env.set(e.slice(0, i), e.slice(i + 1)); };
  put(`PATH=${DEFAULT_PATH}`);
  put(`HOSTNAME=${o.hostname ?? ctx.id.slice(0, 12)}`);
  for (const e of image.config.Env ?? []) if (e.includes('=')) put(e);
  if (o.tty) put('TERM=xterm');
  for (const f of o.envFile) for (const e of readEnvFile(f)) put(e);
  for (const e of o.env) for (const x of expandEnv(e)) put(x);
  if (!env.has('HOME')) put(`HOME=${home}`);
  return [...env].map(([k, v]) => `${k}=${v}`);
}

function limits(profile: Profile, o: RunOptions): OciSpec['linux']['resources'] {
  const memory = o.memory !== undefined ? parseBytes('--memory', o.memory) : profile.limits.memory;
  checkLimit(profile, '--memory', o.memory !== undefined ? memory : undefined, profile.limits.memory);
  const swap = o.memorySwap !== undefined ? (o.memorySwap === '-1' ? -1 : parseBytes('--memory-swap', o.memorySwap)) : profile.limits.memorySwap;
  if (swap !== undefined && swap !== -1 && memory !== undefined && swap < memory) fail('TSS_EUSAGE', 'run', `--memory-swap ${o.memorySwap}`, 'must be at least --memory');
  const cpus = o.cpus !== undefined ? parsePositiveNumber('--cpus', o.cpus, false) : profile.limits.cpus;
  checkLimit(profile, '--cpus', o.cpus !== undefined ? cpus : undefined, profile.limits.cpus);
  const pids = o.pidsLimit !== undefined ? (o.pidsLimit === '-1' ? -1 : parsePositiveNumber('--pids-limit', o.pidsLimit, true)) : profile.limits.pids;
  checkLimit(profile, '--pids-limit', o.pidsLimit !== undefined ? pids : undefined, profile.limits.pids);
  if (o.cpusetCpus !== undefined && !/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(o.cpusetCpus)) fail('TSS_EUSAGE', 'parse', `--cpuset-cpus ${o.cpusetCpus}`, 'expected a list like 0-1,3');
  const period = 100000;
  return {
    ...(memory !== undefined ? { memory: { limit: memory, ...(swap !== undefined ? { swap } : {}) } } : {}),
    ...(cpus !== undefined || o.cpusetCpus ? { cpu: { ...(cpus !== undefined ? { quota: Math.round(cpus * period), period } : {}), ...(o.cpusetCpus ? { cpus: o.cpusetCpus } : {}) } } : {}),
    ...(pids !== undefined && pids !== -1 ? { pids: { limit: pids } } : {}),
  };
}

function rlimitList(profile: Profile, o: RunOptions): OciSpec['process']['rlimits'] {
  const r = new Map<string, { soft: number; hard: number }>();
  for (const [k, v] of Object.entries(profile.rlimits)) r.set(k, { soft: v.soft, hard: v.hard });
  for (const u of o.ulimit) {
    const { name, soft, hard } = parseUlimit(u);
    const cur = profile.rlimits[name];
    if (cur && !profile.loosen.raiseLimits && (hard === -1 || (cur.hard !== -1 && hard > cur.hard))) {
      refuse(`--ulimit ${u}`, profile, 'loosen.raiseLimits', `the profile's ${name} limit is ${cur.hard}`);
    }
    r.set(name, { soft, hard });
  }
  return [...r].map(([k, v]) => ({ type: `RLIMIT_${k.toUpperCase()}`, ...v }));
}

function isProtected(dst: string): string | undefined {
  for (const p of PROTECTED) if (dst === p || dst.startsWith(`${p}/`) || p.startsWith(dst === '/' ? '/' : `${dst}/`)) return p;
  return undefined;
}

function mountList(profile: Profile, o: RunOptions, readOnly: boolean): OciMount[] {
  const m: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'mode=755', 'size=65536k'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
  ];
  const shm = o.shmSize !== undefined ? parseBytes('--shm-size', o.shmSize) : undefined;
  if (shm !== undefined) m.push({ destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shm}`] });
  const seen = new Set<string>();
  for (const t of profile.tmpfs) {
    if (!readOnly && t.path !== '/tmp') continue;
    m.push({ destination: t.path, type: 'tmpfs', source: 'tmpfs', options: t.options.split(',') });
    seen.add(t.path);
  }
  for (const spec of o.tmpfs) {
    const t = parseTmpfs(spec);
    const p = isProtected(t.destination);
    if (p) fail('TSS_EUSAGE', 'run', `--tmpfs ${spec}`, `a mount may not cover ${p}`);
    const opts = ['nosuid', 'nodev', ...t.options];
    const i = m.findIndex((x) => x.destination === t.destination);
    if (i >= 0) m.splice(i, 1);
    m.push({ destination: t.destination, type: 'tmpfs', source: 'tmpfs', options: opts });
  }
  for (const spec of o.volumes) {
    const v = parseVolume(spec);
    const p = isProtected(v.destination);
    if (p) fail('TSS_EUSAGE', 'run', `-v ${spec}`, `a volume may not cover ${p}`);
    let st;
    try { st = statSync(v.source); } catch (e) { fail('TSS_EUSAGE', 'run', `-v ${spec}`, `the source ${v.source} ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read'}`); }
    if (!st.isDirectory() && !st.isFile()) fail('TSS_EUSAGE', 'run', `-v ${spec}`, 'the source must be a directory or a regular file');
    m.push({ destination: v.destination, type: 'bind', source: v.source, options: ['rbind', v.readOnly ? 'ro' : 'rw', 'nosuid', 'nodev', ...(st.isFile() ? ['file'] : [])] });
  }
  return m;
}

function etcFiles(hostname: string, o: RunOptions, network: string): Record<string, string> {
  let hosts = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n';
  hosts += `127.0.1.1\t${hostname}\n`;
  for (const h of o.addHost) { const { host, ip } = parseAddHost(h); hosts += `${ip}\t${host}\n`; }
  let resolv = '';
  if (o.dns.length) {
    for (const d of o.dns) {
      if (!/^[0-9a-fA-F.:]+$/.test(d)) fail('TSS_EUSAGE', 'parse', `--dns ${d}`, 'not an IP address');
      resolv += `nameserver ${d}\n`;
    }
  } else {
    try {
      resolv = readFileSync('/etc/resolv.conf', 'utf8').split('\n').filter((l) => /^(nameserver|search|options)\s/.test(l) && !/^nameserver\s+127\./.test(l)).join('\n');
      if (resolv) resolv += '\n';
    } catch { /* a host without resolv.conf gives an empty one */ }
  }
  const out = etcForMode(network, { '/etc/hostname': `${hostname}\n`, '/etc/hosts': hosts, '/etc/resolv.conf': resolv }, o.dns.length > 0);
  return { ...out, '/etc/resolv.conf': searchAndOptions(out['/etc/resolv.conf']!, o.dnsSearch ?? [], o.dnsOption ?? []) };
}

/** --dns-search and --dns-option replace the search and options lines they name (docker's rule) */
function searchAndOptions(resolv: string, search: readonly string[], options: readonly string[]): string {
  for (const d of search) if (!/^[A-Za-z0-9.-]{1,253}$/.test(d)) fail('TSS_EUSAGE', 'parse', `--dns-search ${d}`, 'not a domain name');
  for (const x of options) if (!/^[a-z][a-z0-9-]*(:\d{1,5})?$/.test(x)) fail('TSS_EUSAGE', 'parse', `--dns-option ${x}`, 'not a resolver option (like ndots:2 or edns0)');
  if (!search.length && !options.length) return resolv;
  const kept = resolv.split('\n').filter((l) => l && !(search.length && l.startsWith('search')) && !(options.length && l.startsWith('options')));
  return [...kept, ...(search.length ? [`search ${search.join(' ')}`] : []), ...(options.length ? [`options ${options.join(' ')}`] : [])].join('\n') + '\n';
}
