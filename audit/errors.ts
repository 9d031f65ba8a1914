// audit/errors.ts — the audit module's own error (everywhere, pure)
//
// audit/ depends on nothing else of tssandbox (STYLE), so it cannot throw SandboxError; the CLI
// turns an AuditError into TSS_EAUDIT. The message has the house shape "<action> `<thing>`: <reason>".
export class AuditError extends Error {
  readonly action: string;
  readonly thing: string;
  readonly reason: string;

  constructor(action: string, thing: string, reason: string, cause?: unknown) {
    super(`${action} \`${thing}\`: ${reason}`, cause === undefined ? undefined : { cause });
    this.name = 'AuditError';
    this.action = action;
    this.thing = thing;
    this.reason = reason;
  }
}

/** errnoReason renders a Node system error's code (ENOENT …) or its message. */
export function errnoReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string') return e.code;
  return e instanceof Error ? e.message : String(err);
}
