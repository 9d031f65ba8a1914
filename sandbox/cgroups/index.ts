// sandbox/cgroups/index.ts — the public face of the cgroup core (parent; re-exports only)
export type { CgroupHandle, CgroupLimits, CgroupManager, CgroupStats } from './types.js';
export { createCgroupManager, DEFAULT_PARENT, parentParts, type CgroupManagerOptions, type TssCgroupManager } from './manager.js';
export { Cgroup, type CgNode } from './handle.js';
export { discoverCgroups, type CgroupDiscovery } from './discover.js';
