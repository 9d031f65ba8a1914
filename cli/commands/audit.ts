// cli/commands/audit.ts — `tssandbox audit summary|show|follow|verify [ID|FILE]`: review and check audit logs (CLI process)
//
// A target is a log file, or a container (id, name or unique id prefix) whose log is
// ROOT/containers/<id>/audit.ndjson (or where `run --audit-log` put it) with its anchor beside it,
// or an OCI container's STATE_ROOT/.audit/<id>.ndjson (oci/audit.ts; STATE_ROOT is --root as runc's
// callers pass it, else the default OCI state root); no target means the most recently
// created container that has a log. `verify` exits 1 on tampering, 0 when intact, 2 when it cannot
// read what it was asked to check.
import { Command, Option } from 'commander';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SandboxError, fail } from '../../common/errors.js';
import { ociAuditIds, ociAuditLog } from '../../oci/audit.js';
import { defaultStateRoot } from '../../oci/state.js';
import {
  AuditError, anchorPathFor, follow, keyModeProblem, matches, parseLine, parseSince, readAnchor, readEvents, readKey,
  renderRows, renderSummary, row, summarize, verify, type Anchor, type EventFilter,
} from '../../audit/index.js';

interface Target { readonly log: string; readonly anchor: string; readonly id?: string }

function dataRoot(program: Command): string {
  const opt = program.opts().root as string | undefined;
  if (opt) return opt;
  if (process.env.TSSANDBOX_ROOT) return process.env.TSSANDBOX_ROOT;
  if (process.getuid?.() === 0) return '/var/lib/tssandbox';
  return join(process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'tssandbox');
}

/** resolveTarget: a file path as given, else a container by id, name or unique id prefix (docker's order) */
function resolveTarget(program: Command, ref: string | undefined, action: string): Target {
  if (ref !== undefined && existsSync(ref) && statSync(ref).isFile()) return { log: ref, anchor: anchorPathFor(ref) };
  const dir = join(dataRoot(program), 'containers');
  const all: { id: string; name?: string; created: string; log?: string }[] = [];
  for (const id of existsSync(dir) ? readdirSync(dir) : []) {
    if (!/^[0-9a-f]{64}$/.test(id)) continue;
    let cfg: { name?: string; created?: string; audit?: { log?: unknown } } = {};
    try { cfg = JSON.parse(readFileSync(join(dir, id, 'config.json'), 'utf8')); } catch { /* a container without a record: id only */ }
    const log = typeof cfg.audit?.log === 'string' ? cfg.audit.log : undefined;
    all.push({ id, ...(cfg.name ? { name: cfg.name } : {}), created: cfg.created ?? '', ...(log ? { log } : {}) });
  }
  // OCI containers (`create` with a supervised profile): their logs outlive `delete`
  const stateRoot = (program.opts().root as string | undefined) ?? defaultStateRoot();
  for (const id of ociAuditIds(stateRoot)) {
    if (all.some((c) => c.id === id)) continue;
    const log = ociAuditLog(stateRoot, id);
    let created = '';
    try { created = statSync(log).birthtime.toISOString(); } catch { /* listed, then removed: existsSync below skips it */ }
    all.push({ id, created, log });
  }
  const logOf = new Map(all.map((c) => [c.id, c.log ?? join(dir, c.id, 'audit.ndjson')]));
  const at = (id: string): Target => { const log = logOf.get(id)!; return { log, anchor: anchorPathFor(log), id }; };
  if (ref === undefined) {
    const withLog = all.filter((c) => existsSync(at(c.id).log)).sort((a, b) => b.created.localeCompare(a.created));
    if (!withLog.length) fail('TSS_ECONTAINER', action, dir, 'no container has an audit log; name a container or a log file');
    return at(withLog[0]!.id);
  }
  const hit = all.find((c) => c.id === ref || c.name === ref);
  if (hit) return at(hit.id);
  const pre = /^[0-9a-f]+$/.test(ref) ? all.filter((c) => c.id.startsWith(ref)) : [];
  if (pre.length === 1) return at(pre[0]!.id);
  if (pre.length > 1) fail('TSS_ECONTAINER', action, ref, `the id prefix is ambiguous (${pre.length} containers)`);
  return fail('TSS_ECONTAINER', action, ref, 'no such container or log file');
}

/** audited runs an audit/ call, turning its AuditError into the CLI's TSS_EAUDIT (exit 2) */
function audited<T>(fn: () => T): T {
  try { return fn(); } catch (err) {
    if (err instanceof AuditError) throw new SandboxError('TSS_EAUDIT', err.message, { cause: err, exitCode: 2 });
    throw err;
  }
}

const list = (v: string, p: string[] = []): string[] => [...p, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

function filterOptions(cmd: Command): Command {
  return cmd
    .option('--syscall <names>', 'only these syscalls (comma-separated, repeatable)', list)
    .option('--decision <actions>', 'only these decisions: allow, observe, emulate, deny, kill, trace', list)
    .option('--event <kinds>', 'only these event kinds: syscall, created, started, exited, dropped, policy.compiled, image.scanned, exec.started, exec.exited', list)
    .option('--since <time>', 'only lines since an ISO time or a duration ago (30s, 10m, 2h, 1d)')
    .option('--container <id|name>', 'only lines of this container (id, id prefix or name)')
    .option('--exec <id>', 'only this exec session (id or prefix): its exec.started/exec.exited and its processes\' syscalls')
    .addOption(new Option('--format <fmt>', 'table or json').choices(['table', 'json']).default('table'));
}

interface FilterOpts { syscall?: string[]; decision?: string[]; event?: string[]; since?: string; container?: string; exec?: string; format: 'table' | 'json' }

function toFilter(o: FilterOpts): EventFilter {
  let since: number | undefined;
  if (o.since !== undefined) {
    const t = parseSince(o.since);
    if (t === null) fail('TSS_EUSAGE', 'use --since', o.since, 'expected an ISO time or a duration such as 10m');
    since = t;
  }
  return { ...(o.syscall ? { syscall: o.syscall } : {}), ...(o.decision ? { decision: o.decision } : {}), ...(o.event ? { event: o.event } : {}),
    ...(since !== undefined ? { since } : {}), ...(o.container ? { container: o.container } : {}), ...(o.exec ? { exec: o.exec } : {}) };
}

export function register(program: Command): void {
  const audit = program.command('audit').description('review audit logs and check their hash chain');
  const out = (s: string): void => { process.stdout.write(s); };

  filterOptions(audit.command('summary').argument('[target]', 'container id/name or log file'))
    .description('counts by event, syscall, decision and rule; top denials, paths, peers; processes seen')
    .action((ref: string | undefined, o: FilterOpts) => {
      const t = resolveTarget(program, ref, 'summarize audit log');
      const { events, malformed } = audited(() => readEvents(t.log, toFilter(o)));
      const s = summarize(events, malformed);
      out(o.format === 'json' ? `${JSON.stringify(s, null, 2)}\n` : renderSummary(s));
    });

  filterOptions(audit.command('show').argument('[target]', 'container id/name or log file'))
    .description('the lines of a log, filtered: a table, or the events as JSON lines')
    .action((ref: string | undefined, o: FilterOpts) => {
      const t = resolveTarget(program, ref, 'show audit log');
      const { events, malformed } = audited(() => readEvents(t.log, toFilter(o)));
      out(o.format === 'json' ? events.map((e) => `${JSON.stringify(e)}\n`).join('') : renderRows(events));
      if (malformed) process.stderr.write(`tssandbox: ${malformed} malformed lines skipped (run audit verify)\n`);
    });

  filterOptions(audit.command('follow').argument('[target]', 'container id/name or log file'))
    .description('print lines as they are appended (tail -f)')
    .option('--from-end', 'skip the lines already there')
    .option('--timeout <seconds>', 'stop after this long', Number)
    .option('--max-lines <n>', 'stop after printing this many lines', Number)
    .action(async (ref: string | undefined, o: FilterOpts & { fromEnd?: boolean; timeout?: number; maxLines?: number }) => {
      const t = resolveTarget(program, ref, 'follow audit log');
      const f = toFilter(o);
      const ac = new AbortController();
      const timer = o.timeout !== undefined ? setTimeout(() => ac.abort(), o.timeout * 1000) : null;
      const names = new Map<string, string>();
      let printed = 0;
      try {
        await audited(() => follow(t.log, (text) => {
          const e = parseLine(text);
          if (!e) { process.stderr.write(`tssandbox: malformed line skipped\n`); return true; }
          if (e.container.name) names.set(e.container.id, e.container.name);
          if (!matches(e, f, names)) return true;
          out(o.format === 'json' ? `${text}\n` : `${row(e).join('  ')}\n`);
          return !(o.maxLines !== undefined && ++printed >= o.maxLines);
        }, { signal: ac.signal, ...(o.fromEnd ? { fromEnd: true } : {}) }));
      } catch (err) {
        audited(() => { throw err; });
      } finally {
        if (timer) clearTimeout(timer);
      }
    });

  audit.command('verify').argument('[target]', 'container id/name or log file')
    .description('check the hash chain, the anchor and (with --key) the HMACs; exit 1 naming the first bad line')
    .option('--key <file>', 'HMAC key file: every line must carry a valid hmac')
    .option('--anchor <file>', 'the anchor to compare against (default: the one beside the log)')
    .option('--no-anchor', 'do not use an anchor (truncation of whole lines then goes unnoticed)')
    .addOption(new Option('--format <fmt>', 'table or json').choices(['table', 'json']).default('table'))
    .action((ref: string | undefined, o: { key?: string; anchor?: string | false; format: string }) => {
      const t = resolveTarget(program, ref, 'verify audit log');
      if (!existsSync(t.log)) fail('TSS_EAUDIT', 'verify audit log', t.log, 'no such file');
      const anchor: Anchor | null = o.anchor === false ? null
        : audited(() => (typeof o.anchor === 'string' ? readAnchor(o.anchor) ?? fail('TSS_EAUDIT', 'read anchor', o.anchor, 'no such file') : readAnchor(t.anchor)));
      const key = o.key ? audited(() => readKey(o.key!)) : undefined;
      // as ssh warns of an open private key: a key others can read proves nothing against them
      const loose = o.key ? keyModeProblem(statSync(o.key)) : null;
      if (loose) process.stderr.write(`tssandbox: warning: audit key \`${o.key}\`: ${loose}\n`);
      const r = audited(() => verify(t.log, { anchor, ...(key ? { key } : {}), ...(t.id ? { logId: t.id } : {}) }));
      if (o.format === 'json') out(`${JSON.stringify({ log: t.log, ...r })}\n`);
      else if (!r.ok) out(`${t.log}: TAMPERED at line ${r.seq}: ${r.reason}\n`);
      else {
        const hmac = r.hmacChecked ? 'HMAC checked' : r.keyed ? 'keyed, HMAC NOT checked (no --key)' : 'not keyed (a full rewrite would go unnoticed)';
        const anc = r.anchorChecked ? `anchor checked${r.beyondAnchor ? ` (${r.beyondAnchor} lines after it)` : ''}` : 'no anchor (cut-off tail lines would go unnoticed)';
        out(`${t.log}: intact: ${r.lines} lines, head seq ${r.head.seq} sha256 ${r.head.hash}; ${hmac}; ${anc}\n`);
      }
      if (!r.ok) process.exitCode = 1;
    });
}
