// test/helpers/busybox-rootfs.ts — a busybox root filesystem tar from Debian's busybox-static (tests)
import { existsSync, readFileSync } from 'node:fs';
import { tarOf, type Member } from './image-archives.js';

export const BUSYBOX = '/bin/busybox';
export const APPLETS = ['sh', 'ls', 'cat', 'echo', 'true', 'id', 'stat'];

/** busyboxAvailable says why a busybox test must skip, or false when it can run. */
export function busyboxMissing(): string | false {
  return existsSync(BUSYBOX) ? false : `${BUSYBOX} missing (apt-get install busybox-static)`;
}

/** busyboxRootfs: /bin/busybox, /bin/<applet> symlinks, /etc/passwd, /tmp — as an uncompressed tar. */
export function busyboxRootfs(extra: Member[] = []): Promise<Buffer> {
  return tarOf([
    { name: './', type: 'directory' },
    { name: './bin/', type: 'directory' },
    { name: './bin/busybox', data: readFileSync(BUSYBOX), mode: 0o755 },
    ...APPLETS.map((a): Member => ({ name: `./bin/${a}`, type: 'symlink', linkname: 'busybox' })),
    { name: './etc/', type: 'directory' },
    { name: './etc/passwd', data: 'root:x:0:0:root:/root:/bin/sh\n' },
    { name: './tmp/', type: 'directory', mode: 0o1777 },
    ...extra,
  ]);
}
