// test/oci/runtime-spec-schemas.ts — the runtime-spec schemas `state` and `features` must validate against, as zod (tests)
//
// Transcribed from opencontainers/runtime-spec v1.2.0: schema/state-schema.json (required ociVersion,
// id, status, bundle; status one of creating|created|running|stopped; pid an integer ≥ 0 when
// present; annotations string → string) and schema/features-schema.json with
// schema/features-linux.json (ociVersionMin/Max required; hooks, mountOptions string arrays;
// linux.namespaces from the namespace enum, capabilities /^CAP_[A-Z_]+$/, cgroup / seccomp /
// apparmor / selinux / intelRdt objects of booleans and string arrays; annotations string → string).
import { z } from 'zod';

export const StateSchema = z.object({
  ociVersion: z.string(),
  id: z.string(),
  status: z.enum(['creating', 'created', 'running', 'stopped']),
  pid: z.number().int().nonnegative().optional(),
  bundle: z.string(),
  annotations: z.record(z.string(), z.string()).optional(),
});

const NamespaceType = z.enum(['mount', 'pid', 'network', 'uts', 'ipc', 'user', 'cgroup', 'time']);
const Bools = (keys: string[]) => z.object(Object.fromEntries(keys.map((k) => [k, z.boolean().optional()])));

export const FeaturesSchema = z.object({
  ociVersionMin: z.string(),
  ociVersionMax: z.string(),
  hooks: z.array(z.string()).optional(),
  mountOptions: z.array(z.string()).optional(),
  linux: z.object({
    namespaces: z.array(NamespaceType).optional(),
    capabilities: z.array(z.string().regex(/^CAP_[A-Z_]+$/)).optional(),
    cgroup: Bools(['v1', 'v2', 'systemd', 'systemdUser', 'rdma']).optional(),
    seccomp: z.object({
      enabled: z.boolean().optional(),
      actions: z.array(z.string().regex(/^SCMP_ACT_[A-Z_]+$/)).optional(),
      operators: z.array(z.string().regex(/^SCMP_CMP_[A-Z_]+$/)).optional(),
      archs: z.array(z.string().regex(/^SCMP_ARCH_[A-Z0-9_]+$/)).optional(),
      knownFlags: z.array(z.string()).optional(),
      supportedFlags: z.array(z.string()).optional(),
    }).optional(),
    apparmor: Bools(['enabled']).optional(),
    selinux: Bools(['enabled']).optional(),
    intelRdt: Bools(['enabled']).optional(),
  }).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
