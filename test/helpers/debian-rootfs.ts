// test/helpers/debian-rootfs.ts — one shared Debian minbase rootfs tar from mmdebstrap, cached (tests, bench)
//
// mmdebstrap takes a minute or two and needs Debian's mirror, so the tar is built once and kept in
// TSS_TEST_CACHE (default /var/cache/tssandbox-test). Built into a temp name and renamed, so an
// interrupted build never leaves a half tar that later runs would trust.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const DEBIAN_SUITE = 'bookworm';

export function cacheDir(): string {
  return process.env.TSS_TEST_CACHE || '/var/cache/tssandbox-test';
}

/** debianMissing says why the Debian fixture cannot be built here, or false. */
export function debianMissing(): string | false {
  if (process.getuid?.() !== 0) return 'mmdebstrap as used here needs root';
  for (const p of ['/usr/bin/mmdebstrap']) if (!existsSync(p)) return `${p} missing (apt-get install mmdebstrap)`;
  return false;
}

/** debianRootfs returns the path of a cached minbase tar, building it on first use. */
export async function debianRootfs(): Promise<string> {
  const dir = cacheDir();
  mkdirSync(dir, { recursive: true });
  // python3-minimal: the launcher's acceptance runs `python3 -c 'print(6*7)'` in this image
  const out = join(dir, `debian-${DEBIAN_SUITE}-minbase-python3.tar`);
  if (existsSync(out)) return out;
  const tmp = `${out}.tmp-${process.pid}.tar`; // mmdebstrap picks its output format from the extension
  try {
    await run('mmdebstrap', ['--variant=minbase', '--mode=root', '--quiet', '--include=python3-minimal', DEBIAN_SUITE, tmp], { maxBuffer: 64 << 20, timeout: 15 * 60_000 });
    renameSync(tmp, out);
  } finally {
    rmSync(tmp, { force: true });
  }
  return out;
}
