// sandbox/loosen.ts — checks that run flags only loosen a profile where the profile allows it (parent, pure)
//
// A refusal names the flag, the profile and the profile rule (file:line) that forbids it, so the
// user knows which profile to pick or which rule to change.
import { SandboxError } from '../common/errors.js';
import type { Profile } from '../policy/types.js';

export function refuse(flag: string, profile: Profile, rule: string, why: string): never {
  const where = profile.sources[rule] ?? profile.source;
  throw new SandboxError('TSS_EREFUSED', `run \`${flag}\`: refused by profile ${profile.name} (${rule} at ${where}): ${why}`);
}

export function normaliseCap(name: string): string {
  const n = name.trim().toUpperCase();
  return n === 'ALL' || n.startsWith('CAP_') ? n : `CAP_${n}`;
}

export function checkCapAdd(profile: Profile, caps: readonly string[]): void {
  const allowed = profile.loosen.capAdd.map(normaliseCap);
  for (const c of caps.map(normaliseCap)) {
    if (profile.capabilities.map(normaliseCap).includes(c)) continue;
    if (allowed.includes('ALL') || allowed.includes(c)) continue;
    refuse(`--cap-add ${c}`, profile, 'loosen.capAdd', allowed.length ? `only ${allowed.join(', ')} may be added` : 'no capability may be added');
  }
}

/** checkLimit refuses raising (or removing) a limit the profile sets, unless loosen.raiseLimits. */
export function checkLimit(profile: Profile, flag: string, asked: number | undefined, profileValue: number | undefined): void {
  if (asked === undefined || profileValue === undefined || profile.loosen.raiseLimits) return;
  if (asked === -1 || asked > profileValue) refuse(flag, profile, 'loosen.raiseLimits', `the profile's limit is ${profileValue}`);
}
