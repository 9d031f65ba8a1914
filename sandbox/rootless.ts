// sandbox/rootless.ts — rootless mode: who the user is, its subordinate id ranges and the id maps (parent, reads /etc)
//
// An unprivileged launcher unshares a user namespace of its own (native/launcher/rootless.c),
// mapped by the setuid newuidmap/newgidmap: its root is the user, ids 1..N the user's first
// /etc/subuid (/etc/subgid) range. The container's user namespace is made inside it with the same
// ids (0 → 0, the user; 1..N → the subordinate range), so image files the user unpacked show as
// owned by the container's root and `-u 1000` is a subordinate id, never the user. Without a range
// the container has one id only: root, which is the user.
import { accessSync, constants, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { fail } from '../common/errors.js';
import type { IdMap, RootlessMaps } from './plan.js';

export const NEWUIDMAP = '/usr/bin/newuidmap';
export const NEWGIDMAP = '/usr/bin/newgidmap';

/** rootless: tssandbox runs without root (effective uid ≠ 0); TSSANDBOX_ROOTLESS is never a way in or out */
export function isRootless(): boolean {
  return process.geteuid?.() !== 0;
}

export interface SubRange { readonly start: number; readonly count: number }

/** subRange: the first range of NAME (or of its numeric ID) in an /etc/subuid-format text; null when none */
export function subRange(text: string, name: string, id: number): SubRange | null {
  for (const line of text.split('\n')) {
    const [who, start, count] = line.trim().split(':');
    if (who === undefined || start === undefined || count === undefined || line.trim().startsWith('#')) continue;
    if (who !== name && who !== String(id)) continue;
    const s = Number(start), c = Number(count);
    if (Number.isSafeInteger(s) && Number.isSafeInteger(c) && s > 0 && c > 0) return { start: s, count: Math.min(c, 65536) };
  }
  return null;
}

function readOpt(file: string): string {
  try { return readFileSync(file, 'utf8'); } catch { return ''; }
}

export interface RootlessIds {
  /** the launcher's own namespace: 0 → the user, 1..N → the subordinate range */
  readonly maps: RootlessMaps;
  /** ids the container's namespace maps (0 … count-1 in the launcher's namespace) */
  readonly count: number;
  /** the container's map in the launcher's ids: identity, one extent per outer extent */
  readonly inner: readonly IdMap[];
  /** said once per run when the user has no range */
  readonly note?: string;
}

/**
 * rootlessIds reads the user's ranges and checks the mappers exist. One range per kind is used; a
 * user with a uid range but no gid range (or the reverse) gets the smaller of the two sizes for both
 * (the container's ids must map on both sides).
 */
export function rootlessIds(files = { subuid: '/etc/subuid', subgid: '/etc/subgid' }): RootlessIds {
  const uid = process.getuid?.() ?? 0, gid = process.getgid?.() ?? 0;
  let name = String(uid);
  try { name = userInfo().username; } catch { /* no passwd entry: ranges by number only */ }
  for (const m of [NEWUIDMAP, NEWGIDMAP]) {
    try { accessSync(m, constants.X_OK); } catch { fail('TSS_EUSAGE', 'run rootless', m, 'not installed (Debian package uidmap): an unprivileged user cannot map the container\'s ids without it'); }
  }
  const su = subRange(readOpt(files.subuid), name, uid);
  const sg = subRange(readOpt(files.subgid), name, uid);
  const n = su && sg ? Math.min(su.count, sg.count) : 0;
  const uidMap: IdMap[] = [{ inside: 0, outside: uid, count: 1 }, ...(su && n ? [{ inside: 1, outside: su.start, count: n }] : [])];
  const gidMap: IdMap[] = [{ inside: 0, outside: gid, count: 1 }, ...(sg && n ? [{ inside: 1, outside: sg.start, count: n }] : [])];
  return {
    maps: { newuidmap: NEWUIDMAP, newgidmap: NEWGIDMAP, uidMap, gidMap },
    count: 1 + n,
    inner: uidMap.map((m) => ({ inside: m.inside, outside: m.inside, count: m.count })),
    ...(n ? {} : { note: `rootless: ${name} has no range in ${su ? files.subgid : files.subuid}: the container has one id only (its root is you; -u to another id fails)` }),
  };
}
