// sandbox/exec-user.ts — `exec -u NAME[:GROUP]`: names resolved from the running container's own /etc/passwd and /etc/group (CLI process)
//
// The container's root is its image layers under its writable upper layer (native/launcher/mounts.c),
// so its /etc/passwd is the top-most copy in that stack — one the container itself may have edited,
// so the upper layer is hostile ground: a process in there can swap a directory for a symlink at any
// moment. Each candidate is therefore opened O_PATH|O_NOFOLLOW (no side effect, whatever it is),
// accepted only if the kernel's own name for the opened file (/proc/self/fd) is exactly the path
// inside the layer and it is a regular file, and only then read through that very fd. A symlink
// anywhere on the way makes the copy count as absent-and-hiding (like a whiteout): the runtime never
// reads a host file on the container's say-so.
import { closeSync, fstatSync, lstatSync, openSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { constants } from 'node:fs';
import { fail } from '../common/errors.js';
import { parseGroup, parsePasswd } from './image-files.js';

// O_PATH is not in fs.constants; its value is fixed by the Linux ABI on x86 and arm64 (libuv adds O_CLOEXEC)
const O_PATH = 0o10000000;
const MAX_BYTES = 1 << 20;

type Found = { kind: 'found'; text: string } | { kind: 'absent' } | { kind: 'gone' };

/** readLayerFile: one layer's copy of PATH, read without following anything out of the layer */
function readLayerFile(layer: string, parts: readonly string[]): Found {
  let cur = layer;
  for (let k = 0; k < parts.length; k++) {
    cur = join(cur, parts[k]!);
    let st;
    try { st = lstatSync(cur); } catch { return { kind: 'absent' }; }
    if (st.isCharacterDevice() && st.rdev === 0) return { kind: 'gone' }; // an overlay whiteout
    if (k < parts.length - 1 && !st.isDirectory()) return st.isSymbolicLink() ? { kind: 'gone' } : { kind: 'absent' };
  }
  let fd: number;
  try { fd = openSync(cur, O_PATH | constants.O_NOFOLLOW); } catch { return { kind: 'gone' }; }
  try {
    // the lstat walk above can be raced; what the kernel actually opened cannot
    if (readlinkSync(`/proc/self/fd/${fd}`) !== cur) return { kind: 'gone' };
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > MAX_BYTES) return { kind: 'gone' };
    return { kind: 'found', text: readFileSync(`/proc/self/fd/${fd}`, 'utf8').slice(0, MAX_BYTES) };
  } catch { return { kind: 'gone' }; } finally { closeSync(fd); }
}

/** readContainerFile: the top-most copy of PATH in LAYERS (bottom first), or undefined */
export function readContainerFile(layers: readonly string[], path: string): string | undefined {
  const parts = path.split('/').filter(Boolean);
  for (let i = layers.length - 1; i >= 0; i--) {
    const r = readLayerFile(layers[i]!, parts);
    if (r.kind === 'found') return r.text;
    if (r.kind === 'gone') return undefined;
  }
  return undefined;
}

export interface ExecUser { readonly uid: number; readonly gid: number; readonly additionalGids: number[]; /** the passwd entry's home, when there is one */ readonly home?: string }

/**
 * resolveExecUser turns `-u USER[:GROUP]` (names or numbers) into ids the way docker exec does:
 * a name must exist in the container's /etc/passwd, the group defaults to the user's primary one,
 * and the user's supplementary groups come from /etc/group. ID_COUNT bounds the ids to the
 * container's mapped range.
 */
export function resolveExecUser(spec: string, layers: readonly string[], idCount: number): ExecUser {
  const [u = '', g, extra] = spec.split(':');
  const numeric = (s: string) => /^\d+$/.test(s);
  if (u === '' || extra !== undefined || g === '') fail('TSS_EUSAGE', 'exec', `-u ${spec}`, 'expected USER[:GROUP] (names or numbers)');
  const passwd = parsePasswd(readContainerFile(layers, '/etc/passwd'));
  const entry = numeric(u) ? passwd.find((p) => p.uid === Number(u)) : passwd.find((p) => p.name === u);
  if (!numeric(u) && !entry) fail('TSS_EUSAGE', 'exec', `-u ${spec}`, `no user ${u} in the container's /etc/passwd`);
  const uid = numeric(u) ? Number(u) : entry!.uid;
  let gid = entry?.gid ?? uid;
  const group = g !== undefined || entry ? parseGroup(readContainerFile(layers, '/etc/group')) : [];
  if (g !== undefined) {
    const ge = numeric(g) ? undefined : group.find((x) => x.name === g);
    if (!numeric(g) && !ge) fail('TSS_EUSAGE', 'exec', `-u ${spec}`, `no group ${g} in the container's /etc/group`);
    gid = numeric(g) ? Number(g) : ge!.gid;
  }
  if (uid >= idCount || gid >= idCount) fail('TSS_EUSAGE', 'exec', `-u ${spec}`, `ids at or above ${idCount} are outside the container's id range`);
  const additionalGids = entry ? [...new Set(group.filter((x) => x.members.includes(entry.name) && x.gid !== gid && x.gid < idCount).map((x) => x.gid))] : [];
  return { uid, gid, additionalGids, ...(entry?.home ? { home: entry.home } : {}) };
}
