// policy/cases.ts — `policy test`: a YAML list of syscalls with the action each must get, checked against a policy (everywhere, reads the cases file)
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { syscallNumber, type Arch, type HostArch } from '../abi/index.js';
import { errnoReason } from '../common/errors.js';
import { explain } from './api.js';
import { actionKey, formatAction } from './seccomp/actions.js';
import { SpecError, actionAt, constantValue } from './seccomp-spec.js';
import { lineOf, parseProfileText, profileError } from './source-map.js';
import type { SeccompPolicy } from './seccomp/types.js';

const arch = z.enum(['x86_64', 'i386', 'x32', 'aarch64']);
const caseSchema = z.strictObject({
  syscall: z.union([z.string(), z.number().int().nonnegative()]),
  args: z.array(z.union([z.number(), z.string()])).max(6).optional(),
  expect: z.string(),
  arch: arch.optional(),
  comment: z.string().optional(),
});
const fileSchema = z.union([z.array(caseSchema), z.strictObject({ arch: arch.optional(), cases: z.array(caseSchema) })]);

export interface CaseResult { readonly line?: number; readonly ok: boolean; readonly text: string }

/** runCases checks every case of a cases file against a policy; a malformed file throws (exit 2). */
export function runCases(policy: SeccompPolicy, file: string, host: HostArch): CaseResult[] {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) { throw profileError(file, undefined, '', `cannot read: ${errnoReason(e)}`); }
  const parsed = parseProfileText(text, file);
  const r = fileSchema.safeParse(parsed.value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const path = issue.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('').replace(/^\./, '');
    throw profileError(file, lineOf(parsed, path), path || '(top)', issue.message.split('\n')[0]!);
  }
  const list = Array.isArray(r.data) ? r.data : r.data.cases;
  const prefix = Array.isArray(r.data) ? '' : 'cases';
  const dflt: Arch = (Array.isArray(r.data) ? undefined : r.data.arch) ?? host;
  return list.map((c, i) => {
    const path = `${prefix}[${i}]`;
    const line = lineOf(parsed, path);
    try {
      const abi = c.arch ?? dflt;
      const name = String(c.syscall);
      if (typeof c.syscall === 'string' && syscallNumber(abi, name) === undefined) throw new SpecError(`${path}.syscall`, `no syscall \`${name}\` on ${abi}`);
      const want = actionAt(c.expect, `${path}.expect`);
      const args = (c.args ?? []).map((a, j) => constantValue(a, `${path}.args[${j}]`));
      const e = explain(policy, name, args, abi);
      const ok = actionKey(e.verdict.action) === actionKey(want);
      return { line, ok, text: ok ? e.text : `${e.text} — expected ${formatAction(want)}` };
    } catch (err) {
      if (err instanceof SpecError) throw profileError(file, lineOf(parsed, err.path), err.path, err.message);
      throw err;
    }
  });
}
