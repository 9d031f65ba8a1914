// audit/render.ts — audit events and summaries as text for a terminal (CLI, pure)
import type { AuditEvent } from './events.js';
import type { Summary } from './review.js';

export const ROW_HEADER = ['TIME', 'SEQ', 'EVENT', 'PID', 'COMM', 'SYSCALL', 'DECISION', 'RULE', 'DETAIL'] as const;

/** row renders one event as the cells of `audit show`'s table */
export function row(e: AuditEvent): string[] {
  const base = [e.time, String(e.seq), e.event];
  switch (e.event) {
    case 'syscall': {
      const res = e.resource?.path ?? e.resource?.sockaddr ?? '';
      const argv = /^exec/.test(e.syscall.name) && e.proc.argv ? JSON.stringify(e.proc.argv) : '';
      const errno = e.syscall.errno !== undefined ? ` ${e.syscall.errno}` : '';
      return [...base, String(e.proc.pid), e.proc.comm ?? '', e.syscall.name, `${e.decision.action}${errno}`, e.decision.rule ?? '', [res, argv, e.exec && `exec=${e.exec}`].filter(Boolean).join(' ')];
    }
    case 'dropped': return [...base, '', '', '', '', '', `${e.dropped.total} repeated lines dropped (${e.dropped.shapes.map((s) => `${s.syscall}/${s.action}×${s.count}`).join(', ')})`];
    case 'exited': return [...base, '', '', '', '', '', `code=${e.exited.code ?? '-'} signal=${e.exited.signal ?? '-'} oom=${e.exited.oom} duration=${e.exited.duration}ms`];
    case 'started': return [...base, e.proc ? String(e.proc.pid) : '', e.proc?.comm ?? '', '', '', '', e.proc?.argv ? JSON.stringify(e.proc.argv) : ''];
    case 'created': return [...base, '', '', '', '', '', [e.container.name, e.container.image, e.container.profile && `profile=${e.container.profile}`].filter(Boolean).join(' ')];
    case 'policy.compiled': return [...base, '', '', '', '', '', `profile=${e.policy.profile} digest=${e.policy.digest}${e.policy.notify ? ` notify=${e.policy.notify.join(',')}` : ''}`];
    case 'exec.started': return [...base, e.exec.pid ? String(e.exec.pid) : '', '', '', '', '', `exec=${e.exec.id} ${JSON.stringify(e.exec.argv)}${e.exec.user ? ` user=${e.exec.user}` : ''}${e.exec.tty ? ' tty' : ''}`];
    case 'exec.exited': return [...base, '', '', '', '', '', `exec=${e.exec.id} code=${e.exec.code ?? '-'} signal=${e.exec.signal ?? '-'} duration=${e.exec.duration}ms${e.exec.reason ? ` (${e.exec.reason})` : ''}`];
    case 'image.scanned': return [...base, '', '', '', '', '', `${e.scan.image} ${Object.entries(e.scan.findings).map(([k, v]) => `${k}=${v}`).join(' ')}${e.scan.verdict ? ` ${e.scan.verdict}` : ''}`];
  }
}

/** table lays rows out in columns (the last column is not padded) */
export function table(rows: readonly (readonly string[])[]): string {
  if (!rows.length) return '';
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

export function renderRows(events: readonly AuditEvent[]): string {
  return table([[...ROW_HEADER], ...events.map(row)]);
}

const counts = (title: string, o: Record<string, number>): string => {
  const e = Object.entries(o).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return e.length ? `${title}:\n${e.map(([k, v]) => `  ${String(v).padStart(7)}  ${k}`).join('\n')}\n` : '';
};

/** renderSummary: the text form of `audit summary` */
export function renderSummary(s: Summary): string {
  const out: string[] = [];
  for (const c of s.containers) out.push(`container ${c.id}${c.name ? ` (${c.name})` : ''}${c.image ? ` image ${c.image}` : ''}${c.profile ? ` profile ${c.profile}` : ''}\n`);
  out.push(`${s.lines} lines${s.first ? ` from ${s.first} to ${s.last}` : ''}${s.malformed ? `, ${s.malformed} malformed` : ''}${s.dropped ? `, ${s.dropped} repeated lines dropped by rate limiting` : ''}\n`);
  if (s.exited) out.push(`exited: code=${s.exited.code ?? '-'} signal=${s.exited.signal ?? '-'} oom=${s.exited.oom} after ${s.exited.duration} ms\n`);
  out.push(counts('events', s.byEvent), counts('syscalls', s.bySyscall), counts('decisions', s.byDecision), counts('rules', s.byRule));
  if (s.topDenied.length) out.push(`top denied:\n${s.topDenied.map((d) => `  ${String(d.count).padStart(7)}  ${d.syscall}${d.resource ? ` ${d.resource}` : ''}${d.rule ? `  (rule ${d.rule})` : ''}`).join('\n')}\n`);
  if (s.topPaths.length) out.push(`top paths:\n${s.topPaths.map((p) => `  ${String(p.count).padStart(7)}  ${p.path}`).join('\n')}\n`);
  if (s.peers.length) out.push(`peers:\n${s.peers.map((p) => `  ${String(p.count).padStart(7)}  ${p.sockaddr}`).join('\n')}\n`);
  if (s.execs.length) out.push(`exec sessions:\n${s.execs.map((x) => `  ${x.id}  ${JSON.stringify(x.argv)}  ${x.code !== undefined || x.signal !== undefined ? `code=${x.code ?? '-'} signal=${x.signal ?? '-'}` : 'running or not reported'}  ${x.syscalls} syscall lines`).join('\n')}\n`);
  if (s.processes.length) out.push(`processes:\n${s.processes.map((p) => `  ${String(p.pid).padStart(7)}  ${p.comm ?? ''}${p.exe ? ` ${p.exe}` : ''}${p.argv ? ` ${JSON.stringify(p.argv)}` : ''}`).join('\n')}\n`);
  out.push('(paths, argv and peers are what processes requested, read from their memory: not proof of what ran)\n');
  return out.join('');
}
