// sandbox/notify/rules.ts — a profile's supervisor section turned into notify rules, and the table the supervisor answers from (parent, pure)
//
// The filter decides what it can by itself; only the audited syscall families and the denials worth
// recording are routed to the supervisor (SECCOMP_RET_USER_NOTIF). Families are whole (execve AND
// execveat; open, openat, openat2 AND creat), so a libc fallback after ENOSYS cannot slip past.
// Everything else keeps its constant action, so the kernel's action bitmap still covers it.
//
// The supervisor never re-decides a syscall from memory it read: an `observe` entry is answered
// CONTINUE (the filter had allowed it anyway), a `deny` entry with the errno the profile gave it. An
// `emulate` entry (a profile's supervisor rule) is never answered CONTINUE: the supervisor does the
// call itself on the copy it read (sandbox/notify/emulate.ts) or refuses it.
import type { Action, ArgMatcher, Predicate, SeccompPolicy, SeccompRule } from '../../policy/seccomp/types.js';
import type { EmulateRule, SupervisorRules } from '../../policy/types.js';

/** Bump when the rewrite changes, so cached supervised filters are not reused. */
export const NOTIFY_RULES_VERSION = 2;

/** Audited families: the profile's names (policy/schema.ts) → the syscalls of each family. */
export const FAMILIES: Readonly<Record<string, readonly string[]>> = {
  execve: ['execve', 'execveat'],
  connect: ['connect'],
  bind: ['bind'],
  'open-write': ['open', 'openat', 'openat2', 'creat'],
};

/** O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND (same values on x86_64 and aarch64): an open that can write. */
export const OPEN_WRITE_MASK = 0x1 | 0x2 | 0x40 | 0x200 | 0x400;
/** where the flags argument of an open-family call sits; openat2 keeps them in memory (open_how), creat always writes */
const OPEN_FLAGS_ARG: Readonly<Record<string, number>> = { open: 1, openat: 2 };

/**
 * Never notified, even when every syscall is recorded: the launcher's child hands the listener over
 * with sendmsg right after installing the filter, before anyone can answer a notification.
 */
export const NEVER_NOTIFIED = new Set(['sendmsg']);

/** errnos that are compatibility answers libc probes for (not attempts worth a line): ENOSYS, EAFNOSUPPORT */
const PROBE_ERRNOS = new Set([38, 97]);

/** NotifyEntry: what the supervisor does for one notify rule of the rewritten policy. */
export interface NotifyEntry {
  /** index of the rule in the rewritten policy */
  readonly rule: number;
  readonly syscall: string;
  /** observe = record then CONTINUE (audit only); deny = record durably, then answer errno;
   * emulate = done by the supervisor's helper on the copy it read, recorded, then answered with the fd */
  readonly kind: 'observe' | 'deny' | 'emulate';
  readonly errno?: number;
  /** the audited family (execve, connect, bind, open-write), 'denied' or 'emulate' */
  readonly family: string;
  /** emulate: the index of the profile's emulate rule (its paths travel in NotifyTable.emulate) */
  readonly emulate?: number;
  /** file:line of the profile rule */
  readonly source?: string;
}

export interface NotifyTable {
  readonly entries: readonly NotifyEntry[];
  /** syscall name → indexes into entries, in rule order */
  readonly bySyscall: Readonly<Record<string, readonly number[]>>;
  /** the profile's emulate rules, indexed by NotifyEntry.emulate */
  readonly emulate?: readonly EmulateRule[];
}

export interface Supervised {
  readonly policy: SeccompPolicy;
  readonly table: NotifyTable;
}

const NOTIFY: Action = { kind: 'notify' };

function familyOf(syscall: string, audited: ReadonlySet<string>): string | undefined {
  for (const [fam, calls] of Object.entries(FAMILIES)) if (audited.has(fam) && calls.includes(syscall)) return fam;
  return undefined;
}

/** readOnlyOpen: the rule's predicate AND "no write flag set" on the flags argument */
function readOnlyOpen(r: SeccompRule, argIndex: number): Predicate {
  const args: (ArgMatcher | null)[] = [];
  for (let i = 0; i < argIndex; i++) args.push(null);
  args.push({ op: 'maskedEq', mask: String(OPEN_WRITE_MASK), value: '0' });
  const ro: Predicate = { kind: 'perArg', args };
  return r.when.kind === 'any' ? ro : { kind: 'and', of: [r.when, ro] };
}

/**
 * superviseePolicy rewrites a policy for a supervised run: allow rules of the audited families
 * become notify (open/openat only when a write flag is set), and EPERM rules become notify answered
 * with EPERM (the "denials worth recording"). Returns the policy and the supervisor's table.
 * With mode off it returns the policy unchanged and an empty table.
 */
export function superviseePolicy(policy: SeccompPolicy, sup: SupervisorRules): Supervised {
  const empty: Supervised = { policy, table: { entries: [], bySyscall: {} } };
  if (sup.mode !== 'notify') return empty;
  const audited = new Set(sup.audit);
  const all = sup.recordAll; // the learn profile: every syscall a rule names is recorded
  const emulated = new Map<string, number>();
  (sup.emulate ?? []).forEach((e, i) => { for (const s of e.syscalls) emulated.set(s, i); });
  const recordDenied = true; // DESIGN §5: a supervised profile always records its EPERM denials
  const rules: SeccompRule[] = [];
  const entries: NotifyEntry[] = [];
  const add = (r: SeccompRule, e: Omit<NotifyEntry, 'rule' | 'syscall' | 'source'>) => {
    entries.push({ rule: rules.length, syscall: r.syscall, ...e, ...(r.source ? { source: r.source } : {}) });
    rules.push({ ...r, action: NOTIFY });
  };
  for (const r of policy.rules) {
    if (NEVER_NOTIFIED.has(r.syscall)) { rules.push(r); continue; }
    const fam = familyOf(r.syscall, audited) ?? (all ? 'all' : undefined);
    const emu = emulated.get(r.syscall);
    if (r.action.kind === 'allow' && emu !== undefined) {
      // every call the filter allowed, reads too: the emulate rule decides it, and names itself
      add(r, { kind: 'emulate', family: 'emulate', emulate: emu });
      entries[entries.length - 1] = { ...entries[entries.length - 1]!, source: sup.emulate![emu]!.source };
    } else if (r.action.kind === 'allow' && fam) {
      const argIndex = fam === 'open-write' ? OPEN_FLAGS_ARG[r.syscall] : undefined;
      // reads stay in the filter: only an open that can write is routed to the supervisor
      if (argIndex !== undefined) rules.push({ ...r, when: readOnlyOpen(r, argIndex) });
      add(r, { kind: 'observe', family: fam });
    } else if (r.action.kind === 'errno' && recordDenied && (all || !PROBE_ERRNOS.has(r.action.errno)) && r.action.errno !== 0) {
      add(r, { kind: 'deny', errno: r.action.errno, family: 'denied' });
    } else {
      rules.push(r);
    }
  }
  const bySyscall: Record<string, number[]> = {};
  entries.forEach((e, i) => { (bySyscall[e.syscall] ??= []).push(i); });
  return { policy: { ...policy, name: `${policy.name}+notify`, rules }, table: { entries, bySyscall, ...(sup.emulate?.length ? { emulate: sup.emulate } : {}) } };
}

/** notifiedSyscalls: the names routed to the supervisor (for the policy.compiled event) */
export function notifiedSyscalls(t: NotifyTable): string[] {
  return Object.keys(t.bySyscall).sort();
}
