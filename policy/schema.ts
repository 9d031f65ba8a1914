// policy/schema.ts — the zod schema of a profile file as written (before `extends` and name resolution) (everywhere, pure)
//
// Every object is strict: a misspelt field is an error with its line, never silently ignored.
import { z } from 'zod';

const scalar = z.union([z.number(), z.string()]);
/** an argument condition: a value, a list (any of), or an object of operators (all of) */
const argOps = z.strictObject({
  eq: scalar.optional(), ne: scalar.optional(), lt: scalar.optional(), le: scalar.optional(),
  gt: scalar.optional(), ge: scalar.optional(),
  maskedEq: z.tuple([scalar, scalar]).optional(),
  bitsAllowed: scalar.optional(),
  bitsSet: scalar.optional(),
  bitsClear: scalar.optional(),
  in: z.array(scalar).min(1).optional(),
  notIn: z.array(scalar).min(1).optional(),
});
export const argCondSchema = z.union([scalar, z.array(z.union([scalar, argOps])).min(1), argOps]);
export type RawArgCond = z.infer<typeof argCondSchema>;

const archName = z.enum(['x86_64', 'i386', 'x32', 'aarch64']);

export const ruleSchema = z.strictObject({
  action: z.string(),
  syscalls: z.union([z.string(), z.array(z.string()).min(1)]),
  /** by argument name (`domain`) or index (`0`) */
  args: z.record(z.string(), argCondSchema).optional(),
  arches: z.array(archName).min(1).optional(),
  /** a profile extending this one may not add rules with another action for these syscalls */
  final: z.boolean().optional(),
  comment: z.string().optional(),
});
export type RawRule = z.infer<typeof ruleSchema>;

export const seccompSchema = z.strictObject({
  defaultAction: z.string().optional(),
  foreignAction: z.string().optional(),
  arches: z.array(archName).min(1).optional(),
  groups: z.record(z.string().regex(/^[a-z0-9_-]+$/, 'group names are lowercase letters, digits, - and _'), z.array(z.string()).min(1)).optional(),
  rules: z.array(ruleSchema).max(2000).optional(),
  perArch: z.partialRecord(archName, z.array(ruleSchema)).optional(),
});
export type RawSeccomp = z.infer<typeof seccompSchema>;

const size = z.union([z.number().int().positive(), z.string().regex(/^\d+(\.\d+)?[kKmMgGtT]?[bB]?$/, 'a size like 512M')]);
const rlimit = z.union([
  z.number().int().min(-1), z.literal('unlimited'),
  z.strictObject({ soft: z.union([z.number().int().min(-1), z.literal('unlimited')]), hard: z.union([z.number().int().min(-1), z.literal('unlimited')]) }),
]);
const absPath = z.string().regex(/^\/[^\0]*$/, 'an absolute path');

/** a supervisor rule: `emulate` opens on the container's behalf, refusing (or allowing only) paths */
export const emulateRuleSchema = z.strictObject({
  action: z.literal('emulate'),
  syscalls: z.union([z.string(), z.array(z.string()).min(1)]),
  denyPaths: z.array(absPath).min(1).max(256).optional(),
  allowPaths: z.array(absPath).min(1).max(256).optional(),
  /** the answer for a refused path (default EACCES) */
  errno: z.string().optional(),
  comment: z.string().optional(),
});
export type RawEmulateRule = z.infer<typeof emulateRuleSchema>;

export const profileSchema = z.strictObject({
  extends: z.string().min(1).optional(),
  description: z.string().optional(),
  warn: z.string().optional(),
  capabilities: z.array(z.string()).optional(),
  noNewPrivileges: z.boolean().optional(),
  rootfs: z.strictObject({ readOnly: z.boolean() }).optional(),
  tmpfs: z.array(z.strictObject({ path: absPath, options: z.string() })).optional(),
  maskedPaths: z.array(absPath).optional(),
  readonlyPaths: z.array(absPath).optional(),
  devices: z.array(z.enum(['null', 'zero', 'full', 'random', 'urandom', 'tty', 'pts', 'ptmx', 'shm'])).optional(),
  rlimits: z.partialRecord(z.enum(['as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack']), rlimit).optional(),
  limits: z.strictObject({
    memory: size.optional(), memorySwap: size.optional(),
    pids: z.number().int().positive().optional(), cpus: z.number().positive().max(1024).optional(),
  }).optional(),
  network: z.enum(['none', 'host', 'lab']).optional(),
  /** traffic beyond a lab network: none, all, or destinations CIDR[:PORT[/tcp|udp]] (policy/egress.ts) */
  egress: z.union([z.enum(['none', 'all']), z.array(z.string()).max(256)]).optional(),
  loosen: z.strictObject({
    networkHost: z.boolean().optional(), networkLab: z.boolean().optional(),
    capAdd: z.array(z.string()).optional(), readWrite: z.boolean().optional(),
    seccompOverride: z.boolean().optional(), raiseLimits: z.boolean().optional(),
  }).optional(),
  supervisor: z.strictObject({
    mode: z.enum(['off', 'notify']).optional(),
    audit: z.array(z.enum(['execve', 'connect', 'bind', 'open-write', 'denied'])).optional(),
    recordAll: z.boolean().optional(),
    /** rules the supervisor itself decides, on a copy it read once (policy/emulate.ts) */
    rules: z.array(emulateRuleSchema).max(64).optional(),
  }).optional(),
  seccomp: z.union([z.null(), seccompSchema]).optional(),
});
export type RawProfile = z.infer<typeof profileSchema>;
