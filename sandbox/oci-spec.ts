// sandbox/oci-spec.ts — the OCI runtime-spec subset every front end produces (everywhere, types only)
//
// One internal representation: `run`, build's RUN steps and the OCI verbs all produce this object;
// everything downstream (the launch planner) reads only it. Field names follow the runtime spec.

export interface OciMount {
  readonly destination: string;
  readonly type?: string;
  readonly source?: string;
  readonly options?: readonly string[];
}

export interface OciRlimit { readonly type: string; readonly soft: number; readonly hard: number }

export interface OciSpec {
  readonly ociVersion: string;
  readonly process: {
    readonly terminal: boolean;
    readonly user: { readonly uid: number; readonly gid: number; readonly additionalGids?: readonly number[]; readonly umask?: number };
    readonly args: readonly string[];
    readonly env: readonly string[];
    readonly cwd: string;
    readonly capabilities: {
      readonly bounding: readonly string[];
      readonly effective: readonly string[];
      readonly permitted: readonly string[];
    };
    readonly rlimits: readonly OciRlimit[];
    readonly noNewPrivileges: boolean;
    readonly oomScoreAdj?: number;
  };
  readonly root: { readonly path: string; readonly readonly: boolean };
  readonly hostname: string;
  readonly mounts: readonly OciMount[];
  readonly linux: {
    readonly namespaces: readonly { readonly type: string; readonly path?: string }[];
    readonly maskedPaths: readonly string[];
    readonly readonlyPaths: readonly string[];
    readonly resources: {
      readonly memory?: { readonly limit?: number; readonly swap?: number };
      readonly cpu?: { readonly quota?: number; readonly period?: number; readonly cpus?: string; readonly shares?: number };
      readonly pids?: { readonly limit: number };
    };
    readonly cgroupsPath?: string;
    /** only keys of namespaces the container owns (checked by the OCI front end, oci/sysctl.ts) */
    readonly sysctl?: Readonly<Record<string, string>>;
  };
  /** tssandbox keeps what the spec has no field for here (layers, profile, devices, tmp files) */
  readonly annotations: Readonly<Record<string, string>>;
}

export const ANN = {
  layers: 'io.tssandbox.layers',
  profile: 'io.tssandbox.profile',
  profileDigest: 'io.tssandbox.profile.digest',
  image: 'io.tssandbox.image',
  imageId: 'io.tssandbox.image.id',
  devices: 'io.tssandbox.devices',
  files: 'io.tssandbox.files',
  interactive: 'io.tssandbox.interactive',
  network: 'io.tssandbox.network',
  timeout: 'io.tssandbox.timeout',
  /** --security-opt seccomp=FILE|unconfined, where the profile allows replacing its filter */
  seccomp: 'io.tssandbox.seccomp',
  /** --init: host path of the static init bound into the container */
  init: 'io.tssandbox.init',
} as const;
