// sandbox/containers.ts — container records on disk: config, state, lookup by name/id/prefix (parent, touches ROOT and /run)
//
// A container's record lives in ROOT/containers/<id>/ (config.json written once at create,
// state.json rewritten atomically by whoever supervises it, container.log for detached runs); its
// runtime state (lock, control socket, staging mounts) lives in RUN/containers/<id>/ and dies with
// the supervisor. The record outlives the run so that `ps -a`, `logs` and `inspect` work after exit.
import { closeSync, existsSync, openSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { constants } from 'node:os';
import { byCodePoint } from '../common/compare.js';
import { fail } from '../common/errors.js';
import type { OciSpec } from './oci-spec.js';

export interface ContainerConfig {
  readonly id: string;
  readonly name: string;
  readonly rm: boolean;
  readonly spec: OciSpec;
  readonly detached?: boolean;
  readonly created?: string;
  /** the image's StopSignal (stop sends it before SIGKILL) */
  readonly stopSignal?: string;
  /** the cgroup parent the container was created under (for cleanup by another process) */
  readonly cgroupParent?: string;
  /** a supervised container's audit log: where it is (in this record unless --audit-log) and whether it is keyed; never the key */
  readonly audit?: { readonly log: string; readonly keyed?: boolean };
}

export type Status = 'created' | 'running' | 'exited';

export interface ContainerState {
  readonly status: Status;
  /** the payload's host pid while it runs */
  readonly pid?: number;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly exitCode?: number;
  readonly oomKilled?: boolean;
  readonly timedOut?: boolean;
  /** why it exited when that was not its own doing: "supervisor died", "stopped", "killed (SIGKILL)" */
  readonly reason?: string;
  /** who supervises it: pid plus start time (field 22 of /proc/<pid>/stat) so a reused pid is not taken for it */
  readonly supervisor?: { readonly pid: number; readonly start: string };
}

export interface Container { readonly config: ContainerConfig; readonly state: ContainerState; readonly dir: string }

export const containersDir = (root: string) => join(root, 'containers');
export const recordDir = (root: string, id: string) => join(root, 'containers', id);
export const stateDirOf = (run: string, id: string) => join(run, 'containers', id);
export const logPath = (root: string, id: string) => join(root, 'containers', id, 'container.log');
export const socketPath = (stateDir: string) => join(stateDir, 'control.sock');
/**
 * bindable: a unix socket path must fit sun_path (108 bytes); a long run root (a test's temp dir)
 * plus a 64-hex id does not. Then the socket is reached through the state dir's own fd
 * (/proc/self/fd/N/control.sock): the kernel resolves it to the same file, and it stays in the
 * state dir (no abstract socket, which any process in the network namespace could reach).
 */
export function bindable(path: string): { path: string; close(): void } {
  if (Buffer.byteLength(path) < 100) return { path, close: () => {} };
  const fd = openSync(dirname(path), 'r');
  return { path: `/proc/self/fd/${fd}/${basename(path)}`, close: () => { try { closeSync(fd); } catch { /* closed */ } } };
}
export const lockPath = (stateDir: string) => join(stateDir, 'supervisor.lock');

export function writeState(root: string, id: string, s: ContainerState): void {
  const file = join(recordDir(root, id), 'state.json');
  // write then rename: a reader never sees half a state
  writeFileSync(`${file}.tmp`, JSON.stringify(s));
  renameSync(`${file}.tmp`, file);
}

export function readContainer(root: string, id: string): Container | null {
  const dir = recordDir(root, id);
  let config: ContainerConfig;
  try { config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as ContainerConfig; } catch { return null; }
  let state: ContainerState = { status: 'created' };
  try { state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as ContainerState; } catch { /* not started yet */ }
  return { config, state, dir };
}

export function listContainers(root: string): Container[] {
  const dir = containersDir(root);
  if (!existsSync(dir)) return [];
  const out: Container[] = [];
  for (const id of readdirSync(dir)) {
    if (!/^[0-9a-f]{64}$/.test(id)) continue;
    const c = readContainer(root, id);
    if (c) out.push(c);
  }
  return out.sort((a, b) => byCodePoint(b.config.created ?? '', a.config.created ?? ''));
}

/** findContainer resolves a name, a full id or a unique id prefix (docker's order). */
export function findContainer(root: string, ref: string, action: string): Container {
  const all = listContainers(root);
  const byName = all.find((c) => c.config.name === ref || c.config.id === ref);
  if (byName) return byName;
  const hits = /^[0-9a-f]+$/.test(ref) ? all.filter((c) => c.config.id.startsWith(ref)) : [];
  if (hits.length === 1) return hits[0]!;
  if (hits.length > 1) fail('TSS_ECONTAINER', action, ref, `the id prefix is ambiguous (${hits.length} containers)`);
  return fail('TSS_ECONTAINER', action, ref, 'no such container');
}

/** processStart is field 22 of /proc/<pid>/stat (start time in clock ticks), or null if it is gone. */
export function processStart(pid: number): string | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name may hold spaces and parentheses: count fields after the last ')'
    return s.slice(s.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch { return null; }
}

/** supervised: the recorded supervisor is still the same live process */
export function supervisorAlive(s: ContainerState): boolean {
  return !!s.supervisor && processStart(s.supervisor.pid) === s.supervisor.start;
}

/** signalNumber accepts 9, KILL, SIGKILL. */
export function signalNumber(sig: string, action: string): number {
  if (/^\d+$/.test(sig)) {
    const n = Number(sig);
    if (n >= 1 && n <= 64) return n;
  } else {
    const name = (sig.toUpperCase().startsWith('SIG') ? sig.toUpperCase() : `SIG${sig.toUpperCase()}`) as keyof typeof constants.signals;
    const n = constants.signals[name];
    if (n !== undefined) return n;
  }
  return fail('TSS_EUSAGE', action, sig, 'unknown signal');
}

export function signalName(n: number): string {
  return Object.entries(constants.signals).find(([, v]) => v === n)?.[0] ?? String(n);
}
