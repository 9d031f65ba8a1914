// sandbox/paths.ts — where tssandbox keeps things on the host (parent, pure but for env reads)
//
// Images and audit logs live under the data root (--root); runtime state (pids, sockets, staging
// directories, id-range slots) lives under /run so that it does not outlive a reboot and invite
// pid reuse (DESIGN §1).
import { lstatSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fail } from '../common/errors.js';
import { fileURLToPath } from 'node:url';

export function dataRoot(flag?: string): string {
  if (flag) return flag;
  if (process.env.TSSANDBOX_ROOT) return process.env.TSSANDBOX_ROOT;
  if (process.geteuid?.() === 0) return '/var/lib/tssandbox';
  const xdg = process.env.XDG_DATA_HOME ?? join(process.env.HOME ?? '/tmp', '.local', 'share');
  return join(xdg, 'tssandbox');
}

export function runRoot(): string {
  if (process.env.TSSANDBOX_RUN_ROOT) return process.env.TSSANDBOX_RUN_ROOT;
  if (process.geteuid?.() === 0) return '/run/tssandbox';
  if (process.env.XDG_RUNTIME_DIR) return join(process.env.XDG_RUNTIME_DIR, 'tssandbox');
  return privateTmpRunRoot();
}

/**
 * privateTmpRunRoot: rootless without XDG_RUNTIME_DIR (su, runuser, cron: no login session made
 * one) — /tmp/tssandbox-UID, as podman's /tmp/podman-run-UID. /tmp is shared and world-writable,
 * so a name another user made first (a directory of theirs, or a symlink to one) would hand them our
 * sockets and pid files: the directory must be ours, a real directory and 0700, or we refuse.
 * /tmp is cleared at boot like /run, so state still does not outlive a reboot.
 */
function privateTmpRunRoot(): string {
  const uid = process.geteuid?.() ?? 0;
  const dir = join(tmpdir(), `tssandbox-${uid}`);
  try { mkdirSync(dir, { mode: 0o700 }); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; }
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) {
    fail('TSS_EUSAGE', 'use run root', dir, `not a private directory of uid ${uid} (owner ${st.uid}, mode ${(st.mode & 0o7777).toString(8)}${st.isSymbolicLink() ? ', a symlink' : ''}); set XDG_RUNTIME_DIR`);
  }
  return dir;
}

/** the package's own directory (dist/sandbox/ → repo root), for build/ and profiles/ */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const LAUNCHER_PATH = join(PACKAGE_ROOT, 'build', 'launcher');
export const INIT_PATH = join(PACKAGE_ROOT, 'build', 'init');
/** the supervisor's watchdog (native/watchdog/watchdog.c) */
export const WATCHDOG_PATH = join(PACKAGE_ROOT, 'build', 'watchdog');
/** the supervisor's libc calls (native/addon, node-addon-api) */
export const NATIVE_ADDON_PATH = join(PACKAGE_ROOT, 'build', 'tss_native.node');
export const DEMO_TAR = join(PACKAGE_ROOT, 'build', 'demo', 'demo.tar');
export const DEMO_REF = 'tssandbox/demo:latest';
