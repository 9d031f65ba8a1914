// oci/state.ts — where an OCI container's state lives and what `state` prints (OCI front end, touches the state root)
//
// runc's global --root is the STATE root (default /run/runc); ours defaults to <run root>/oci. Each
// container has a directory there: state.json (written by create, then by its supervisor), the
// supervisor's lock (liveness), its control socket, and the launcher's staging dir.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../common/errors.js';
import { runRoot } from '../sandbox/paths.js';

export type OciStatus = 'creating' | 'created' | 'running' | 'stopped' | 'paused';

/** what we keep (a superset of the runtime-spec state) */
export interface OciRecord {
  readonly ociVersion: string;
  readonly id: string;
  readonly status: OciStatus;
  /** the supervisor: the pid file names it and it exits with the container's status (runsc model) */
  readonly pid?: number;
  /** the payload's host pid, once it exists */
  readonly payloadPid?: number;
  readonly bundle: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly created: string;
  readonly exitCode?: number;
  readonly cgroupParent?: string;
}

export const OCI_VERSION = '1.0.2';

export function defaultStateRoot(): string { return join(runRoot(), 'oci'); }
export const containerDir = (root: string, id: string) => join(root, id);
export const recordFile = (root: string, id: string) => join(root, id, 'state.json');
export const lockFile = (dir: string) => join(dir, 'supervisor.lock');
export const controlSocket = (dir: string) => join(dir, 'control.sock');

/** a container id is one path component of safe characters (runc's rule), never `..` */
export function checkId(id: string | undefined, action: string): string {
  if (!id) fail('TSS_EUSAGE', action, '(container id)', 'missing container id');
  if (!/^[A-Za-z0-9][A-Za-z0-9_+.-]{0,1023}$/.test(id) || id.includes('..')) fail('TSS_EUSAGE', action, id, 'invalid container id');
  return id;
}

export function readRecord(root: string, id: string, action: string): OciRecord {
  try {
    return JSON.parse(readFileSync(recordFile(root, id), 'utf8')) as OciRecord;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') fail('TSS_ECONTAINER', action, id, 'container does not exist');
    throw e;
  }
}

export function tryRecord(root: string, id: string): OciRecord | null {
  try { return JSON.parse(readFileSync(recordFile(root, id), 'utf8')) as OciRecord; } catch { return null; }
}

/** writeRecord replaces state.json atomically: `state` may read it at any moment */
export function writeRecord(root: string, r: OciRecord): void {
  mkdirSync(containerDir(root, r.id), { recursive: true, mode: 0o700 });
  const tmp = join(containerDir(root, r.id), `.state.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(r), { mode: 0o600 });
  renameSync(tmp, recordFile(root, r.id));
}

/** the runtime-spec state object (config-schema's state-schema.json fields, nothing else) */
export function specState(r: OciRecord): Record<string, unknown> {
  const status = r.status === 'creating' ? 'creating' : r.status;
  return {
    ociVersion: r.ociVersion, id: r.id, status,
    ...(r.pid && (status === 'created' || status === 'running' || status === 'paused') ? { pid: r.pid } : {}),
    bundle: r.bundle,
    annotations: r.annotations,
  };
}
