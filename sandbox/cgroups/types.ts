// sandbox/cgroups/types.ts — the CgroupManager contract, one interface for cgroup v1 and v2 (parent, types only)

export interface CgroupLimits {
  /** bytes */
  readonly memory?: number;
  /** bytes of memory+swap; -1 unlimited swap */
  readonly memorySwap?: number;
  /** CPUs, fractional (quota/period) */
  readonly cpus?: number;
  /** relative weight, docker's --cpu-shares scale (2..262144) */
  readonly cpuShares?: number;
  readonly pids?: number;
  /** cpuset list, e.g. "0-1" */
  readonly cpusetCpus?: string;
  /** io weight 10..1000 where the controller exists */
  readonly ioWeight?: number;
}

export interface CgroupStats {
  readonly memoryBytes: number;
  readonly memoryLimit: number | null;
  readonly cpuUsageNs: number;
  readonly pids: number;
  readonly pidsLimit: number | null;
}

export interface CgroupHandle {
  /** container id this cgroup belongs to */
  readonly id: string;
  /**
   * Every cgroup.procs (v1: one per mounted hierarchy; v2: one) the launcher writes the payload's
   * pid into before it unshares its cgroup namespace.
   */
  readonly procsFiles: readonly string[];
  /** what was not enforced and why (rootless v1, a controller missing …): shown to the user */
  readonly warnings: readonly string[];
  stats(): CgroupStats;
  /** true when the memory controller recorded an OOM kill in this cgroup */
  oomKilled(): boolean;
  freeze(): void;
  thaw(): void;
  /** SIGKILL every process in the cgroup (cgroup.kill on v2, a procs sweep on v1) */
  killAll(): void;
  /** remove the cgroup directories (after every process is gone); idempotent */
  remove(): void;
}

export interface CgroupManager {
  /** 'v1', 'v2' or 'hybrid' (v1 controllers beside a cgroup2 mount) */
  readonly layout: 'v1' | 'v2' | 'hybrid';
  /** create the container's cgroup under `parent` (default "tssandbox") and apply the limits */
  create(id: string, limits: CgroupLimits, parent?: string): CgroupHandle;
  /** remove cgroups under the tssandbox parent whose container is gone */
  pruneStale(isLive: (id: string) => boolean): string[];
}
