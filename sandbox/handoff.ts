// sandbox/handoff.ts — what `run -d` hands a detached supervisor: the prepared container, as a file in its state dir (CLI writes, supervisor reads)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LaunchPlan } from './plan.js';

export interface Handoff {
  readonly id: string;
  readonly root: string;
  readonly run: string;
  readonly stateDir: string;
  /** the id-range slot file this container holds (the supervisor takes it over) */
  readonly slotFile: string;
  readonly cgroupParent?: string;
  readonly rm: boolean;
  readonly stopSignal: number;
  readonly timeout?: number;
  /** what launch errors name (the image reference) */
  readonly what: string;
  readonly plan: LaunchPlan;
  /** --audit-key: the fd (inherited from the CLI) the key file is open on; the key itself is never in this file */
  readonly auditKeyFd?: number;
}

const FILE = 'handoff.json';

export function writeHandoff(h: Handoff): void {
  // bigint and Buffer do not survive JSON: carry them as strings
  const plan = { ...h.plan, capabilities: h.plan.capabilities.toString(), seccomp: h.plan.seccomp ? h.plan.seccomp.toString('hex') : null };
  writeFileSync(join(h.stateDir, FILE), JSON.stringify({ ...h, plan }), { mode: 0o600 });
}

export function readHandoff(stateDir: string): Handoff {
  const raw = JSON.parse(readFileSync(join(stateDir, FILE), 'utf8')) as Handoff & { plan: { capabilities: string; seccomp: string | null } };
  const plan = { ...raw.plan, capabilities: BigInt(raw.plan.capabilities), seccomp: raw.plan.seccomp === null ? null : Buffer.from(raw.plan.seccomp, 'hex') } as unknown as LaunchPlan;
  return { ...raw, plan };
}
