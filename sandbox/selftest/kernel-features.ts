// sandbox/selftest/kernel-features.ts — what this kernel offers the sandbox, and what each missing feature costs (host, reads /proc and calls landlock_create_ruleset)
//
// `tssandbox selftest` prints these beside the battery. Every feature is detected, never assumed
// from the version alone where the kernel can be asked; the version is the fallback and is named.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { release } from 'node:os';
import { discoverCgroups } from '../cgroups/index.js';

export interface Feature {
  readonly name: string;
  readonly ok: boolean;
  /** what was found (a value, a list, a version) */
  readonly found: string;
  /** what tssandbox loses without it; empty when present */
  readonly cost: string;
}

function read(path: string): string | null {
  try { return readFileSync(path, 'utf8').trim(); } catch { return null; }
}

/** kernelVersion parses "6.18.44-fc-…" into [6, 18] */
export function kernelVersion(rel = release()): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(rel);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

const atLeast = (v: [number, number], maj: number, min: number) => v[0] > maj || (v[0] === maj && v[1] >= min);

const LANDLOCK_CREATE_RULESET_VERSION = 1;
/** landlock_create_ruleset is 444 on every architecture with the unified syscall table */
const NR_LANDLOCK_CREATE_RULESET = 444;

/** landlockAbi asks the kernel (landlock_create_ruleset(NULL, 0, VERSION)); 0 = no Landlock */
export function landlockAbi(): { abi: number; why: string } {
  if (process.arch !== 'x64' && process.arch !== 'arm64') return { abi: 0, why: `not asked on ${process.arch}` };
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    const lib = koffi.load('libc.so.6');
    const syscall = lib.func('long syscall(long number, ...)');
    const r = Number(syscall(NR_LANDLOCK_CREATE_RULESET, 'void *', null, 'size_t', 0, 'uint32_t', LANDLOCK_CREATE_RULESET_VERSION));
    if (r > 0) return { abi: r, why: `ABI ${r}` };
    const e = koffi.errno();
    return { abi: 0, why: e === 38 ? 'ENOSYS: not built in' : e === 95 ? 'EOPNOTSUPP: built in but disabled (lsm=)' : `errno ${e}` };
  } catch (err) {
    return { abi: 0, why: `cannot ask: ${(err as Error).message.split('\n')[0]}` };
  }
}

/** userNamespaces: the sysctls that gate them, and an actual `unshare -U` */
function userNamespaces(): Feature {
  const max = read('/proc/sys/user/max_user_namespaces');
  const debian = read('/proc/sys/kernel/unprivileged_userns_clone');
  const apparmor = read('/proc/sys/kernel/apparmor_restrict_unprivileged_userns');
  const r = spawnSync('unshare', ['--user', '--map-root-user', 'true'], { stdio: 'ignore' });
  const works = r.status === 0;
  const bits = [`max_user_namespaces=${max ?? '?'}`];
  if (debian !== null) bits.push(`unprivileged_userns_clone=${debian}`);
  if (apparmor !== null) bits.push(`apparmor_restrict_unprivileged_userns=${apparmor}`);
  bits.push(r.error ? 'unshare(1) missing' : works ? 'unshare -U works' : 'unshare -U fails');
  return {
    name: 'user namespaces', ok: works || (!r.error && Number(max) > 0), found: bits.join(', '),
    cost: works ? '' : 'no sandbox at all: every profile runs in a user namespace',
  };
}

/** detectFeatures: every kernel feature `selftest` reports */
export function detectFeatures(): Feature[] {
  const v = kernelVersion();
  const out: Feature[] = [];
  out.push({
    name: 'kernel', ok: atLeast(v, 5, 12), found: release(),
    cost: atLeast(v, 5, 12) ? '' : 'below the 5.12 floor (openat2, NOTIF_ADDFD, mount_setattr, idmapped mounts): runs are refused or weaker',
  });
  out.push(userNamespaces());
  const actions = (read('/proc/sys/kernel/seccomp/actions_avail') ?? '').split(/\s+/).filter(Boolean);
  out.push({
    name: 'seccomp actions', ok: ['kill_process', 'errno', 'allow'].every((a) => actions.includes(a)), found: actions.join(' ') || 'none (no /proc/sys/kernel/seccomp/actions_avail)',
    cost: actions.includes('kill_process') ? '' : 'no seccomp filter can be installed as compiled: strict cannot run',
  });
  out.push({
    name: 'seccomp user notification', ok: actions.includes('user_notif'), found: actions.includes('user_notif') ? 'user_notif' : 'absent',
    cost: actions.includes('user_notif') ? '' : 'no supervisor: the audit of execve/connect/bind/open-for-write is off',
  });
  const wake = atLeast(v, 6, 7);
  out.push({
    name: 'SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP', ok: wake, found: `${wake ? '' : 'not '}in kernel ${v.join('.')} (6.7+)`,
    cost: wake ? '' : 'the supervisor is woken on any CPU: each audited syscall costs a little more latency',
  });
  const cg = discoverCgroups();
  const v1 = cg.v1.map((h) => h.controllers.join(',')).join(' ');
  const found = [`layout ${cg.layout}`, v1 ? `v1: ${v1}` : '', cg.v2 ? `v2: ${cg.v2.controllers.join(' ') || '(no controllers)'}` : ''].filter(Boolean).join('; ');
  const has = (c: string) => cg.v1ByController.has(c) || (cg.v2?.controllers.includes(c) ?? false);
  const lacking = ['memory', 'pids', 'cpu'].filter((c) => !has(c));
  out.push({
    name: 'cgroups', ok: lacking.length === 0, found,
    cost: lacking.length ? `no ${lacking.join(', ')} controller: those limits are not enforced (fork storms and memory hogs reach the host)` : '',
  });
  const ll = landlockAbi();
  out.push({
    name: 'Landlock', ok: ll.abi > 0, found: ll.why,
    cost: ll.abi > 0 ? '' : 'no Landlock layer under the filesystem rules (the other layers still hold)',
  });
  const idmap = atLeast(v, 5, 12);
  out.push({
    name: 'idmapped mounts', ok: idmap, found: `${idmap ? '' : 'not '}in kernel ${v.join('.')} (5.12+, MOUNT_ATTR_IDMAP)`,
    cost: idmap ? '' : 'layers must be copied and chowned per container instead of shared',
  });
  const overlay = (read('/proc/filesystems') ?? '').split('\n').some((l) => /\boverlay$/.test(l));
  const ovlUserns = overlay && atLeast(v, 5, 11);
  out.push({
    name: 'overlayfs in a user namespace', ok: ovlUserns, found: overlay ? `overlay in /proc/filesystems; kernel ${v.join('.')} (5.11+)` : 'no overlay in /proc/filesystems',
    cost: ovlUserns ? '' : 'no writable root over shared layers: default/lab/learn need a copy of the image',
  });
  return out;
}
