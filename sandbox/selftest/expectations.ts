// sandbox/selftest/expectations.ts — expected escape-battery result per built-in profile, and the judge that compares a run (host, pure)
//
// Derived from DESIGN §3's profile table (strict/default/lab/learn/unconfined). The expectations
// are data; `tssandbox selftest` and the per-profile battery tests both judge runs with judgeRun().
//   stopped — blocked by the sandbox, or unavailable on this kernel (either way nothing happened)
//   allowed — the profile lets it through by design: the probe must succeed unless the kernel
//             itself lacks the feature (unavailable, shown with the kernel reason) — this is what
//             proves each probe detects what it claims (issue 9, unconfined acceptance)
//   either  — depends on the machine or the harness (a tty, limits versus the bounds given)
import { PROBE_CATALOG, type Layer, type ProbeSpec } from './catalog.js';
import type { ProbeLine, ProbeRun } from './probe-format.js';

export const PROFILE_NAMES = ['strict', 'default', 'lab', 'learn', 'unconfined'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];
export type Expect = 'stopped' | 'allowed' | 'either';

type Overrides = Readonly<Record<string, Expect>>;

function table(base: Expect, overrides: Overrides): Readonly<Record<string, Expect>> {
  const out: Record<string, Expect> = {};
  for (const p of PROBE_CATALOG) out[p.id] = overrides[p.id] ?? base;
  for (const id of Object.keys(overrides)) if (!(id in out)) throw new Error(`expectations name unknown probe \`${id}\``);
  return out;
}

// default: Docker-equivalent inside a user namespace — Docker's 14 capabilities (so CapEff is
// non-zero and chroot works), Docker's seccomp semantics minus foreign arches (ptrace and
// process_vm_readv of its own processes allowed, personality(ADDR_NO_RANDOMIZE) not; pidfd_getfd
// only with CAP_SYS_PTRACE, which Docker does not grant), a writable overlay root, no network, no
// limits set (core dumps follow the host, fork/memory unbounded). Docker's filter allows every
// socket family and its 14 capabilities include NET_RAW, so raw and packet sockets work in the
// container's own network namespace (ping), exactly as under Docker.
const DEFAULT: Overrides = {
  caps: 'allowed',
  rlimit_core: 'either',
  chroot: 'allowed',
  rootfs_write: 'allowed',
  ptrace: 'allowed',
  process_vm_readv: 'allowed',
  raw_socket: 'allowed',
  packet_socket: 'allowed',
  fork_storm: 'allowed',
  memory_hog: 'allowed',
};

export const EXPECTATIONS: Readonly<Record<ProfileName, Readonly<Record<string, Expect>>>> = {
  // strict: nothing allowed, ever (issue 9 acceptance)
  strict: table('stopped', {}),
  default: table('stopped', DEFAULT),
  // lab: default + NET_RAW/NET_ADMIN in its own network namespace + raw sockets in the filter, a
  // private lab network (so interfaces besides lo), moderate limits (whether the bounds hit them
  // depends on what the harness asks)
  lab: table('stopped', {
    ...DEFAULT,
    raw_socket: 'allowed',
    packet_socket: 'allowed',
    net_interfaces: 'either',
    fork_storm: 'either',
    memory_hog: 'either',
  }),
  // learn: default's semantics, every syscall recorded
  learn: table('stopped', DEFAULT),
  // unconfined: root with every capability inside its user namespace (DESIGN §3 "as root": the
  // profile grants Docker's 14 and the battery adds the rest with --cap-add), no filter, no
  // no_new_privs, host network. The user namespace still holds: host-global operations (modules,
  // swap, clock, devices, host sysctls) stay stopped.
  unconfined: table('allowed', {
    leaked_fds: 'stopped',
    uid_map: 'stopped',
    rlimit_core: 'either',
    host_pids: 'either',
    kill_reach: 'either',
    remount_root: 'either',
    init_module: 'stopped',
    kexec_load: 'stopped',
    reboot: 'either',
    swapon: 'stopped',
    swapoff: 'stopped',
    acct: 'stopped',
    settimeofday: 'stopped',
    syslog: 'stopped',
    open_by_handle_at: 'either',
    mknod: 'stopped',
    iopl: 'stopped',
    ioperm: 'stopped',
    quotactl: 'stopped',
    proc_sys_write: 'stopped',
    sysrq_trigger: 'stopped',
    sys_write: 'stopped',
    cgroup_release_agent: 'stopped',
    proc_kcore: 'stopped',
    dev_mem: 'stopped',
    dev_kmsg: 'stopped',
    host_disks: 'stopped',
    raw_socket: 'stopped',
    packet_socket: 'stopped',
    tiocsti: 'either',
  }),
};

export interface JudgedRow {
  readonly probe: string;
  readonly expected: Expect;
  /** the probe's result, 'missing' when it printed nothing, 'not-run' when the harness gave it nothing to probe */
  readonly got: ProbeLine['result'] | 'missing' | 'not-run';
  readonly errno: string | null;
  readonly detail: string;
  /** layers credited under strict (catalog.ts) */
  readonly layers: readonly Layer[];
  readonly ok: boolean;
}

export interface Judgement {
  readonly rows: readonly JudgedRow[];
  /** rows whose result contradicts the expectation */
  readonly failures: readonly JudgedRow[];
  /** probes expected stopped that were allowed: `selftest` exits 1 on any */
  readonly escapes: readonly JudgedRow[];
  /** probes the kernel made unavailable, with its reason (listed by `selftest`) */
  readonly unavailable: readonly JudgedRow[];
  /** ids the probe printed that the catalog does not know (probe and catalog drifted) */
  readonly unknown: readonly string[];
  /** the probe ran to its end */
  readonly complete: boolean;
}

function matches(expected: Expect, got: ProbeLine['result']): boolean {
  if (expected === 'either') return true;
  if (got === 'unavailable') return true; // the kernel decides before any sandbox layer does
  return expected === 'stopped' ? got === 'blocked' : got === 'allowed';
}

function judgeOne(spec: ProbeSpec, expected: Expect, line: ProbeLine | undefined): JudgedRow {
  const base = { probe: spec.id, expected, layers: spec.layers };
  if (!line) {
    // probes that need a harness resource are simply not run without it
    if (spec.needs) return { ...base, got: 'not-run', errno: null, detail: `not run: the harness gave no ${spec.needs}`, ok: true };
    return { ...base, got: 'missing', errno: null, detail: 'the probe printed no result', ok: false };
  }
  return { ...base, got: line.result, errno: line.errno, detail: line.detail, ok: matches(expected, line.result) };
}

/** judgeRun compares a parsed probe run with a profile's expectations. `expectations` defaults to
 * the built-in table for `profile`; pass another table for attribution runs (strict minus a layer). */
export function judgeRun(profile: ProfileName, run: ProbeRun, expectations = EXPECTATIONS[profile]): Judgement {
  const rows = PROBE_CATALOG.map((spec) => judgeOne(spec, expectations[spec.id] ?? 'stopped', run.results.get(spec.id)));
  const known = new Set(PROBE_CATALOG.map((p) => p.id));
  return {
    rows,
    failures: rows.filter((r) => !r.ok),
    escapes: rows.filter((r) => r.expected === 'stopped' && r.got === 'allowed'),
    unavailable: rows.filter((r) => r.got === 'unavailable'),
    unknown: [...run.results.keys()].filter((id) => !known.has(id)),
    complete: run.complete,
  };
}

/** withoutLayer returns strict's expectations for an attribution run with `layer` removed: a probe
 * credited to that layer alone must now get through ('allowed', or unavailable on this kernel),
 * which shows the layer is what stops it; one also credited to another layer must still be
 * stopped (defence in depth). */
export function withoutLayer(layer: Layer): Readonly<Record<string, Expect>> {
  const out: Record<string, Expect> = {};
  for (const p of PROBE_CATALOG) {
    const others = p.layers.filter((l) => l !== layer);
    out[p.id] = p.layers.includes(layer) && others.length === 0 ? 'allowed' : 'stopped';
  }
  return out;
}
