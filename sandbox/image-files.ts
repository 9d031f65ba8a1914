// sandbox/image-files.ts — reads small files (/etc/passwd, /etc/group) out of an image's layers without following them out (parent)
//
// Used to resolve `-u name` and the user's groups the way docker does. Only regular files whose
// every path component is a plain directory inside the layer are read: a symlink in an image never
// makes the runtime read a host file.
import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** readImageFile returns the top-most layer's copy of PATH, or undefined (absent, whited out, or not plain). */
export function readImageFile(layers: readonly string[], path: string, maxBytes = 1 << 20): string | undefined {
  const parts = path.split('/').filter(Boolean);
  for (let i = layers.length - 1; i >= 0; i--) {
    let cur = layers[i]!;
    let verdict: 'absent' | 'gone' | 'found' = 'absent';
    for (let k = 0; k < parts.length; k++) {
      cur = join(cur, parts[k]!);
      let st;
      try { st = lstatSync(cur); } catch { verdict = 'absent'; break; }
      const last = k === parts.length - 1;
      if (st.isCharacterDevice() && st.rdev === 0) { verdict = 'gone'; break; } // an overlay whiteout
      if (!last && !st.isDirectory()) { verdict = st.isSymbolicLink() ? 'gone' : 'absent'; break; }
      if (last) verdict = st.isFile() && st.size <= maxBytes ? 'found' : 'gone';
    }
    if (verdict === 'found') return readFileSync(cur, 'utf8');
    if (verdict === 'gone') return undefined;
  }
  return undefined;
}

export interface PasswdEntry { readonly name: string; readonly uid: number; readonly gid: number; readonly home: string }
export interface GroupEntry { readonly name: string; readonly gid: number; readonly members: readonly string[] }

export function parsePasswd(text: string | undefined): PasswdEntry[] {
  return (text ?? '').split('\n').map((l) => l.split(':')).filter((f) => f.length >= 7)
    .map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! }))
    .filter((e) => Number.isInteger(e.uid) && Number.isInteger(e.gid));
}

export function parseGroup(text: string | undefined): GroupEntry[] {
  return (text ?? '').split('\n').map((l) => l.split(':')).filter((f) => f.length >= 4)
    .map((f) => ({ name: f[0]!, gid: Number(f[2]), members: f[3]!.split(',').filter(Boolean) }))
    .filter((e) => Number.isInteger(e.gid));
}
