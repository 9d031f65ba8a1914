// cli/main.ts — the tssandbox command line: global options, error rendering, exit codes (CLI process)
import { Command, CommanderError } from 'commander';
import { SandboxError } from '../common/errors.js';
import { registerAll } from './commands/index.js';

export async function main(argv: string[]): Promise<void> {
  // runc's callers (podman, containerd, CRI-O) speak runc's CLI: cli/oci-main.ts decides and runs it
  const oci = await import('./oci-main.js');
  if (oci.isOciInvocation(argv.slice(2))) { process.exitCode = await oci.ociMain(argv.slice(2)); return; }
  const program = new Command('tssandbox')
    .description('A security-focused container sandbox: every run is sandboxed by default')
    .option('--root <dir>', 'images and audit logs (env TSSANDBOX_ROOT)')
    .option('--log-level <level>', 'diagnostic log level (error, warn, info, debug)', 'warn')
    .enablePositionalOptions()
    .showHelpAfterError()
    .exitOverride();
  // Usage errors (unknown flags, bad values) are exit 125 like docker's, 2 for policy tools.
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  await registerAll(program, argv);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = renderError(err);
  }
}

/** renderError prints one line for a failure and returns the exit status. */
export function renderError(err: unknown): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    return err.exitCode === 0 ? 0 : 125;
  }
  if (err instanceof SandboxError) {
    process.stderr.write(`tssandbox: ${err.message}\n`);
    if (process.env.TSSANDBOX_DEBUG && err.cause) process.stderr.write(`  cause: ${String((err.cause as Error).stack ?? err.cause)}\n`);
    return err.exitCode;
  }
  const e = err as Error;
  process.stderr.write(`tssandbox: internal error: ${e?.message ?? String(err)}\n`);
  if (process.env.TSSANDBOX_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
  return 125;
}
