// image/input.ts — open the file or stdin a command reads an archive from (CLI process)
import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { fail, errnoReason } from '../common/errors.js';

/** openInput opens `path` ('-' = stdin) and says how big it is when known (for progress). */
export function openInput(path: string, action: string): { stream: Readable; size?: number } {
  if (path === '-') return { stream: process.stdin };
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) fail('TSS_EUSAGE', action, path, 'not a regular file');
    size = st.size;
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('TSS_')) throw err;
    return fail('TSS_EUSAGE', action, path, errnoReason(err), err);
  }
  return { stream: createReadStream(path, { highWaterMark: 1024 * 1024 }), size };
}
