// oci/exec.ts — `exec --process FILE [--detach] [--pid-file F] [--console-socket S] ID` (OCI front end, CLI process)
import { fail } from '../common/errors.js';
import type { OciArgs } from './args.js';

export async function ociExec(root: string, a: OciArgs, note: (s: string) => void): Promise<number> {
  void root; void note;
  return fail('TSS_EUSAGE', 'exec', a.operands[0] ?? '(container)', 'not supported yet');
}
