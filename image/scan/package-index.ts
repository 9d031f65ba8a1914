// image/scan/package-index.ts — read package indexes: Debian Packages (plain, gz, xz, lz4, zst, bz2), Alpine APKINDEX, rpm repodata XML (CLI process)
//
// Node's zlib reads gzip; xz, lz4 and zstd go through the `xz`, `lz4` and `zstd` commands (apt on
// this machine keeps its lists lz4-compressed). The format is told by magic bytes, not the name.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fail, errnoReason } from '../../common/errors.js';
import { rpmIndexEntries, rpmIndexKind } from './rpm-index.js';

export type Ecosystem = 'deb' | 'apk' | 'rpm';

export interface PackageIndex {
  readonly file: string;
  readonly ecosystem: Ecosystem;
  /** a security suite's index (the file name says "security"; rpm: an updateinfo.xml) */
  readonly security: boolean;
  /** package name → newest version in this index */
  readonly versions: ReadonlyMap<string, string>;
}

function decompress(path: string, data: Buffer): Buffer {
  const magic = data.subarray(0, 6).toString('hex');
  const tool = (cmd: string): Buffer => {
    try { return execFileSync(cmd, ['-dc'], { input: data, maxBuffer: 1 << 30 }); } catch (err) {
      return fail('TSS_ESCAN', 'decompress package index', path, `${cmd} -dc failed (${errnoReason(err)}); is ${cmd} installed?`, err);
    }
  };
  if (magic.startsWith('1f8b')) return gunzipSync(data);
  if (magic === 'fd377a585a00') return tool('xz');
  if (magic.startsWith('04224d18')) return tool('lz4');
  if (magic.startsWith('28b52ffd')) return tool('zstd');
  if (magic.startsWith('425a68')) return tool('bzip2'); // older rpm repodata (primary.xml.bz2)
  return data;
}

/** stanzas splits RFC822-ish text (dpkg status, Packages, APKINDEX, apk installed) into field maps. */
export function stanzas(text: string, sep = ':'): Array<Map<string, string>> {
  const out: Array<Map<string, string>> = [];
  let cur = new Map<string, string>();
  let last = '';
  for (const line of text.split('\n')) {
    if (line.trim() === '') { if (cur.size) out.push(cur); cur = new Map(); last = ''; continue; }
    if ((line.startsWith(' ') || line.startsWith('\t')) && last) { cur.set(last, `${cur.get(last)}\n${line.trim()}`); continue; }
    const i = line.indexOf(sep);
    if (i <= 0) continue;
    last = line.slice(0, i);
    cur.set(last, line.slice(i + 1).trim());
  }
  if (cur.size) out.push(cur);
  return out;
}

/** untarApkindex: APKINDEX.tar.gz is a (signature +) index tar; pull out the APKINDEX member. */
function untarApkindex(tarData: Buffer): string | undefined {
  for (let off = 0; off + 512 <= tarData.length;) {
    const name = tarData.subarray(off, off + 100).toString('latin1').replace(/\0.*$/s, '');
    if (!name) break;
    const size = Number.parseInt(tarData.subarray(off + 124, off + 136).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
    if (name === 'APKINDEX') return tarData.subarray(off + 512, off + 512 + size).toString('utf8');
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return undefined;
}

/** readPackageIndex reads one index file; the newest version per name wins. */
export function readPackageIndex(path: string, compare: Record<Ecosystem, (a: string, b: string) => number>): PackageIndex {
  let raw: Buffer;
  try { raw = readFileSync(path); } catch (err) { return fail('TSS_ESCAN', 'read package index', path, errnoReason(err), err); }
  let data = raw;
  // APKINDEX.tar.gz holds several gzip streams; gunzip reads them all
  try { data = decompress(path, raw); } catch (err) { if ((err as { code?: string }).code === 'TSS_ESCAN') throw err; return fail('TSS_ESCAN', 'decompress package index', path, (err as Error).message, err); }
  let text = data.length > 262 && data.subarray(257, 262).toString('latin1') === 'ustar' ? (untarApkindex(data) ?? '') : data.toString('utf8');
  const rpmKind = rpmIndexKind(text.slice(0, 4096));
  if (rpmKind) {
    const versions = new Map<string, string>();
    for (const [name, version] of rpmIndexEntries(text, rpmKind)) {
      const cur = versions.get(name);
      if (!cur || compare.rpm(version, cur) > 0) versions.set(name, version);
    }
    return { file: path, ecosystem: 'rpm', security: rpmKind === 'updateinfo' || /security/i.test(basename(path)), versions };
  }
  const ecosystem: Ecosystem = /^(?:P|C|V|A):/m.test(text.slice(0, 4096)) && !/^Package:/m.test(text.slice(0, 4096)) ? 'apk' : 'deb';
  if (ecosystem === 'deb' && !/^Package:/m.test(text)) fail('TSS_ESCAN', 'read package index', path, 'neither a Debian Packages file, an APKINDEX nor rpm repodata (primary.xml, updateinfo.xml)');
  const versions = new Map<string, string>();
  const [nameKey, versionKey] = ecosystem === 'deb' ? ['Package', 'Version'] : ['P', 'V'];
  for (const st of stanzas(text)) {
    const name = st.get(nameKey);
    const version = st.get(versionKey);
    if (!name || !version) continue;
    const cur = versions.get(name);
    if (!cur || compare[ecosystem](version, cur) > 0) versions.set(name, version);
  }
  text = '';
  return { file: path, ecosystem, security: /security/i.test(basename(path)), versions };
}
