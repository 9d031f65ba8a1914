// test/helpers/paths.ts — where things are, seen from a compiled test in dist/test/<area>/
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** the repository root (the compiled tests live in dist/test/...) */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** the tssandbox CLI entry */
export const CLI = join(REPO_ROOT, 'bin', 'tssandbox.js');
/** build outputs of native/ (launcher, demo, fixtures) */
export const BUILD = join(REPO_ROOT, 'build');
