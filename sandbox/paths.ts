// sandbox/paths.ts — where tssandbox keeps things on the host (parent, pure but for env reads)
//
// Images and audit logs live under the data root (--root); runtime state (pids, sockets, staging
// directories, id-range slots) lives under /run so that it does not outlive a reboot and invite
// pid reuse (DESIGN §1).
import { join } from 'node:path';
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
  return join(process.env.XDG_RUNTIME_DIR ?? '/tmp', 'tssandbox');
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
