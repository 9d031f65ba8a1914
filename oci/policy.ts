// oci/policy.ts — policy for an OCI container comes from the node, not the pod (OCI front end, reads the node config)
//
// A bundle is written by whoever schedules the pod; the node's operator decides what it may get.
// The node configuration (TSSANDBOX_OCI_CONFIG, default /etc/tssandbox/oci.json; a containerd
// runtime handler points its BinaryName at a wrapper that sets it) names the profile every
// container gets and the profiles an `org.tssandbox.profile` annotation may ask for. The profile's
// filter is stacked on the bundle's own (the kernel takes the strictest answer), its capabilities
// bound the bundle's, its masks are added: an annotation can only tighten.
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { errnoReason, fail, SandboxError } from '../common/errors.js';
import type { Profile } from '../policy/types.js';
import type { SeccompPolicy } from '../policy/seccomp/types.js';
import { dataRoot } from '../sandbox/paths.js';
import type { SeccompAgent } from './agent.js';

export const ANN_PROFILE = 'org.tssandbox.profile';

export interface NodeConfig {
  /** the profile every OCI container gets */
  readonly profile: string;
  /** what an annotation may ask for (never unconfined) */
  readonly allow: readonly string[];
}

export const DEFAULT_NODE_CONFIG: NodeConfig = { profile: 'default', allow: ['default', 'strict'] };

export function nodeConfigPath(): string { return process.env.TSSANDBOX_OCI_CONFIG ?? '/etc/tssandbox/oci.json'; }

export function readNodeConfig(file = nodeConfigPath()): NodeConfig {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return DEFAULT_NODE_CONFIG;
    fail('TSS_EPROFILE', 'read node config', file, errnoReason(e));
  }
  let c: Partial<NodeConfig>;
  try { c = JSON.parse(text) as Partial<NodeConfig>; } catch (e) { fail('TSS_EPROFILE', 'read node config', file, (e as Error).message); }
  const profile = c.profile ?? DEFAULT_NODE_CONFIG.profile;
  const allow = Array.isArray(c.allow) ? c.allow.map(String) : DEFAULT_NODE_CONFIG.allow;
  if (profile === 'unconfined' || allow.includes('unconfined')) fail('TSS_EREFUSED', 'read node config', file, 'unconfined is never an OCI container\'s profile');
  return { profile, allow };
}

export interface NodePolicy {
  readonly profiles: readonly Profile[];
  /** filters, in the order the launcher installs them (node profile, then the annotation's) */
  readonly filters: readonly Buffer[];
  /** the run cache's digest of each profile's own filter, aligned with `profiles` (the supervised filter is keyed by it) */
  readonly digests: readonly (string | undefined)[];
  /** each profile as the node config or the annotation named it (a built-in name or a file), aligned with `profiles` */
  readonly refs: readonly string[];
}

/** resolvePolicy: the node's profile, plus the one the annotation asks for when the node allows it */
export async function resolvePolicy(annotations: Readonly<Record<string, string>>, node = readNodeConfig()): Promise<NodePolicy> {
  const asked = annotations[ANN_PROFILE];
  if (asked !== undefined) {
    if (asked === 'unconfined') fail('TSS_EREFUSED', 'create', `${ANN_PROFILE}=${asked}`, 'an annotation may only tighten the node\'s policy');
    if (!node.allow.includes(asked)) fail('TSS_EREFUSED', 'create', `${ANN_PROFILE}=${asked}`, `the node allows only ${node.allow.join(', ')}`);
  }
  const { loadRunPolicy } = await import('../policy/run-cache.js');
  const names = [node.profile, ...(asked && asked !== node.profile ? [asked] : [])];
  const profiles: Profile[] = [];
  const filters: Buffer[] = [];
  const digests: (string | undefined)[] = [];
  for (const n of names) {
    try {
      const p = await loadRunPolicy(n, join(dataRoot(), 'cache', 'profiles'));
      profiles.push(p.profile);
      if (p.filter) filters.push(p.filter.bytes);
      digests.push(p.filter?.digest);
    } catch (e) {
      if (e instanceof SandboxError) throw e;
      fail('TSS_EPROFILE', 'create', n, (e as Error).message, e);
    }
  }
  return { profiles, filters, digests, refs: names };
}

/** boundCaps: the capabilities a bundle asks for, bounded by every applied profile (what create grants, and what the bundle's filter is resolved for) */
export function boundCaps(profiles: readonly Profile[], asked: readonly string[]): string[] {
  const bare = (c: string) => c.replace(/^CAP_/, '');
  return asked.filter((c) => profiles.every((p) => [...p.capabilities, ...p.loosen.capAdd].some((x) => bare(x) === bare(c))));
}

/**
 * bundleSeccompPolicy: linux.seccomp of config.json as our policy — Docker/OCI semantics resolved
 * for the container's capabilities (includes/excludes) and this host's architecture family. The
 * one conversion OCI mode uses; test/policy/seccomp-kernel-podman.test.ts checks it in the kernel.
 */
export async function bundleSeccompPolicy(seccomp: unknown, caps: readonly string[]): Promise<SeccompPolicy | null> {
  if (!seccomp) return null;
  const { importOciSeccomp, parseOciJson, loadProfileText } = await import('../policy/index.js');
  const r = importOciSeccomp(parseOciJson(JSON.stringify(seccomp), 'config.json linux.seccomp'), { caps: caps.map((c) => c.replace(/^CAP_/, '')), source: 'config.json' });
  return loadProfileText(r.yaml, 'config.json linux.seccomp', '/').seccomp ?? null;
}

/** compileBundleSeccomp: linux.seccomp of config.json, by OUR compiler (every action, operator and flag it knows); notify: it has SCMP_ACT_NOTIFY rules */
export async function compileBundleSeccomp(seccomp: unknown, caps: readonly string[]): Promise<{ bytes: Buffer; notify: boolean } | null> {
  const policy = await bundleSeccompPolicy(seccomp, caps);
  if (!policy) return null;
  const { compileSeccomp } = await import('../policy/index.js');
  const notify = [policy.defaultAction, ...policy.rules.map((r) => r.action)].some((a) => a.kind === 'notify');
  return { bytes: compileSeccomp(policy, undefined, { cacheDir: join(dataRoot(), 'cache', 'seccomp') }).bytes, notify };
}

/**
 * seccompAgent: linux.seccomp.listenerPath (and listenerMetadata) when the bundle's filter has
 * notify rules — the agent the listener goes to (oci/agent.ts); without notify rules the spec says
 * listenerPath is ignored (a note says so). A path that is not an existing unix socket is refused
 * here, before anything is made.
 */
export function seccompAgent(seccomp: unknown, notify: boolean, note: (s: string) => void): SeccompAgent | undefined {
  const s = (seccomp ?? {}) as { listenerPath?: unknown; listenerMetadata?: unknown };
  if (s.listenerPath === undefined || s.listenerPath === '') return undefined;
  const path = s.listenerPath;
  if (typeof path !== 'string' || !isAbsolute(path)) fail('TSS_EUSAGE', 'create', 'linux.seccomp.listenerPath', 'must be an absolute path');
  if (s.listenerMetadata !== undefined && typeof s.listenerMetadata !== 'string') fail('TSS_EUSAGE', 'create', 'linux.seccomp.listenerMetadata', 'must be a string');
  if (!notify) { note(`linux.seccomp.listenerPath ${path} is ignored: linux.seccomp has no SCMP_ACT_NOTIFY rule`); return undefined; }
  let sock = false;
  try { sock = statSync(path).isSocket(); } catch (e) { fail('TSS_EUSAGE', 'create', `linux.seccomp.listenerPath ${path}`, errnoReason(e)); }
  if (!sock) fail('TSS_EUSAGE', 'create', `linux.seccomp.listenerPath ${path}`, 'is not a unix socket');
  return { path, ...(typeof s.listenerMetadata === 'string' ? { metadata: s.listenerMetadata } : {}) };
}
