// policy/seccomp/types.ts — the seccomp rule vocabulary: actions, argument matchers, predicates, policies (everywhere, types)
//
// A SeccompPolicy is plain, JSON-serialisable data (numbers as decimal strings, so 64-bit values
// survive and a Profile can be written to state and logs). The compiler and the evaluator are the
// two consumers; a differential test holds them to the same meaning.
import type { Arch } from '../../abi/index.js';

export type Action =
  | { readonly kind: 'allow' }
  | { readonly kind: 'errno'; readonly errno: number }
  | { readonly kind: 'kill_process' }
  | { readonly kind: 'kill_thread' }
  | { readonly kind: 'trap'; readonly data?: number }
  | { readonly kind: 'log' }
  | { readonly kind: 'trace'; readonly data?: number }
  | { readonly kind: 'notify' };

export type CmpOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

/**
 * ArgMatcher tests one syscall argument. Values are decimal strings of integers (may be negative);
 * they are reduced to the argument's width (32 bits for int/unsigned int, and everything on i386),
 * and lt/le/gt/ge compare with the argument's signedness.
 */
export type ArgMatcher =
  | { readonly op: 'any' }
  | { readonly op: CmpOp; readonly value: string }
  /** (arg & mask) == value */
  | { readonly op: 'maskedEq'; readonly mask: string; readonly value: string }
  /** (arg & ~mask) == 0: only bits inside mask may be set */
  | { readonly op: 'bitsAllowed'; readonly mask: string };

export type Predicate =
  | { readonly kind: 'any' }
  /** every listed argument matches; args[i] undefined or {op:'any'} means any value */
  | { readonly kind: 'perArg'; readonly args: readonly (ArgMatcher | null)[] }
  | { readonly kind: 'and'; readonly of: readonly Predicate[] }
  | { readonly kind: 'or'; readonly of: readonly Predicate[] };

export interface SeccompRule {
  readonly syscall: string;
  readonly action: Action;
  readonly when: Predicate;
  /** only on these ABIs; absent = every ABI the policy handles */
  readonly arches?: readonly Arch[];
  /** "file:line" of the profile rule this came from */
  readonly source?: string;
}

/**
 * SeccompPolicy: for a syscall, the first rule (in order) whose predicate matches decides;
 * otherwise defaultAction. A syscall number above the highest known one of its ABI gets
 * ERRNO(ENOSYS) so libc fallbacks work. An ABI not listed in `arches` (and the x32 bit on x86_64
 * when x32 is not listed) gets foreignAction.
 */
export interface SeccompPolicy {
  readonly name: string;
  readonly defaultAction: Action;
  /** ABIs handled besides foreignAction: normally the host's, plus i386/x32 only when asked for */
  readonly arches: readonly Arch[];
  readonly foreignAction: Action;
  readonly rules: readonly SeccompRule[];
  /** "file:line" of the default action */
  readonly source?: string;
}

/** SeccompData mirrors struct seccomp_data: nr (u32 view of the int), arch, args as u64. */
export interface SeccompData {
  readonly nr: number;
  readonly arch: number;
  readonly instructionPointer?: bigint;
  readonly args: readonly bigint[];
}
