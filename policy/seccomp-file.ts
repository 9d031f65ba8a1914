// policy/seccomp-file.ts — a seccomp policy from a built-in name, our profile file, or Docker/OCI JSON (`--security-opt seccomp=FILE`) (everywhere, reads files)
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { errnoReason, fail } from '../common/errors.js';
import { loadProfile, loadProfileText } from './load.js';
import { importOciSeccomp, isOciSeccompText, parseOciJson, type ImportOptions } from './oci-import.js';
import type { SeccompPolicy } from './seccomp/types.js';

/**
 * loadSeccomp returns the seccomp policy of a built-in profile, a profile file, or a Docker/OCI
 * seccomp JSON file (imported for `opts.caps`, default Docker's 14); null when the profile has none.
 */
export function loadSeccomp(nameOrPath: string, opts: ImportOptions = {}): SeccompPolicy | null {
  if (existsSync(nameOrPath) && /\.json$/i.test(nameOrPath)) {
    let text: string;
    try { text = readFileSync(nameOrPath, 'utf8'); } catch (e) { fail('TSS_EPROFILE', 'load seccomp profile', nameOrPath, errnoReason(e)); }
    if (isOciSeccompText(text)) {
      const r = importOciSeccomp(parseOciJson(text, nameOrPath), { ...opts, source: nameOrPath });
      return loadProfileText(r.yaml, nameOrPath, dirname(nameOrPath)).seccomp;
    }
  }
  return loadProfile(nameOrPath).seccomp;
}
