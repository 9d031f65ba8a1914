// audit/review.ts — read, filter and summarise audit logs for people: summary counts, show rows (CLI, reads logs)
//
// Review does not verify: a reviewer runs `audit verify` for that. It reads what it can and counts
// the lines it could not parse, so a damaged log can still be looked at.
import { eachLine } from './lines.js';
import { parseEvent, type AuditEvent, type SyscallEvent } from './events.js';
import { AuditError, errnoReason } from './errors.js';

export interface EventFilter {
  /** syscall names (a line of another kind never matches when set) */
  readonly syscall?: readonly string[];
  /** decision actions: deny, observe, emulate … */
  readonly decision?: readonly string[];
  /** event kinds */
  readonly event?: readonly string[];
  /** ms since the epoch: lines written before are left out */
  readonly since?: number;
  /** a container id, id prefix or name */
  readonly container?: string;
  /** an exec session's id (or a prefix): its exec.started/exec.exited and its processes' syscall lines */
  readonly exec?: string;
}

/** readEvents parses every line that is an audit event; the others are counted as malformed. */
export function readEvents(path: string, filter: EventFilter = {}): { events: AuditEvent[]; malformed: number } {
  const events: AuditEvent[] = [];
  let malformed = 0;
  const names = new Map<string, string>();
  try {
    eachLine(path, ({ bytes, terminated }) => {
      const e = parseLine(bytes.toString('utf8'));
      if (!e || !terminated) { malformed++; return; }
      if (e.container.name) names.set(e.container.id, e.container.name);
      if (matches(e, filter, names)) events.push(e);
    });
  } catch (err) {
    throw new AuditError('read audit log', path, errnoReason(err), err);
  }
  return { events, malformed };
}

/** parseLine: the event on one line, or null */
export function parseLine(text: string): AuditEvent | null {
  let v: unknown;
  try { v = JSON.parse(text); } catch { return null; }
  const r = parseEvent(v);
  return r.ok ? r.event : null;
}

/** matches says whether an event passes the filter; names maps container ids to the names seen so far. */
export function matches(e: AuditEvent, f: EventFilter, names: ReadonlyMap<string, string> = new Map()): boolean {
  if (f.event?.length && !f.event.includes(e.event)) return false;
  if (f.syscall?.length && !(e.event === 'syscall' && f.syscall.includes(e.syscall.name))) return false;
  if (f.decision?.length && !(e.event === 'syscall' && f.decision.includes(e.decision.action))) return false;
  if (f.since !== undefined && !(Date.parse(e.time) >= f.since)) return false;
  if (f.exec !== undefined) {
    const id = e.event === 'syscall' ? e.exec : e.event === 'exec.started' || e.event === 'exec.exited' ? e.exec.id : undefined;
    if (!id?.startsWith(f.exec)) return false;
  }
  if (f.container) {
    const c = f.container;
    const name = e.container.name ?? names.get(e.container.id);
    if (!(e.container.id.startsWith(c) || name === c)) return false;
  }
  return true;
}

/** parseSince takes an ISO time or a duration ago (30s, 10m, 2h, 1d) and returns ms since the epoch; null when neither. */
export function parseSince(s: string, now = Date.now()): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(s.trim());
  if (m) return now - Number(m[1]) * { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}

export interface Summary {
  readonly lines: number;
  readonly malformed: number;
  readonly first?: string;
  readonly last?: string;
  readonly containers: { id: string; name?: string; image?: string; profile?: string }[];
  readonly byEvent: Record<string, number>;
  readonly bySyscall: Record<string, number>;
  readonly byDecision: Record<string, number>;
  readonly byRule: Record<string, number>;
  /** lines the rate limiter dropped (from `dropped` lines) */
  readonly dropped: number;
  readonly topDenied: { syscall: string; resource?: string; rule?: string; count: number }[];
  readonly topPaths: { path: string; count: number }[];
  readonly peers: { sockaddr: string; count: number }[];
  readonly processes: { pid: number; comm?: string; exe?: string; argv?: string[] }[];
  readonly exited?: { code: number | null; signal: string | null; oom: boolean; duration: number };
  /** exec sessions in order of their exec.started: argv, how they ended, how many syscall lines their processes have */
  readonly execs: { id: string; argv: string[]; code?: number | null; signal?: string | null; syscalls: number }[];
}

const bump = (o: Record<string, number>, k: string, n = 1): void => { o[k] = (o[k] ?? 0) + n; };
const top = <T>(m: Map<string, T & { count: number }>, n: number): (T & { count: number })[] =>
  [...m.values()].sort((a, b) => b.count - a.count).slice(0, n);

/** summarize counts events by kind, syscall, decision and rule, and lists denials, paths, peers and processes. */
export function summarize(events: readonly AuditEvent[], malformed = 0, topN = 10): Summary {
  const byEvent: Record<string, number> = {}, bySyscall: Record<string, number> = {}, byDecision: Record<string, number> = {}, byRule: Record<string, number> = {};
  const denied = new Map<string, { syscall: string; resource?: string; rule?: string; count: number }>();
  const paths = new Map<string, { path: string; count: number }>();
  const peers = new Map<string, { sockaddr: string; count: number }>();
  const procs = new Map<number, { pid: number; comm?: string; exe?: string; argv?: string[] }>();
  const containers = new Map<string, { id: string; name?: string; image?: string; profile?: string }>();
  let dropped = 0;
  let exited: Summary['exited'];
  const execs = new Map<string, Summary['execs'][number]>();
  const execOf = (id: string) => execs.get(id) ?? execs.set(id, { id, argv: [], syscalls: 0 }).get(id)!;
  for (const e of events) {
    bump(byEvent, e.event);
    const c = containers.get(e.container.id) ?? { id: e.container.id };
    for (const k of ['name', 'image', 'profile'] as const) if (e.container[k]) c[k] = e.container[k];
    containers.set(c.id, c);
    if (e.event === 'dropped') { dropped += e.dropped.total; continue; }
    if (e.event === 'exited') { exited = e.exited; continue; }
    if (e.event === 'exec.started') { execOf(e.exec.id).argv = e.exec.argv; continue; }
    if (e.event === 'exec.exited') { Object.assign(execOf(e.exec.id), { code: e.exec.code, signal: e.exec.signal }); continue; }
    if (e.event === 'syscall' && e.exec) execOf(e.exec).syscalls++;
    if (e.event !== 'syscall' && e.event !== 'started') continue;
    if (e.proc) {
      const p = procs.get(e.proc.pid) ?? { pid: e.proc.pid };
      if (e.proc.comm) p.comm = e.proc.comm;
      if (e.proc.exe) p.exe = e.proc.exe;
      if (e.proc.argv && (!p.argv || (e.event === 'syscall' && /^exec/.test(e.syscall.name)))) p.argv = e.proc.argv;
      procs.set(p.pid, p);
    }
    if (e.event !== 'syscall') continue;
    countSyscall(e, bySyscall, byDecision, byRule, denied, paths, peers);
  }
  const times = events.map((e) => e.time).sort();
  return {
    lines: events.length, malformed, ...(times.length ? { first: times[0]!, last: times.at(-1)! } : {}),
    containers: [...containers.values()], byEvent, bySyscall, byDecision, byRule, dropped,
    topDenied: top(denied, topN), topPaths: top(paths, topN), peers: top(peers, topN),
    processes: [...procs.values()].sort((a, b) => a.pid - b.pid), ...(exited ? { exited } : {}), execs: [...execs.values()],
  };
}

function countSyscall(e: SyscallEvent, bySyscall: Record<string, number>, byDecision: Record<string, number>, byRule: Record<string, number>,
  denied: Map<string, { syscall: string; resource?: string; rule?: string; count: number }>,
  paths: Map<string, { path: string; count: number }>, peers: Map<string, { sockaddr: string; count: number }>): void {
  bump(bySyscall, e.syscall.name);
  bump(byDecision, e.decision.action);
  if (e.decision.rule) bump(byRule, e.decision.rule);
  const resource = e.resource?.path ?? e.resource?.sockaddr;
  if (e.decision.action === 'deny' || e.decision.action === 'kill') {
    const key = JSON.stringify([e.syscall.name, resource, e.decision.rule]);
    const d = denied.get(key) ?? { syscall: e.syscall.name, ...(resource ? { resource } : {}), ...(e.decision.rule ? { rule: e.decision.rule } : {}), count: 0 };
    d.count++;
    denied.set(key, d);
  }
  if (e.resource?.path) { const p = paths.get(e.resource.path) ?? { path: e.resource.path, count: 0 }; p.count++; paths.set(p.path, p); }
  if (e.resource?.sockaddr) { const p = peers.get(e.resource.sockaddr) ?? { sockaddr: e.resource.sockaddr, count: 0 }; p.count++; peers.set(p.sockaddr, p); }
}
