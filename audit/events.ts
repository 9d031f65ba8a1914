// audit/events.ts — the audit event schema: one NDJSON line per event, a union keyed by `event` (everywhere, pure)
//
// The fields follow DESIGN §5. Every line carries the chain fields (v, time, seq, prev, optional
// hmac) and the container's id, so lines from several logs can be merged and still be told apart.
// What a supervisor reads from a process (paths, argv, sockaddrs) is what was *requested*, not
// necessarily what ran: another thread may rewrite the memory after it was read. Field docs say so.
//
// The writer imports only the types of this file: zod stays off the supervisor's hot path; the
// schema is checked where logs are read (verify, review, learn) and in tests.
import { z } from 'zod';

/** the format version of a line; a reader refuses a version it does not know */
export const AUDIT_VERSION = 1 as const;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits');
const int = z.number().int();

export const ContainerRef = z.object({
  id: z.string().min(1),
  name: z.string().optional(),
  image: z.string().optional(),
  /** the image id or manifest digest the container was created from */
  imageDigest: z.string().optional(),
  profile: z.string().optional(),
  /** sha256 of the compiled seccomp program and supervisor rules in force */
  policyDigest: z.string().optional(),
});

export const Proc = z.object({
  /** host pid (as the supervisor sees it) */
  pid: int,
  /** pid inside the container's pid namespace */
  nsPid: int.optional(),
  tid: int.optional(),
  comm: z.string().optional(),
  exe: z.string().optional(),
  /** argv as requested by execve: read from the caller's memory, not proof of what ran */
  argv: z.array(z.string()).optional(),
  cwd: z.string().optional(),
  uid: int.optional(),
  gid: int.optional(),
});

/** a decoded argument: numbers, flag names, or strings; raw pointers should not be put here (they defeat rate limiting) */
const Arg = z.union([z.number(), z.string(), z.boolean(), z.null()]);

export const Syscall = z.object({
  nr: int,
  name: z.string().min(1),
  /** audit arch name: x86_64, aarch64, i386 … */
  arch: z.string().min(1),
  args: z.array(Arg).max(6).optional(),
  ret: z.number().optional(),
  /** errno name the call was answered with (EPERM …) or its number */
  errno: z.union([z.string(), int]).optional(),
});

export const DECISION_ACTIONS = ['allow', 'observe', 'emulate', 'deny', 'kill', 'trace'] as const;

export const Decision = z.object({
  /** observe = recorded then CONTINUE: audit only, never a security decision */
  action: z.enum(DECISION_ACTIONS),
  /** the rule that decided, as file:line of its profile, or a built-in name */
  rule: z.string().optional(),
  /** where the rule came from: the profile name, a flag, the default action */
  source: z.string().optional(),
  /** the enforcement layer: seccomp, notify, ptrace, landlock … */
  layer: z.string().optional(),
});

export const Resource = z.object({
  /** the path as requested (for emulated opens: as resolved in the container's root) */
  path: z.string().optional(),
  /** a peer address as requested: "inet:127.0.0.1:80", "inet6:[::1]:80", "unix:/run/x.sock" */
  sockaddr: z.string().optional(),
});

export const DroppedShape = z.object({
  syscall: z.string(),
  action: z.string(),
  rule: z.string().optional(),
  count: int.positive(),
});

export const Dropped = z.object({
  /** lines dropped since the previous `dropped` line */
  total: int.positive(),
  /** the window the drops fell in (ISO times of the first and last dropped line) */
  from: z.string(),
  to: z.string(),
  shapes: z.array(DroppedShape),
});

const chain = {
  v: z.literal(AUDIT_VERSION),
  /** ISO 8601 time the line was written */
  time: z.string().min(1),
  /** 1 for the first line of a log, then +1 per line */
  seq: int.positive(),
  /** sha256 (hex) of the previous line's bytes (without its newline); the first line's is the log's genesis hash */
  prev: hex64,
  container: ContainerRef,
  /** HMAC-SHA256 (hex) of this line without this field, when the log is keyed; always last on the line */
  hmac: hex64.optional(),
};

/** an exec session's id: `exec.started` names it, and every syscall line of its processes carries it */
const execId = z.string().regex(/^[0-9a-f]{16}$/, 'expected 16 lowercase hex digits');

export const SyscallEvent = z.object({
  ...chain,
  event: z.literal('syscall'),
  proc: Proc,
  syscall: Syscall,
  decision: Decision,
  resource: Resource.optional(),
  /** the exec session (`tssandbox exec`) the process belongs to; absent for the container's own processes */
  exec: execId.optional(),
});

export const DroppedEvent = z.object({ ...chain, event: z.literal('dropped'), dropped: Dropped });

export const CreatedEvent = z.object({ ...chain, event: z.literal('created'), proc: Proc.partial().optional() });
export const StartedEvent = z.object({ ...chain, event: z.literal('started'), proc: Proc.optional() });
export const ExitedEvent = z.object({
  ...chain,
  event: z.literal('exited'),
  exited: z.object({
    code: int.nullable(),
    /** signal name (SIGKILL) when the payload was killed */
    signal: z.string().nullable(),
    oom: z.boolean(),
    /** milliseconds from started to exited */
    duration: z.number().nonnegative(),
  }),
});
export const PolicyCompiledEvent = z.object({
  ...chain,
  event: z.literal('policy.compiled'),
  policy: z.object({
    profile: z.string(),
    digest: z.string(),
    /** BPF instructions of the filter */
    instructions: int.nonnegative().optional(),
    /** syscalls routed to the supervisor */
    notify: z.array(z.string()).optional(),
  }),
});
export const ImageScannedEvent = z.object({
  ...chain,
  event: z.literal('image.scanned'),
  scan: z.object({
    image: z.string(),
    /** findings per severity */
    findings: z.record(z.string(), int.nonnegative()),
    /** what --scan did: off, warn, enforce-passed, enforce-refused */
    verdict: z.string().optional(),
  }),
});

/** `tssandbox exec` joined the container: argv, user and terminal as the host's CLI asked (not read from the container) */
export const ExecStartedEvent = z.object({
  ...chain,
  event: z.literal('exec.started'),
  exec: z.object({
    id: execId,
    argv: z.array(z.string()).min(1),
    /** -u as given (USER[:GROUP] or UID[:GID]); absent: the container's own user */
    user: z.string().optional(),
    tty: z.boolean().optional(),
    /** host pid of the exec'd process (as the supervisor sees it) */
    pid: int.optional(),
  }),
});
export const ExecExitedEvent = z.object({
  ...chain,
  event: z.literal('exec.exited'),
  exec: z.object({
    id: execId,
    /** null when it was killed by a signal, or when its exit was never reported */
    code: int.nullable(),
    signal: z.string().nullable(),
    /** milliseconds from exec.started */
    duration: z.number().nonnegative(),
    /** why no code was reported: the exec's CLI went away, the container exited first */
    reason: z.string().optional(),
  }),
});

export const AuditEvent = z.discriminatedUnion('event', [
  SyscallEvent, DroppedEvent, CreatedEvent, StartedEvent, ExitedEvent, PolicyCompiledEvent, ImageScannedEvent, ExecStartedEvent, ExecExitedEvent,
]);

export type AuditEvent = z.infer<typeof AuditEvent>;
export type EventKind = AuditEvent['event'];
export type SyscallEvent = z.infer<typeof SyscallEvent>;
export type DroppedEvent = z.infer<typeof DroppedEvent>;
export type ContainerRef = z.infer<typeof ContainerRef>;
export type Proc = z.infer<typeof Proc>;
export type Decision = z.infer<typeof Decision>;

export const EVENT_KINDS: readonly EventKind[] = ['syscall', 'dropped', 'created', 'started', 'exited', 'policy.compiled', 'image.scanned', 'exec.started', 'exec.exited'];

/** the chain fields the writer fills in */
type ChainKeys = 'v' | 'time' | 'seq' | 'prev' | 'hmac' | 'container';
type Omit2<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** EventInput is what a caller hands the writer: an event without its chain fields (container optional: the writer's own is used). */
export type EventInput = Omit2<AuditEvent, ChainKeys> & { readonly container?: ContainerRef; readonly time?: string };
/** SyscallInput is what the supervisor hands the writer for one notification */
export type SyscallInput = Extract<EventInput, { event: 'syscall' }>;

/** parseEvent checks one parsed JSON value against the schema; the message names the first bad field. */
export function parseEvent(value: unknown): { ok: true; event: AuditEvent } | { ok: false; reason: string } {
  const r = AuditEvent.safeParse(value);
  if (r.success) return { ok: true, event: r.data };
  const issue = r.error.issues[0]!;
  const where = issue.path.length ? issue.path.join('.') : 'line';
  return { ok: false, reason: `${where}: ${issue.message}` };
}
