// sandbox/flags.ts — parsers for docker-style run flag values (parent, pure)
import { readFileSync } from 'node:fs';
import { isAbsolute, posix } from 'node:path';
import { errnoReason, fail } from '../common/errors.js';

export interface RunOptions {
  readonly image: string;
  readonly command: readonly string[];
  readonly profile: string;
  readonly rm: boolean;
  readonly detach: boolean;
  readonly name?: string;
  readonly env: readonly string[];
  readonly envFile: readonly string[];
  readonly volumes: readonly string[];
  readonly tmpfs: readonly string[];
  readonly publish: readonly string[];
  /** -P: publish every port the image EXPOSEs on a free host port */
  readonly publishAll?: boolean;
  readonly network?: string;
  readonly workdir?: string;
  readonly user?: string;
  readonly groupAdd: readonly string[];
  readonly interactive: boolean;
  readonly tty: boolean;
  readonly entrypoint?: string;
  readonly hostname?: string;
  readonly addHost: readonly string[];
  readonly dns: readonly string[];
  /** --dns-search, --dns-option: resolv.conf's search and options lines (replace the host's) */
  readonly dnsSearch?: readonly string[];
  readonly dnsOption?: readonly string[];
  readonly memory?: string;
  readonly memorySwap?: string;
  readonly cpus?: string;
  readonly cpusetCpus?: string;
  readonly pidsLimit?: string;
  readonly ulimit: readonly string[];
  readonly shmSize?: string;
  readonly cgroupParent?: string;
  /** true: --read-only, false: --read-write, undefined: the profile decides */
  readonly readOnly?: boolean;
  readonly capAdd: readonly string[];
  readonly capDrop: readonly string[];
  readonly securityOpt: readonly string[];
  readonly init: boolean;
  readonly timeout?: string;
  readonly privileged: boolean;
  /** --scan off|warn|enforce: scan the image before it runs */
  readonly scan?: string;
  /** --supervisor auto|notify|ptrace: how the audited syscalls reach the supervisor (sandbox/notify/mode.ts) */
  readonly supervisor?: string;
  /** --audit-log PATH: the audit log there instead of in the container's record, so it outlives rm and --rm */
  readonly auditLog?: string;
  /** --audit-key FILE: an HMAC key (mode 0600 or stricter); every audit line carries an hmac */
  readonly auditKey?: string;
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** parseBytes reads docker's size syntax: 512m, 1g, 65536, 1.5g. */
export function parseBytes(flag: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)i?b?$/i.exec(v.trim());
  if (!m) fail('TSS_EUSAGE', 'parse', `${flag} ${v}`, 'not a size (e.g. 512m, 1g, 65536)');
  const n = Math.floor(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
  if (!Number.isSafeInteger(n) || n <= 0) fail('TSS_EUSAGE', 'parse', `${flag} ${v}`, 'size out of range');
  return n;
}

export function parsePositiveNumber(flag: string, v: string, integer: boolean): number {
  const n = Number(v);
  if (!v.trim() || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    fail('TSS_EUSAGE', 'parse', `${flag} ${v}`, integer ? 'not a positive whole number' : 'not a positive number');
  }
  return n;
}

export interface Volume { readonly source: string; readonly destination: string; readonly readOnly: boolean }

/** parseVolume reads -v SRC:DST[:ro|rw]; SRC must be an absolute host path (named volumes come later). */
export function parseVolume(spec: string): Volume {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3) fail('TSS_EUSAGE', 'parse', `-v ${spec}`, 'expected SRC:DST[:ro]');
  const [source, destination, mode = 'rw'] = parts as [string, string, string?];
  if (!isAbsolute(source)) fail('TSS_EUSAGE', 'parse', `-v ${spec}`, 'the source must be an absolute host path');
  if (!isAbsolute(destination)) fail('TSS_EUSAGE', 'parse', `-v ${spec}`, 'the destination must be an absolute path');
  const opts = mode.split(',');
  for (const o of opts) if (!['ro', 'rw', 'z', 'Z'].includes(o)) fail('TSS_EUSAGE', 'parse', `-v ${spec}`, `unknown option ${o}`);
  return { source, destination: posix.normalize(destination), readOnly: opts.includes('ro') };
}

/** parseTmpfs reads --tmpfs DST[:opts]; only options a tmpfs takes pass. */
export function parseTmpfs(spec: string): { destination: string; options: string[] } {
  const i = spec.indexOf(':');
  const destination = posix.normalize(i < 0 ? spec : spec.slice(0, i));
  if (!isAbsolute(destination)) fail('TSS_EUSAGE', 'parse', `--tmpfs ${spec}`, 'the destination must be an absolute path');
  const options = i < 0 ? [] : spec.slice(i + 1).split(',').filter(Boolean);
  for (const o of options) {
    const key = o.split('=')[0]!;
    if (!['size', 'mode', 'nr_inodes', 'ro', 'rw', 'noexec', 'exec', 'nosuid', 'nodev'].includes(key)) {
      fail('TSS_EUSAGE', 'parse', `--tmpfs ${spec}`, `unknown tmpfs option ${key}`);
    }
    if (key === 'size') parseBytes('--tmpfs size', o.slice(5));
    if (key === 'mode' && !/^[0-7]{3,4}$/.test(o.slice(5))) fail('TSS_EUSAGE', 'parse', `--tmpfs ${spec}`, 'mode must be octal');
  }
  return { destination, options };
}

export const RLIMITS: Record<string, number> = {
  cpu: 0, fsize: 1, data: 2, stack: 3, core: 4, rss: 5, nproc: 6, nofile: 7, memlock: 8, as: 9,
  locks: 10, sigpending: 11, msgqueue: 12, nice: 13, rtprio: 14, rttime: 15,
};

/** parseUlimit reads --ulimit NAME=SOFT[:HARD]; -1 or "unlimited" mean no limit. */
export function parseUlimit(spec: string): { name: string; soft: number; hard: number } {
  const m = /^([a-z]+)=(-?\d+|unlimited)(?::(-?\d+|unlimited))?$/.exec(spec);
  if (!m) fail('TSS_EUSAGE', 'parse', `--ulimit ${spec}`, 'expected NAME=SOFT[:HARD]');
  const name = m[1]!;
  if (!(name in RLIMITS)) fail('TSS_EUSAGE', 'parse', `--ulimit ${spec}`, `unknown limit ${name} (known: ${Object.keys(RLIMITS).join(', ')})`);
  const num = (s: string) => (s === 'unlimited' ? -1 : Number(s));
  const soft = num(m[2]!);
  const hard = m[3] === undefined ? soft : num(m[3]);
  if (hard !== -1 && (soft === -1 || soft > hard)) fail('TSS_EUSAGE', 'parse', `--ulimit ${spec}`, 'the soft limit is above the hard limit');
  return { name, soft, hard };
}

/** readEnvFile reads docker's --env-file format: KEY=VALUE lines, # comments, bare KEY from the host env. */
export function readEnvFile(path: string): string[] {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (e) { fail('TSS_EUSAGE', 'read', path, errnoReason(e)); }
  return text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).flatMap((l) => expandEnv(l, `--env-file ${path}`));
}

/** expandEnv turns `K=V` into itself and a bare `K` into the host's value (dropped when unset), as docker does. */
export function expandEnv(entry: string, flag = '-e'): string[] {
  const eq = entry.indexOf('=');
  const key = eq < 0 ? entry : entry.slice(0, eq);
  if (!/^[^=\s\0]+$/.test(key)) fail('TSS_EUSAGE', 'parse', `${flag} ${entry}`, 'not a variable name');
  if (eq >= 0) return [entry];
  const v = process.env[key];
  return v === undefined ? [] : [`${key}=${v}`];
}

/** parseAddHost reads --add-host HOST:IP. */
export function parseAddHost(spec: string): { host: string; ip: string } {
  const i = spec.indexOf(':');
  const host = spec.slice(0, i), ip = spec.slice(i + 1);
  if (i <= 0 || !/^[A-Za-z0-9.-]+$/.test(host) || !/^[0-9a-fA-F.:]+$/.test(ip)) fail('TSS_EUSAGE', 'parse', `--add-host ${spec}`, 'expected HOST:IP');
  return { host, ip };
}
