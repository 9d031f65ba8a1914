// sandbox/selftest/probe-image.ts — the escape battery's image: the static probe at /probe (+ busybox when present) as a rootfs tar, imported into a throwaway store (host)
//
// The battery never uses the user's image store: `selftest` and the tests import this tiny image
// into a temporary --root that the caller removes afterwards (BatteryEnv.close()).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tar from 'tar-stream';
import { PACKAGE_ROOT } from '../paths.js';

/** where `make -C test/fixtures/probe` puts the probe (npm run build:probe) */
export const PROBE_BIN = join(PACKAGE_ROOT, 'build', 'fixtures', 'probe');
/** Debian's busybox-static: a shell and coreutils for the hardening tests */
export const BUSYBOX_BIN = '/bin/busybox';
export const BUSYBOX_APPLETS = ['sh', 'ls', 'cat', 'echo', 'true', 'id', 'stat', 'readlink', 'pwd', 'test', 'mkdir', 'touch', 'grep', 'head'];
export const PROBE_REF = 'tssandbox-selftest/probe:latest';

export interface ImageMember {
  readonly name: string;
  readonly type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  readonly data?: Buffer | string;
  readonly linkname?: string;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly devmajor?: number;
  readonly devminor?: number;
}

/** packTar writes members in order into an uncompressed tar (owner 0:0 unless given; no normalisation) */
export async function packTar(members: readonly ImageMember[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((res, rej) => {
    pack.on('data', (c: unknown) => { chunks.push(c as Buffer); });
    pack.on('end', () => res());
    pack.on('error', rej);
  });
  for (const m of members) {
    const type = m.type ?? 'file';
    const data = type === 'file' ? Buffer.from(m.data ?? '') : Buffer.alloc(0);
    const mode = m.mode ?? (type === 'directory' ? 0o755 : 0o644);
    await new Promise<void>((res, rej) => pack.entry({
      name: m.name, type, size: data.length, mode, uid: m.uid ?? 0, gid: m.gid ?? 0, mtime: new Date(1_700_000_000_000),
      ...(m.linkname !== undefined ? { linkname: m.linkname } : {}),
      ...(m.devmajor !== undefined ? { devmajor: m.devmajor, devminor: m.devminor ?? 0 } : {}),
    }, data, (e) => (e ? rej(e) : res())));
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** probeImageMembers: /probe, /tmp, /etc/passwd, and busybox with its applets when the host has it.
 * `extra` members come last (the hardening tests add symlinks such as /data -> /etc). */
export function probeImageMembers(probeBin = PROBE_BIN, extra: readonly ImageMember[] = []): ImageMember[] {
  const m: ImageMember[] = [
    { name: './', type: 'directory' },
    { name: './probe', data: readFileSync(probeBin), mode: 0o755 },
    { name: './etc/', type: 'directory' },
    { name: './etc/passwd', data: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' },
    { name: './etc/group', data: 'root:x:0:\nnogroup:x:65534:\n' },
    { name: './tmp/', type: 'directory', mode: 0o1777 },
  ];
  if (existsSync(BUSYBOX_BIN)) {
    m.push({ name: './bin/', type: 'directory' }, { name: './bin/busybox', data: readFileSync(BUSYBOX_BIN), mode: 0o755 });
    for (const a of BUSYBOX_APPLETS) m.push({ name: `./bin/${a}`, type: 'symlink', linkname: 'busybox' });
  }
  return [...m, ...extra];
}

/** probeMissing says why the battery cannot run (no probe built), or null */
export function probeMissing(probeBin = PROBE_BIN): string | null {
  return existsSync(probeBin) ? null : `the probe is not built: ${probeBin} missing (run \`make -C test/fixtures/probe\`)`;
}
