// cli/commands/index.ts — every command group registers itself here (CLI process)
// Each area owns one file under cli/commands/ exporting register(program); add one line per file.
import type { Command } from 'commander';
import { register as image } from './image.js';
import { register as policy } from './policy.js';
import { register as run } from './run.js';
import { register as scan } from './scan.js';
import { register as selftest } from './selftest.js';

type Register = (program: Command) => void;
const groups: Register[] = [image, policy, run, scan, selftest];

export function registerAll(program: Command): void {
  for (const register of groups) register(program);
}
