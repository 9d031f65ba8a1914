// oci/handoff.ts — what `create` hands the OCI supervisor: the prepared container as a file in its state dir (create writes, supervisor reads)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LaunchPlan } from '../sandbox/plan.js';
import type { OciHooks } from './hooks.js';
import type { SeccompAgent } from './agent.js';

export interface OciHandoff {
  readonly id: string;
  /** the OCI state root (--root) */
  readonly stateRoot: string;
  /** this container's dir under it */
  readonly dir: string;
  /** id-range slot file, when the container got a range of ours (config.json without id mappings) */
  readonly slotFile?: string;
  readonly cgroupParent: string;
  readonly what: string;
  readonly plan: LaunchPlan;
  /** config.json's host-side hooks: the supervisor runs createRuntime/prestart and poststart, delete poststop */
  readonly hooks?: OciHooks;
  /**
   * supervised container (oci/audit.ts): the plain filter of the supervised profile (hex), which
   * `exec`'d processes install in place of plan.seccomp — the supervised one routes calls to a
   * listener they do not have (the kernel would fail those calls with ENOSYS). Same decisions, not audited.
   */
  readonly execSeccomp?: string;
  /** the supervisor is the notify one: `exec`'d processes install plan.seccomp (the supervised filter) and are audited through it (oci/exec-run.ts) */
  readonly execAudited?: boolean;
  /** linux.seccomp.listenerPath: the agent the supervisor hands the bundle filter's listener to (oci/agent.ts) */
  readonly agent?: SeccompAgent;
}

const FILE = 'handoff.json';

export function writeOciHandoff(h: OciHandoff): void {
  // bigint and Buffer do not survive JSON: carry them as strings
  const plan = {
    ...h.plan, capabilities: h.plan.capabilities.toString(), seccomp: h.plan.seccomp ? h.plan.seccomp.toString('hex') : null,
    seccompBefore: (h.plan.seccompBefore ?? []).map((b) => b.toString('hex')),
  };
  writeFileSync(join(h.dir, FILE), JSON.stringify({ ...h, plan }), { mode: 0o600 });
}

export function readOciHandoff(dir: string): OciHandoff {
  const raw = JSON.parse(readFileSync(join(dir, FILE), 'utf8')) as Omit<OciHandoff, 'plan'> & { plan: { capabilities: string; seccomp: string | null; seccompBefore: string[] } };
  const plan = {
    ...raw.plan, capabilities: BigInt(raw.plan.capabilities), seccomp: raw.plan.seccomp === null ? null : Buffer.from(raw.plan.seccomp, 'hex'),
    seccompBefore: raw.plan.seccompBefore.map((s) => Buffer.from(s, 'hex')),
  } as unknown as LaunchPlan;
  return { ...raw, plan };
}
