// test/common/errors.test.ts — every error code is documented in docs/errors.md, and the CLI renders errors as one line (tests)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ERROR_CODES, SandboxError, fail } from '../../common/errors.js';
import { REPO_ROOT } from '../helpers/paths.js';

t.test('every code is in docs/errors.md', async (t) => {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'errors.md'), 'utf8');
  for (const code of Object.keys(ERROR_CODES)) t.match(doc, new RegExp(`\\| ${code} \\|`), `${code} documented`);
});

t.test('fail() builds the message shape and keeps the code', async (t) => {
  try { fail('TSS_EIMAGE', 'run', 'x:latest', 'no such image'); } catch (e) {
    t.ok(e instanceof SandboxError);
    t.equal((e as SandboxError).code, 'TSS_EIMAGE');
    t.equal((e as SandboxError).message, 'run `x:latest`: no such image');
    t.equal((e as SandboxError).exitCode, 125);
  }
});
