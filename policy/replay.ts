// policy/replay.ts — `policy test PROFILE --replay AUDIT.log`: what a profile would deny of a recorded run (everywhere, reads logs)
//
// Every syscall line of the log is decided again by the profile's evaluator (the same meaning the
// compiled filter has, checked by the differential tests). The log holds what the supervisor
// decoded: arguments it did not record are taken as 0, and the result says when a decision
// depended on such an argument, so a "would allow" is never claimed on a guess.
import { readEvents } from '../audit/review.js';
import { hostArch, type Arch } from '../abi/index.js';
import { fail } from '../common/errors.js';
import { explain } from './api.js';
import { formatAction } from './seccomp/actions.js';
import { constantValue } from './seccomp-spec.js';
import type { SeccompPolicy } from './seccomp/types.js';

const PASSES = new Set(['allow', 'log', 'notify', 'trace']);
const ARCHES = new Set<Arch>(['x86_64', 'i386', 'x32', 'aarch64']);

export interface ReplayDenial {
  readonly syscall: string;
  readonly arch: Arch;
  readonly args: readonly bigint[];
  readonly action: string;
  readonly why: string;
  /** how many lines of the log had this syscall-and-arguments shape */
  readonly count: number;
  /** the first line (seq) with it */
  readonly seq: number;
  /** some argument the deciding rule looks at was not in the log (taken as 0) */
  readonly guessedArgs: boolean;
}

export interface ReplayResult {
  readonly checked: number;
  readonly denials: readonly ReplayDenial[];
  readonly malformed: number;
  /** lines naming a syscall the ABI does not have (not decided) */
  readonly unknown: number;
  /** lines the recording itself denied (not replayed) */
  readonly alreadyDenied: number;
}

function argOf(v: unknown): bigint | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'string') { try { return constantValue(v, 'arg'); } catch { return undefined; } }
  return undefined;
}

/** replay decides every recorded syscall under `policy` and returns the shapes it would not let through. */
export function replay(policy: SeccompPolicy, log: string): ReplayResult {
  let r: ReturnType<typeof readEvents>;
  try { r = readEvents(log); } catch (e) { fail('TSS_EPOLICY', 'replay', log, (e as Error).message); }
  const shapes = new Map<string, { d: Omit<ReplayDenial, 'count'>; count: number }>();
  let checked = 0, unknown = 0, alreadyDenied = 0;
  for (const e of r.events) {
    if (e.event !== 'syscall') continue;
    const arch = (ARCHES.has(e.syscall.arch as Arch) ? e.syscall.arch : hostArch()) as Arch;
    const raw = e.syscall.args ?? [];
    const args = raw.map(argOf);
    // a call the recording profile already refused is not news: counted apart, not a failure
    if (e.decision.action === 'deny' || e.decision.action === 'kill') { alreadyDenied++; continue; }
    checked++;
    let v: ReturnType<typeof explain>;
    try { v = explain(policy, e.syscall.name, args.map((a) => a ?? 0n), arch); } catch { unknown++; continue; }
    if (PASSES.has(v.verdict.action.kind)) continue;
    // an argument-checked rule decided while an argument it compares was unknown
    const guessed = v.verdict.rule !== undefined && v.verdict.rule.when.kind !== 'any' && (raw.length < 6 || args.some((a) => a === undefined));
    const key = `${arch}\0${e.syscall.name}\0${args.map(String).join(',')}`;
    const prev = shapes.get(key);
    if (prev) { prev.count++; continue; }
    const why = v.text.slice(v.text.indexOf(' — ') + 3);
    shapes.set(key, { count: 1, d: { syscall: e.syscall.name, arch, args: args.map((a) => a ?? 0n), action: formatAction(v.verdict.action), why, seq: e.seq, guessedArgs: guessed } });
  }
  if (checked === 0 && alreadyDenied === 0) fail('TSS_EPOLICY', 'replay', log, 'no syscall events in the log');
  return { checked, unknown, alreadyDenied, malformed: r.malformed, denials: [...shapes.values()].map((s) => ({ ...s.d, count: s.count })) };
}

export function formatDenial(d: ReplayDenial): string {
  const args = d.args.length ? `(${d.args.map((a) => (a > 1024n ? `0x${a.toString(16)}` : String(a))).join(', ')})` : '';
  return `would deny ${d.syscall}${args} on ${d.arch}: ${d.action} — ${d.why}; ${d.count}× from seq ${d.seq}${d.guessedArgs ? ' (an argument the rule checks was not recorded: taken as 0)' : ''}`;
}
