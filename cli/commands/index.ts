// cli/commands/index.ts — every command group registers itself here (CLI process)
// Each area owns one file under cli/commands/ exporting register(program); add one line per file.
import type { Command } from 'commander';

type Register = (program: Command) => void;
const groups: Register[] = [];

export function registerAll(program: Command): void {
  for (const register of groups) register(program);
}
