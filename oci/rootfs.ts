// oci/rootfs.ts — what root.path really is: an overlay's layers (podman's merged dir) or a plain directory (OCI front end, reads mountinfo)
//
// tssandbox never runs a container as host root, and an overlayfs mount cannot itself be idmapped
// (EINVAL). Root-run podman hands a merged overlay whose files host root owns. So the overlay is
// taken apart: its lower dirs and its upper dir become read-only layers, each idmapped like our
// own image layers, under a per-container upper of ours — the container sees its files owned by
// its own root and can write, and what it writes stays in that upper (discarded at delete; podman
// commit/diff do not see it). A plain directory is idmapped as the root itself.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';

/** unescape: mountinfo writes space, tab, newline and backslash as \ooo */
function unescape(s: string): string { return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))); }

/** splitDirs: overlay's lowerdir list, ':' separated, '\:' escaped */
function splitDirs(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && i + 1 < s.length) { cur += s[++i]; continue; }
    if (s[i] === ':') { out.push(cur); cur = ''; continue; }
    cur += s[i];
  }
  if (cur) out.push(cur);
  return out;
}

export interface OverlayParts {
  /** bottom first, as LaunchPlan.layers wants them */
  readonly layers: readonly string[];
}

/** overlayParts: the layers of the overlay mounted exactly at `path`, or null when it is not one */
export function overlayParts(path: string, mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): OverlayParts | null {
  let found: OverlayParts | null = null;
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (sep < 0 || unescape(f[4] ?? '') !== path) continue;
    if (f[sep + 1] !== 'overlay') { found = null; continue; } // the last mount on the path wins
    const opts = (f[sep + 3] ?? '').split(',');
    const lower: string[] = [];
    let upper: string | undefined;
    for (const o of opts) {
      const [k, ...v] = o.split('=');
      const val = unescape(v.join('='));
      if (k === 'lowerdir') lower.push(...splitDirs(val));
      else if (k === 'lowerdir+') lower.push(val);
      else if (k === 'upperdir') upper = val;
    }
    // containers/storage may mount with lower dirs relative to its overlay dir (…/overlay/<id>/merged)
    const base = dirname(dirname(path));
    const abs = (d: string) => (isAbsolute(d) ? d : join(base, d));
    // overlay lists the top lower first; the upper is above them all
    found = { layers: [...lower.map(abs).reverse(), ...(upper ? [abs(upper)] : [])] };
  }
  return found;
}
