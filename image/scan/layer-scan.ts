// image/scan/layer-scan.ts — one pass over every entry of every layer: secrets, malware, file modes (CLI process)
//
// Every layer is scanned on its own, bottom to top: a file deleted or overwritten by a later layer
// is still in the image's blobs and still ships (NIST SP 800-190 §3.1.4). Each regular file is read
// once, up to a cap; the first 8 KiB decide text or binary.
import { closeSync, openSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { scanText } from './secrets.js';
import { isEicar } from './malware.js';
import { walkLayer, isWhiteout } from './walk.js';
import { NIST_SECTION, type Finding } from './types.js';

export interface LayerScanOptions {
  readonly maxFileBytes: number;
  readonly hashes?: ReadonlyMap<string, string>;
  readonly onBytes?: (n: number) => void;
}

export interface LayerScanResult {
  findings: Finding[];
  files: number;
  bytes: number;
  /** files larger than the cap (scanned only in their first maxFileBytes) */
  capped: string[];
}

const CHUNK = 1 << 20;
const SSHD = /^(?:usr\/)?s?bin\/(?:sshd|dropbear|in\.telnetd|telnetd)$/;

/** readHead reads up to max bytes; with hash, hashes the whole file (reading past max). */
function readFile(abs: string, size: number, max: number, hash: boolean): { head: Buffer; sha256?: string } {
  const fd = openSync(abs, 'r');
  try {
    const head = Buffer.allocUnsafe(Math.min(size, max));
    let got = 0;
    while (got < head.length) { const n = readSync(fd, head, got, head.length - got, got); if (n === 0) break; got += n; }
    if (!hash) return { head: head.subarray(0, got) };
    const h = createHash('sha256').update(head.subarray(0, got));
    if (size > max) {
      const buf = Buffer.allocUnsafe(CHUNK);
      for (let pos = got; ;) { const n = readSync(fd, buf, 0, CHUNK, pos); if (n === 0) break; h.update(buf.subarray(0, n)); pos += n; }
    }
    return { head: head.subarray(0, got), sha256: h.digest('hex') };
  } finally { closeSync(fd); }
}

/** scanLayer scans one unpacked layer dir; findings carry the layer's diff id. */
export function scanLayer(dir: string, diffId: string, opts: LayerScanOptions): LayerScanResult {
  const out: LayerScanResult = { findings: [], files: 0, bytes: 0, capped: [] };
  const add = (f: Omit<Finding, 'nist' | 'layer'>): void => { out.findings.push({ ...f, nist: NIST_SECTION[f.category], layer: diffId }); };
  for (const { rel, abs, st } of walkLayer(dir)) {
    if (isWhiteout(st)) continue;
    if (st.isDirectory()) {
      // world-writable without the sticky bit: any user can replace anyone's files in it
      if ((st.mode & 0o002) && !(st.mode & 0o1000)) {
        add({ category: 'configuration', rule: 'config.world-writable-dir', severity: 'medium', path: rel, message: `world-writable directory without the sticky bit (mode ${(st.mode & 0o7777).toString(8)})` });
      }
      continue;
    }
    if (!st.isFile()) continue;
    if (st.mode & 0o6000) {
      const kind = [(st.mode & 0o4000) ? 'setuid' : '', (st.mode & 0o2000) ? 'setgid' : ''].filter(Boolean).join('+');
      add({ category: 'configuration', rule: `config.${(st.mode & 0o4000) ? 'setuid' : 'setgid'}-file`, severity: (st.mode & 0o4000) && st.uid === 0 ? 'medium' : 'low', path: rel,
        message: `${kind} file owned by ${st.uid}:${st.gid} (mode ${(st.mode & 0o7777).toString(8)})` });
    }
    if (SSHD.test(rel)) add({ category: 'configuration', rule: 'config.remote-shell-daemon', severity: 'medium', path: rel, message: `remote login daemon installed (${rel.split('/').pop()})` });
    out.files++;
    let data;
    try { data = readFile(abs, st.size, opts.maxFileBytes, Boolean(opts.hashes)); } catch { continue; }
    out.bytes += data.head.length;
    opts.onBytes?.(data.head.length);
    if (st.size > opts.maxFileBytes) out.capped.push(`${rel} (${diffId.slice(7, 19)})`);
    if (isEicar(data.head, st.size)) add({ category: 'malware', rule: 'malware.eicar', severity: 'critical', path: rel, message: 'EICAR anti-virus test file' });
    const listed = data.sha256 && opts.hashes?.get(data.sha256);
    if (listed) add({ category: 'malware', rule: 'malware.hash-list', severity: 'critical', path: rel, message: `sha256 ${data.sha256!.slice(0, 16)}… is on the malware hash list (${listed})` });
    const binary = data.head.subarray(0, 8192).includes(0);
    for (const h of scanText(data.head.toString('latin1'), { path: rel, binary })) {
      // keys compiled into binaries are mostly libraries' test vectors: still shipped, less likely live
      add({ category: 'secrets', rule: `secret.${h.rule}`, severity: binary && h.severity === 'critical' ? 'medium' : h.severity, path: rel, line: h.line, value: h.value,
        message: binary ? `${h.description}, embedded in a binary file` : h.description });
    }
  }
  return out;
}
