// test/helpers/battery.ts — when the escape battery can run under tssandbox here, and why not (tests, host)
//
// The real harness lives in sandbox/selftest/run-battery.ts (`tssandbox selftest` uses it too);
// this only decides whether a test must skip, with the reason.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildProbe } from './probe.js';
import { BUILD } from './paths.js';

/** batteryMissing: null when the battery can run under tssandbox, else the reason to skip */
export function batteryMissing(): string | null {
  if (process.geteuid?.() !== 0) return 'the battery runs containers with cgroup limits: needs root';
  if (!existsSync(join(BUILD, 'launcher'))) return 'build/launcher missing (npm run build:native)';
  return buildProbe();
}
