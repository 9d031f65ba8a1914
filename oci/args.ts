// oci/args.ts — runc-style argv: global flags, the verb, its flags and operands (OCI front end, pure)
//
// Not commander: runc's callers (conmon, go-runc in the containerd shim, CRI-O) speak urfave/cli,
// which takes `--flag value`, `--flag=value` and the single-dash `-flag` alike, and they pass flags
// we may not know yet (`--no-new-keyring`, `--preserve-fds`): those are accepted, not fatal.

/** flags that take a value (global and per verb); every other flag is a boolean */
const VALUED = new Set([
  'root', 'log', 'log-format', 'criu', 'rootless',
  'bundle', 'b', 'pid-file', 'console-socket', 'preserve-fds', 'process', 'p', 'cwd', 'env', 'e', 'user', 'u',
  'format', 'interval', 'additional-gids', 'g', 'process-label', 'apparmor', 'cap', 'c',
  'memory', 'cpu-quota', 'cpu-period', 'cpuset-cpus', 'pids-limit', 'r', 'resources',
  'memory-swap', 'memory-reservation', 'kernel-memory', 'kernel-memory-tcp', 'cpu-share', 'cpu-shares', 'cpuset-mems',
  'cpu-rt-period', 'cpu-rt-runtime', 'blkio-weight', 'l3-cache-schema', 'mem-bw-schema',
]);

export interface OciArgs {
  readonly globals: ReadonlyMap<string, string | true>;
  readonly verb: string | undefined;
  readonly flags: ReadonlyMap<string, string | true>;
  /** repeated flags (exec --env) in order */
  readonly multi: ReadonlyMap<string, readonly string[]>;
  readonly operands: readonly string[];
}

/** parseOciArgs reads argv without the node and script entries. */
export function parseOciArgs(args: readonly string[]): OciArgs {
  const globals = new Map<string, string | true>();
  const flags = new Map<string, string | true>();
  const multi = new Map<string, string[]>();
  const operands: string[] = [];
  let verb: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') { operands.push(...args.slice(i + 1)); break; }
    // after the container id, everything is the command (runc exec ID CMD...)
    if (verb !== undefined && operands.length > 0 && verb === 'exec') { operands.push(a); continue; }
    if (a.startsWith('-') && a.length > 1) {
      const body = a.replace(/^--?/, '');
      const eq = body.indexOf('=');
      const name = eq >= 0 ? body.slice(0, eq) : body;
      let value: string | true = true;
      if (eq >= 0) value = body.slice(eq + 1);
      else if (VALUED.has(name) && i + 1 < args.length) value = args[++i]!;
      const into = verb === undefined ? globals : flags;
      into.set(name, value);
      if (typeof value === 'string') multi.set(name, [...(multi.get(name) ?? []), value]);
      continue;
    }
    if (verb === undefined) verb = a; else operands.push(a);
  }
  return { globals, verb, flags, multi, operands };
}

/** flag: the value of the first of these names present (long and short spellings) */
export function flag(m: ReadonlyMap<string, string | true>, ...names: string[]): string | undefined {
  for (const n of names) { const v = m.get(n); if (typeof v === 'string') return v; }
  return undefined;
}

export function has(m: ReadonlyMap<string, string | true>, ...names: string[]): boolean {
  return names.some((n) => m.has(n) && m.get(n) !== 'false');
}
