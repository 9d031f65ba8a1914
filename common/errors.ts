// common/errors.ts — the one error type of tssandbox and its registry of codes (everywhere, pure)
//
// Every failure a user can see is a SandboxError: a code from ERROR_CODES, a one-line message of the
// shape "<action> `<thing>`: <reason>", and the underlying cause. docs/errors.md documents every
// code; test/common/errors.test.ts fails when one is missing there.

export const ERROR_CODES = {
  TSS_EUSAGE: 'a command-line flag or argument is malformed',
  TSS_EPROFILE: 'a security profile is malformed or refers to something unknown',
  TSS_EPOLICY: 'a seccomp policy cannot be compiled or simulated',
  TSS_EREFUSED: 'a request would loosen the profile beyond what it allows',
  TSS_EIMAGE: 'an image reference is unknown or an image is malformed',
  TSS_EARCHIVE: 'an archive is malformed, corrupted or hostile',
  TSS_ESTORE: 'the image store cannot be read or written',
  TSS_ELAUNCH: 'the native launcher failed at a named setup step',
  TSS_ECGROUP: 'a cgroup cannot be created, configured or removed',
  TSS_ECONTAINER: 'a container is unknown or in the wrong state for the command',
  TSS_ENATIVE: 'a native part of tssandbox is missing or failed to build',
  TSS_EKERNEL: 'the kernel lacks a feature this request needs',
  TSS_EAUDIT: 'an audit log cannot be written, read or verified',
  TSS_ESCAN: 'an image scan failed or found what the threshold refuses',
  TSS_ESELFTEST: 'the escape battery could not run, or its probe printed malformed output',
  TSS_ENETWORK: 'a network (lab network, published port, namespace) cannot be set up, used or removed',
  TSS_EINTERNAL: 'a bug in tssandbox: please report it',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class SandboxError extends Error {
  readonly code: ErrorCode;
  /** Exit status the CLI uses for this error (125 for run/exec failures by default). */
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, opts: { cause?: unknown; exitCode?: number } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SandboxError';
    this.code = code;
    this.exitCode = opts.exitCode ?? 125;
  }
}

/** fail throws a SandboxError: `fail('TSS_EIMAGE', 'run', ref, 'no such image')`. */
export function fail(code: ErrorCode, action: string, thing: string, reason: string, cause?: unknown): never {
  throw new SandboxError(code, `${action} \`${thing}\`: ${reason}`, { cause });
}

/** errnoName renders a Node system error's code (ENOENT …) or its message when it has none. */
export function errnoReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string') return e.code;
  return e instanceof Error ? e.message : String(err);
}
