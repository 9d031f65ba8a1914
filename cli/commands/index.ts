// cli/commands/index.ts — every command group registers itself here (CLI process)
//
// Each area owns one file under cli/commands/ exporting register(program). Node's start-up is the
// floor of every call, so only the group a command belongs to is imported: `run` never loads the
// selftest or scanner code. Add a group with its module and the top-level commands it defines.
import type { Command } from 'commander';

type Register = (program: Command) => void;
const GROUPS: { load: () => Promise<{ register: Register }>; commands: readonly string[] }[] = [
  { load: () => import('./run.js'), commands: ['run'] },
  { load: () => import('./image.js'), commands: ['load', 'save', 'import', 'images', 'rmi', 'tag', 'history', 'image'] },
  { load: () => import('./policy.js'), commands: ['policy'] },
  { load: () => import('./scan.js'), commands: ['scan'] },
  { load: () => import('./selftest.js'), commands: ['selftest'] },
  { load: () => import('./audit.js'), commands: ['audit'] },
  { load: () => import('./network.js'), commands: ['network', 'port'] },
  { load: () => import('./containers.js'), commands: ['ps', 'logs', 'inspect', 'stop', 'kill', 'rm', 'wait', 'exec', 'system'] },
  { load: () => import('./stats.js'), commands: ['stats'] },
];

/** registerAll registers the group of the command named in argv, or every group (help, unknown). */
export async function registerAll(program: Command, argv: readonly string[] = []): Promise<void> {
  const name = firstCommand(argv.slice(2));
  const hit = GROUPS.filter((g) => name !== undefined && g.commands.includes(name));
  for (const g of hit.length ? hit : GROUPS) (await g.load()).register(program);
  // rmi refuses an image a container uses: the container records are the runtime's to read
  if (name === 'rmi' || name === 'image') await (await import('./containers.js')).registerInUse(program);
}

/** the first word that is not a global option or its value */
function firstCommand(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--root' || a === '--log-level') { i++; continue; }
    if (a.startsWith('-')) continue;
    return a;
  }
  return undefined;
}
