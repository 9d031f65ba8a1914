// cli/oci-main.ts — OCI runtime mode: decide from argv whether runc's callers speak, then run the runc-style verb (CLI process)
//
// podman (through conmon), containerd's runc shim (go-runc) and CRI-O call the runtime binary with
// runc's globals (`--root STATE`, `--log FILE`, `--log-format json`, `--systemd-cgroup`) and verbs.
// Docker-mode verbs `kill`, `exec`, `ps` overlap with runc's, so the mode is decided before
// commander parses: a runc-only verb, a runc-only flag, or an id naming a container in the OCI
// state root. Errors go to --log in the asked format (conmon and the shim read it) and to stderr.
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SandboxError } from '../common/errors.js';
import { flag, has, parseOciArgs, type OciArgs } from '../oci/args.js';
import { defaultStateRoot } from '../oci/state.js';

/** verbs only runc's CLI has (docker mode has none of these) */
const OCI_ONLY = new Set(['create', 'start', 'state', 'delete', 'features', 'spec', 'list', 'pause', 'resume', 'update', 'events', 'checkpoint', 'restore']);
const OVERLAP = new Set(['kill', 'exec', 'ps']);
const OCI_GLOBALS = ['log', 'log-format', 'systemd-cgroup', 'debug', 'criu', 'rootless'];
/** long flags only runc's verbs have (short ones collide with docker's: ps -a, exec -p …) */
const OCI_VERB_FLAGS = ['bundle', 'process', 'console-socket', 'pid-file', 'preserve-fds', 'no-pivot', 'no-new-keyring'];

export const TSSANDBOX_VERSION = '0.1.0';

/** isOciInvocation: argv (without node and script) is a runc caller's */
export function isOciInvocation(args: readonly string[], stateRootOf: (a: OciArgs) => string = (a) => flag(a.globals, 'root') ?? defaultStateRoot()): boolean {
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) return true;
  const a = parseOciArgs(args);
  if (a.verb === undefined) return false;
  if (OCI_ONLY.has(a.verb)) return true;
  if (!OVERLAP.has(a.verb)) return false;
  if (OCI_GLOBALS.some((g) => a.globals.has(g)) || OCI_VERB_FLAGS.some((f) => a.flags.has(f))) return true;
  if (a.verb === 'kill' && (a.flags.has('all') || a.flags.has('a'))) return true; // docker kill has no --all
  const id = a.operands[0];
  return !!id && /^[A-Za-z0-9][A-Za-z0-9_+.-]*$/.test(id) && existsSync(join(stateRootOf(a), id, 'state.json'));
}

function logError(a: OciArgs, msg: string): void {
  const file = flag(a.globals, 'log');
  const json = flag(a.globals, 'log-format') === 'json';
  if (file) {
    const line = json ? JSON.stringify({ level: 'error', msg, time: new Date().toISOString() }) : `time="${new Date().toISOString()}" level=error msg="${msg.replace(/"/g, '\\"')}"`;
    try { appendFileSync(file, `${line}\n`); } catch { /* the caller's log dir is gone: stderr still says it */ }
  }
  process.stderr.write(`tssandbox: ${msg}\n`);
}

function logWarn(a: OciArgs, msg: string): void {
  const file = flag(a.globals, 'log');
  if (!file) return; // stderr is the caller's pipe to the user: keep it for errors
  const json = flag(a.globals, 'log-format') === 'json';
  const line = json ? JSON.stringify({ level: 'warning', msg, time: new Date().toISOString() }) : `time="${new Date().toISOString()}" level=warning msg="${msg.replace(/"/g, '\\"')}"`;
  try { appendFileSync(file, `${line}\n`); } catch { /* best effort */ }
}

/** ociMain runs one runc-style verb and returns the exit status (runc's: 0, or 1 on failure) */
export async function ociMain(args: readonly string[]): Promise<number> {
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
    process.stdout.write(`tssandbox version ${TSSANDBOX_VERSION}\nspec: 1.0.2\n`);
    return 0;
  }
  const a = parseOciArgs(args);
  const root = flag(a.globals, 'root') ?? defaultStateRoot();
  const id = a.operands[0];
  const out = (s: string) => process.stdout.write(s);
  try {
    const verbs = await import('../oci/verbs.js');
    switch (a.verb) {
      case 'create': {
        // rootless mode covers run (sandbox/rootless.ts); OCI create's ids, cgroups and hooks are root's
        if (process.geteuid?.() !== 0) throw new SandboxError('TSS_EUSAGE', `create \`${id ?? ''}\`: OCI runtime mode needs root (rootless, use tssandbox run)`);
        const { ociCreate } = await import('../oci/create.js');
        const pidFile = flag(a.flags, 'pid-file'), consoleSocket = flag(a.flags, 'console-socket');
        await ociCreate({
          stateRoot: root, id: id ?? '', bundle: flag(a.flags, 'bundle', 'b') ?? process.cwd(),
          ...(pidFile ? { pidFile } : {}), ...(consoleSocket ? { consoleSocket } : {}), note: (s) => logWarn(a, s),
        });
        return 0;
      }
      case 'start': await verbs.start(root, id ?? '', (s) => logWarn(a, s)); return 0;
      case 'state': out(verbs.state(root, id ?? '')); return 0;
      case 'kill': await verbs.kill(root, id ?? '', a.operands[1] ?? 'SIGTERM', has(a.flags, 'all', 'a')); return 0;
      case 'delete': await verbs.remove(root, id ?? '', has(a.flags, 'force', 'f'), (s) => logWarn(a, s)); return 0;
      case 'list': out(verbs.list(root, flag(a.flags, 'format', 'f'), has(a.flags, 'quiet', 'q'))); return 0;
      case 'ps': out(verbs.ps(root, id ?? '', flag(a.flags, 'format', 'f'))); return 0;
      case 'features': out(`${JSON.stringify((await import('../oci/features.js')).features(), null, 2)}\n`); return 0;
      case 'spec': {
        const dir = flag(a.flags, 'bundle', 'b') ?? process.cwd();
        const file = join(dir, 'config.json');
        if (existsSync(file)) verbs.refuse('spec', file, 'File config.json exists. Remove it first');
        writeFileSync(file, `${JSON.stringify((await import('../oci/features.js')).defaultSpec(), null, 2)}\n`);
        return 0;
      }
      case 'exec': return await (await import('../oci/exec.js')).ociExec(root, a, (s) => logWarn(a, s));
      case 'pause': case 'resume': await verbs.pauseResume(root, id ?? '', a.verb); return 0;
      case 'update': await (await import('../oci/update.js')).ociUpdate(root, id ?? '', a); return 0;
      case 'events': {
        const ev = await import('../oci/events.js');
        const every = flag(a.flags, 'interval');
        await ev.ociEvents(root, id ?? '', has(a.flags, 'stats'), every ? ev.parseInterval(every) : 5000, out);
        return 0;
      }
      case 'checkpoint': case 'restore': return verbs.refuse(a.verb, id, 'checkpoint/restore is not supported');
      default: return verbs.refuse(a.verb ?? '(none)', id, 'unknown command');
    }
  } catch (e) {
    logError(a, e instanceof SandboxError ? e.message : `internal error: ${(e as Error)?.message ?? String(e)}`);
    if (process.env.TSSANDBOX_DEBUG) process.stderr.write(`${(e as Error)?.stack ?? ''}\n`);
    return e instanceof SandboxError && e.exitCode !== 125 ? e.exitCode : 1;
  }
}
