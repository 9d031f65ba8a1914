// policy/types.ts — the resolved security profile every consumer reads (everywhere, types only)
//
// This is the contract between policy/ (which parses, validates and resolves `extends`) and
// sandbox/ (which turns a Profile plus flags into an OCI spec and a LaunchPlan). The zod schema in
// policy/ produces exactly this shape; fields may be added, never renamed.
import type { Egress } from './egress.js';
import type { SeccompPolicy } from './seccomp/types.js';

/** Rlimit values; -1 means unlimited (RLIM_INFINITY). */
export interface Rlimit { readonly soft: number; readonly hard: number }

export type NetworkMode = 'none' | 'host' | 'lab';

export interface TmpfsMount { readonly path: string; readonly options: string }

/** Which command-line flags may loosen this profile. A refusal names `sources[<key>]`. */
export interface LoosenRules {
  /** `--network host` may be used. */
  readonly networkHost: boolean;
  /** `--network NAME` (a lab network) and `-p` may be used. */
  readonly networkLab: boolean;
  /** Capability names `--cap-add` may add (e.g. ['CAP_NET_RAW']); `['ALL']` for any. */
  readonly capAdd: readonly string[];
  /** `--read-write` may make the root filesystem writable. */
  readonly readWrite: boolean;
  /** `--security-opt seccomp=FILE|unconfined` may replace the filter. */
  readonly seccompOverride: boolean;
  /** Resource limits may be raised above the profile's or removed (`--memory` etc.). */
  readonly raiseLimits: boolean;
}

export interface Limits {
  /** bytes */
  readonly memory?: number;
  /** bytes of memory+swap */
  readonly memorySwap?: number;
  readonly pids?: number;
  /** CPUs, fractional */
  readonly cpus?: number;
}

export interface SupervisorRules {
  readonly mode: 'off' | 'notify';
  /** syscall families the supervisor audits (observe), e.g. ['execve', 'connect', 'bind', 'open-write'] */
  readonly audit: readonly string[];
  /** record every syscall (learn profile) */
  readonly recordAll: boolean;
  /** emulate rules (absent when the profile has none, so existing profiles keep their digests) */
  readonly emulate?: readonly EmulateRule[];
}

/**
 * EmulateRule: the supervisor does the call itself (an open, in a helper inside the container's
 * namespaces) and refuses paths by this rule, deciding on the path as resolved in the container's root.
 */
export interface EmulateRule {
  /** whole families: naming one of open/openat/openat2/creat covers all four */
  readonly syscalls: readonly string[];
  /** deny: the paths (and everything below them) are refused; allow: only they are opened */
  readonly mode: 'deny' | 'allow';
  /** absolute, normalised (no `.`, `..`, `//` or trailing slash) */
  readonly paths: readonly string[];
  /** errno number answered for a refused path */
  readonly errno: number;
  /** file:line of the rule */
  readonly source: string;
}

export interface Profile {
  /** built-in name (strict, default, lab, learn, unconfined) or the file path it came from */
  readonly name: string;
  /** file the profile was read from (built-ins: profiles/NAME.yaml) */
  readonly source: string;
  /** sha256 hex of the resolved profile, normalised */
  readonly digest: string;
  /** capability names kept in every set (CAP_CHOWN …); empty = none */
  readonly capabilities: readonly string[];
  readonly noNewPrivileges: boolean;
  readonly rootfs: { readonly readOnly: boolean };
  readonly tmpfs: readonly TmpfsMount[];
  /** paths masked with /dev/null (files) or an empty read-only tmpfs (directories) */
  readonly maskedPaths: readonly string[];
  readonly readonlyPaths: readonly string[];
  /** names under /dev the container gets: null, zero, full, random, urandom, tty, pts, ptmx, shm */
  readonly devices: readonly string[];
  /** rlimits by name without RLIMIT_: nofile, nproc, core, fsize, cpu, as, memlock … */
  readonly rlimits: Readonly<Record<string, Rlimit>>;
  readonly limits: Limits;
  readonly network: NetworkMode;
  /** traffic a lab network member may send beyond the network (absent: none, so existing profiles keep their digests) */
  readonly egress?: Egress;
  readonly loosen: LoosenRules;
  readonly supervisor: SupervisorRules;
  /** the seccomp policy; null only for unconfined */
  readonly seccomp: SeccompPolicy | null;
  /** dotted field path → "file:line" where it was set, e.g. sources['loosen.networkHost'] */
  readonly sources: Readonly<Record<string, string>>;
  /** true when the profile only exists for debugging (unconfined): the CLI warns */
  readonly warn?: string;
}
